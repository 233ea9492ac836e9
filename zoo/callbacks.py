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

SAMPLE_SEED = 20140610  # fixed noise for the per-epoch sample grids (the GAN paper's date)
QUALITY_SEED = SAMPLE_SEED + 1  # the samples measured after an epoch and at the end


def _scalars(figures):
    return {key: float(value) for key, value in figures.items()
            if isinstance(value, (int, float, np.floating, np.integer))}


class SampleQuality(keras.callbacks.Callback):
    """Every `every` epochs, generate `num_samples` from a fixed seed, measure them with
    `evaluate` and add the scalar figures to the epoch's logs as `quality/<name>`. Place it
    before the callbacks that read the logs (TensorBoard, history)."""

    def __init__(self, evaluate, num_samples, every=1, seed=0):
        super().__init__()
        self.evaluate, self.num_samples, self.every, self.seed = evaluate, num_samples, every, seed

    def on_epoch_end(self, epoch, logs=None):
        if logs is None or (epoch + 1) % self.every or recovery.diverged(self.model):
            return  # not this epoch, or one that diverged (its samples are NaN)
        figures = self.evaluate(self.model.generate(self.num_samples, seed=self.seed))
        logs.update({f"quality/{key}": value for key, value in _scalars(figures).items()})


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


class FlushedTensorBoard(keras.callbacks.TensorBoard):
    """TensorBoard whose epoch scalars reach the disk at the end of the epoch, before the
    checkpoint (the summary writer would otherwise hold them for up to two minutes), and
    which, on a resume, first drops what it wrote of the epochs after the checkpoint."""

    def __init__(self, log_dir, restored_epoch, **kwargs):
        super().__init__(log_dir, **kwargs)
        self.restored_epoch = restored_epoch

    def on_train_begin(self, logs=None):
        if os.path.isdir(self.log_dir):
            cut_event_files(self.log_dir, self.restored_epoch)
        super().on_train_begin(logs)

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        self._train_writer.flush()  # keras' writer, made on first use


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
        save_samples(samples, os.path.join(self.directory, f"epoch_{epoch + 1:04d}.png"),
                     title=f"epoch {epoch + 1}", columns=columns)


def run_callbacks(output_dir, settings, learning_rates, restored_epoch, checkpoint, evaluate,
                  eval_samples, grid_samples, extra=()):
    """(callbacks, history) of a run, the caller's `extra` first.

    The quality measurement comes first of the run's own, so that the history, TensorBoard
    and the checkpoint hold its figures; the checkpoint comes last, after everything the
    epoch writes."""
    history = EpochHistory(os.path.join(output_dir, HISTORY_FILE), restored_epoch)
    measures = evaluate is not None and settings.eval_every
    callbacks = [
        *extra,
        GivenLearningRates(learning_rates),
        *([SampleQuality(evaluate, eval_samples, settings.eval_every, QUALITY_SEED)] if measures else []),
        *([TimeBudget(settings.time_budget)] if settings.time_budget else []),
        history,
        FlushedTensorBoard(os.path.join(output_dir, LOGS_DIR), restored_epoch, write_graph=False),
        SampleGrid(os.path.join(output_dir, SAMPLES_DIR), grid_samples),
        checkpoint,
    ]
    return callbacks, history
