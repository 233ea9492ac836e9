"""The callbacks of a training run, in the order `run_callbacks` gives them.

Each writes one part of the run folder after every epoch, before the checkpoint that commits
the epoch: a run killed in between trains that epoch again and writes it again. An epoch
that the divergence guard (zoo.recovery.DivergenceGuard, first in the list) rejected is
written by none of them: each asks `recovery.diverged(model)` first.
"""

import math
import os
import time

import keras
import numpy as np
import tensorflow as tf
from absl import logging

from zoo import recovery
from zoo.plotting import save_samples
from zoo.run_folder import HISTORY_FILE, LOGS_DIR, SAMPLES_DIR, read_json, write_json

STEPS_DIR = "steps"  # logs/steps: StepLosses' event files
SAMPLE_SEED = 20140610  # fixed noise for the per-epoch sample grids (the GAN paper's date)
QUALITY_SEED = SAMPLE_SEED + 1  # the samples measured after an epoch and at the end


def _scalars(figures):
    return {key: float(value) for key, value in figures.items()
            if isinstance(value, (int, float, np.floating, np.integer))}


class SampleQuality(keras.callbacks.Callback):
    """Every `every` epochs, measure the model with `measure` (model -> figures: a generator's
    samples from a fixed seed, a translator's test translations) and add the scalar figures to
    the epoch's logs as `quality/<name>`. With generator EMA on, the raw generator is measured
    too, as `quality_raw/<name>`: the average does not change training, so one run gives both
    the EMA-on and the EMA-off figures. Place it before the callbacks that read the logs
    (TensorBoard, history)."""

    def __init__(self, measure, every=1):
        super().__init__()
        self.measure, self.every = measure, every

    def on_epoch_end(self, epoch, logs=None):
        if logs is None or (epoch + 1) % self.every or recovery.diverged(self.model):
            return  # not this epoch, or one that diverged (its samples are NaN)
        logs.update(self._measured("quality"))
        if getattr(self.model, "generator_average", None) is not None:
            with self.model.raw_weights():
                logs.update(self._measured("quality_raw"))

    def _measured(self, prefix):
        figures = self.measure(self.model)
        return {f"{prefix}/{key}": value for key, value in _scalars(figures).items()}


class GivenLearningRates(keras.callbacks.Callback):
    """Trains at the learning rates the run was given. A resumed run's checkpoint brings back
    the constant rates it trained at: when the first epoch begins (after the restore), those
    that differ are replaced, with a warning that says so. Once per run: a rollback's lowered
    rates come later. A rate that follows a schedule is rebuilt from the settings already."""

    def __init__(self, rates):
        super().__init__()
        self.rates = dict(rates)  # {optimizer attribute: rate}

    def on_epoch_begin(self, epoch, logs=None):
        rates, self.rates = self.rates, {}
        for name, rate in rates.items():
            optimizer = getattr(self.model, name)
            restored = recovery.learning_rate_of(optimizer)
            if math.isclose(restored, rate, rel_tol=1e-6) or not recovery.set_learning_rate(
                    optimizer, rate):
                continue
            logging.warning("%s: the checkpoint trained at a learning rate of %g; training on at "
                            "%g as given", name, restored, rate)


class EpochHistory(keras.callbacks.Callback):
    """history.json: one entry of logs per epoch, across resumed calls of `fit`.

    It is written before the checkpoint and cut back to the checkpoint's epoch when a run
    resumes, so an epoch run again after a crash is listed once.
    """

    def __init__(self, path, restored_epoch):
        super().__init__()
        self.path = path
        self.epochs = read_json(path, [], kind=list)[:restored_epoch]

    def on_epoch_end(self, epoch, logs=None):
        if recovery.diverged(self.model):  # a diverged epoch is rolled back, not recorded
            return
        self.epochs = self.epochs[:epoch] + [{k: float(v) for k, v in (logs or {}).items()}]
        write_json(self.path, self.epochs)

    def as_columns(self):
        """{metric: [value per epoch]}, the layout of keras' History."""
        return {key: [entry.get(key) for entry in self.epochs]
                for key in dict.fromkeys(k for entry in self.epochs for k in entry)}


class TimeBudget(keras.callbacks.Callback):
    """Ends training at the first step that finishes past `seconds` of training time, so
    variants can be compared at equal wall-clock cost. The cut epoch counts as done."""

    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds

    def on_train_begin(self, logs=None):
        self.deadline = time.monotonic() + self.seconds

    def on_train_batch_end(self, batch, logs=None):
        if time.monotonic() >= self.deadline:
            self.model.stop_training = True


def _readable_records(path):
    """(the records of a TFRecord file up to any cut short by a kill, whether all were whole)."""
    records, iterator = [], iter(tf.data.TFRecordDataset(path))
    while True:
        try:
            records.append(next(iterator).numpy())
        except StopIteration:
            return records, True
        except tf.errors.DataLossError:
            return records, False


def cut_event_files(log_dir, epochs):
    """Drop from the event files under `log_dir` the summaries of epoch `epochs` (0-based
    steps) and later, and any record a kill cut short: a resume trains those epochs again,
    and TensorBoard would list each twice."""
    from tensorboard.compat.proto import event_pb2

    def later(record):
        event = event_pb2.Event.FromString(record)
        return event.HasField("summary") and event.step >= epochs

    for root, _, names in os.walk(log_dir):
        for name in (n for n in names if "tfevents" in n):
            path = os.path.join(root, name)
            records, whole = _readable_records(path)
            kept = [record for record in records if not later(record)]
            if whole and len(kept) == len(records):
                continue
            partial = os.path.join(root, ".cut_partial")  # no "tfevents": TensorBoard skips it
            with tf.io.TFRecordWriter(partial) as writer:
                for record in kept:
                    writer.write(record)
            os.replace(partial, path)


def sample_file(epoch):
    """The per-epoch sample grid's file name (epoch 0-based)."""
    return f"epoch_{epoch + 1:04d}.png"


class FlushedTensorBoard(keras.callbacks.TensorBoard):
    """TensorBoard with what a GAN run is watched by: the epoch's losses and quality figures,
    each network's learning rate (`learning_rate/<optimizer>`) and the epoch's sample grid as
    an image (`samples`: the PNG SampleGrid wrote, which comes before it in the list). What
    it writes reaches the disk at the end of the epoch, before the checkpoint (the summary
    writer would otherwise hold it for up to two minutes); on a resume it first drops what it
    wrote of the epochs after the checkpoint."""

    def __init__(self, log_dir, restored_epoch, samples_dir, **kwargs):
        super().__init__(log_dir, **kwargs)
        self.restored_epoch, self.samples_dir = restored_epoch, samples_dir

    def on_train_begin(self, logs=None):
        for part in ("train", "validation"):  # keras' writers (logs/steps is StepLosses')
            if os.path.isdir(os.path.join(self.log_dir, part)):
                cut_event_files(os.path.join(self.log_dir, part), self.restored_epoch)
        super().on_train_begin(logs)

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        with self._train_writer.as_default():  # keras' writer, made on first use
            for name in self.model.optimizer_names:
                rate = recovery.learning_rate_of(getattr(self.model, name))
                tf.summary.scalar(f"learning_rate/{name}", rate, step=epoch)
            grid = os.path.join(self.samples_dir, sample_file(epoch))
            if os.path.isfile(grid) and not recovery.diverged(self.model):
                tf.summary.image("samples", tf.image.decode_png(tf.io.read_file(grid))[None],
                                 step=epoch)
        self._train_writer.flush()


class StepLosses(keras.callbacks.Callback):
    """Every `every` training steps, the losses of the steps since the last call as TensorBoard
    scalars (`step/d_loss`, ..., at the run's step count) in `log_dir`: the step's own losses,
    or with steps_per_execution the mean of those the call covers. A step's logs hold each
    loss's mean over the epoch so far, every step adding the same count, so the steps since
    the previous call (n' of them done then, n now) took (n * mean_n - n' * mean_n') / (n - n').
    A fit that starts again (a resume, a rollback) first drops what was written past the step
    it starts from."""

    def __init__(self, log_dir, every):
        super().__init__()
        self.log_dir, self.every = log_dir, every
        self.writer, self.start, self.done, self.means = None, 0, 0, {}

    def on_epoch_begin(self, epoch, logs=None):
        steps = self.params.get("steps")
        if self.writer is None:  # this fit's first epoch: where the run stands
            self.start = epoch * (steps or 0)
            if os.path.isdir(self.log_dir):
                cut_event_files(self.log_dir, self.start + 1)
            self.writer = tf.summary.create_file_writer(self.log_dir)
        else:  # after the epoch before (its length, where the data does not say it)
            self.start = epoch * steps if steps else self.start + self.done
        self.done, self.means = 0, {}

    def on_train_batch_end(self, batch, logs=None):
        means = {name: float(value) for name, value in (logs or {}).items()}
        done, step = batch + 1, self.start + batch + 1
        if step // self.every > (self.start + self.done) // self.every:
            with self.writer.as_default():
                for name, mean in means.items():
                    earlier = self.done * self.means.get(name, 0.0)
                    tf.summary.scalar(f"step/{name}", (done * mean - earlier) / (done - self.done),
                                      step=step)
        self.done, self.means = done, means

    def on_epoch_end(self, epoch, logs=None):
        self.writer.flush()

    def on_train_end(self, logs=None):
        self.writer.close()
        self.writer = None


class SampleGrid(keras.callbacks.Callback):
    """After every epoch, a PNG of samples from the same fixed noise, so epochs compare."""

    def __init__(self, directory, count):
        super().__init__()
        self.directory = directory
        self.count = count

    def on_epoch_end(self, epoch, logs=None):
        if recovery.diverged(self.model):
            return
        samples, columns = self.model.sample_grid(self.count, seed=SAMPLE_SEED)
        save_samples(samples, os.path.join(self.directory, sample_file(epoch)),
                     title=f"epoch {epoch + 1}", columns=columns)


def run_callbacks(output_dir, settings, learning_rates, restored_epoch, checkpoint, measure,
                  grid_samples, extra=()):
    """(callbacks, history) of a run, the caller's `extra` first.

    The quality measurement comes first of the run's own, so that the history, TensorBoard
    and the checkpoint hold its figures; the checkpoint comes last, after everything the
    epoch writes."""
    history = EpochHistory(os.path.join(output_dir, HISTORY_FILE), restored_epoch)
    measures = measure is not None and settings.eval_every
    callbacks = [
        *extra,
        GivenLearningRates(learning_rates),
        *([SampleQuality(measure, settings.eval_every)] if measures else []),
        *([TimeBudget(settings.time_budget)] if settings.time_budget else []),
        history,
        SampleGrid(os.path.join(output_dir, SAMPLES_DIR), grid_samples),
        FlushedTensorBoard(os.path.join(output_dir, LOGS_DIR), restored_epoch,
                           os.path.join(output_dir, SAMPLES_DIR), write_graph=False),
        *([StepLosses(os.path.join(output_dir, LOGS_DIR, STEPS_DIR), settings.log_every_steps)]
          if settings.log_every_steps else []),
        checkpoint,
    ]
    return callbacks, history
