"""Training a registered model on a registered dataset: what `train.py` runs.

`train()` resolves the settings (defaults, then the preset, then explicit overrides),
builds the model under the chosen `tf.distribute` strategy, and runs `model.fit` with the
callbacks a run needs: a progress bar, TensorBoard scalars, a PNG of samples from fixed
noise after every epoch, and a checkpoint after every epoch so that a killed run resumes
where it stopped. At the end it saves the model and exports the generator for TF Serving.

Run directory:
    run.json         the resolved settings (a resume must keep the model and data)
    checkpoint/      epoch_NNNN/: weights, both optimizers and the epoch, each written whole
                     (zoo.recovery.CrashSafeBackup); the newest two are kept
    logs/            TensorBoard
    samples/         epoch_0001.png, ...
    model/           the trained model (zoo.load(run_dir) reads it)
    export/<name>/<version>/   the SavedModel (unless --export_dir says elsewhere)
    history.json     every epoch's losses, across resumed calls
    metrics.json     figures measured on generated samples, where the dataset defines them
    result.json      written last: the history, metrics and paths of the finished run
"""

import contextlib
import json
import math
import os
import shutil
import sys
import time

import keras
import numpy as np
import tensorflow as tf
from absl import logging

from zoo import recovery
from zoo.checks import check_choice, check_fraction, check_positive_int
from zoo.data import semi_supervised
from zoo.errors import ZooError
from zoo.metrics.quality import SampleQuality, evaluator_for
from zoo.serving import export
from zoo.plotting import save_samples
from zoo.registry import find_preset, get_dataset, get_model_class, get_preset, list_models
from zoo.remedies import REMEDIES
from zoo.saving import FINAL_MODEL_DIR, model_arguments, save

# Training settings a preset or the caller may set, with the values used when none does.
TRAIN_DEFAULTS = dict(batch_size=64, epochs=10, steps_per_epoch=None, g_lr=2e-4, d_lr=2e-4,
                      beta_1=0.5, beta_2=0.999, lr_decay=None, image_size=None,
                      steps_per_execution=1, eval_every=0, eval_samples=None, max_rollbacks=3,
                      rollback_lr_factor=0.5, optimizer="adam", time_budget=None)
# Overrides that belong to the model's constructor rather than to the training loop.
MODEL_OVERRIDES = ("latent_dim", "d_steps", "loss", "d_normalization", "updates", *REMEDIES)
OPTIMIZERS = ("adam", "rmsprop")
# None: constant; "linear": down to 0 over the run; "linear_second_half": constant, then down
# to 0 over the second half (CycleGAN's).
LR_DECAYS = (None, "linear", "linear_second_half")
STRATEGIES = ("none", "mirrored", "multiworker")
PRECISIONS = ("float32", "bfloat16", "float16")
RESULT_FILE = "result.json"  # written last: the run finished the epochs it records
HISTORY_FILE = "history.json"
RECORD_FILE = "run.json"
CHECKPOINT_DIR = "checkpoint"
SAMPLE_SEED = 20140610  # fixed noise for the per-epoch sample grids (the GAN paper's date)


def resolve(model=None, dataset=None, preset=None, **overrides):
    """(model name, dataset name, model kwargs, training settings) from a preset and overrides."""
    if preset is not None:
        chosen = get_preset(preset)
        if model is not None and model != chosen.model:
            raise ZooError(f"preset {preset!r} is for model {chosen.model!r}, not {model!r}; "
                           "drop --model or pick another preset")
    elif model is None:
        raise ZooError("say what to train: --model=NAME (with --dataset) or --preset=NAME")
    else:
        get_model_class(model)
        chosen = find_preset(model, dataset) if dataset else None
    model = chosen.model if chosen else model
    dataset = dataset or (chosen.dataset if chosen else None)
    if dataset is None:
        raise ZooError(f"say which data to train {model!r} on: --dataset=NAME")
    get_dataset(dataset)

    # A model's constructor arguments are overrides too; one this model lacks is refused by
    # train() with the model's name ("dcgan has no setting labelled_examples").
    model_options = set(MODEL_OVERRIDES).union(*(model_arguments(get_model_class(name))
                                                 for name in list_models()))
    overrides = {key: value for key, value in overrides.items() if value is not None}
    unknown = set(overrides) - set(TRAIN_DEFAULTS) - model_options
    if unknown:
        raise ZooError(f"unknown training settings {sorted(unknown)}: known are "
                       f"{sorted(TRAIN_DEFAULTS)} and the models' arguments (zoo.create)")
    model_kwargs = dict(chosen.model_kwargs) if chosen else {}
    settings = {**TRAIN_DEFAULTS, **(chosen.train if chosen else {})}
    for key, value in overrides.items():
        (settings if key in TRAIN_DEFAULTS else model_kwargs)[key] = value
    _check_settings(settings)
    return model, dataset, model_kwargs, settings, (chosen.name if chosen else None)


def _check_settings(settings):
    if not isinstance(settings["max_rollbacks"], int) or settings["max_rollbacks"] < 0:
        raise ZooError(f"max_rollbacks must be 0 (stop at the first divergence) or a positive "
                       f"integer, got {settings['max_rollbacks']!r}")
    if not 0 < settings["rollback_lr_factor"] <= 1:
        raise ZooError(f"rollback_lr_factor must be in (0, 1], got {settings['rollback_lr_factor']!r}")
    for key in ("batch_size", "epochs", "steps_per_execution"):
        check_positive_int(key, settings[key])
    if not isinstance(settings["eval_every"], int) or settings["eval_every"] < 0:
        raise ZooError(f"eval_every must be 0 (measure at the end only) or a positive number of "
                       f"epochs, got {settings['eval_every']!r}")
    samples = settings["eval_samples"]
    if samples is not None and (isinstance(samples, bool) or not isinstance(samples, int) or samples < 0):
        raise ZooError(f"eval_samples must be 0 (measure nothing) or a positive integer, got {samples!r}")
    if samples == 0 and settings["eval_every"]:
        raise ZooError(f"eval_every={settings['eval_every']} measures samples and eval_samples=0 "
                       "measures none: drop one of them")
    for key in ("steps_per_epoch", "image_size"):
        if settings[key] is not None:
            check_positive_int(key, settings[key])
    for key in ("g_lr", "d_lr"):
        if not settings[key] > 0:
            raise ZooError(f"{key} must be positive, got {settings[key]!r}")
    for key in ("beta_1", "beta_2"):
        check_fraction(key, settings[key])
    check_choice("optimizer", settings["optimizer"], OPTIMIZERS)
    budget = settings["time_budget"]
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, (int, float))
                               or not budget > 0):
        raise ZooError(f"time_budget must be a positive number of seconds, got {budget!r}")
    check_choice("lr_decay", settings["lr_decay"], LR_DECAYS)


def make_strategy(distribute):
    """The tf.distribute strategy for --distribute (multiworker reads TF_CONFIG)."""
    if distribute == "none":
        return tf.distribute.get_strategy()
    if distribute == "mirrored":
        return tf.distribute.MirroredStrategy()
    if distribute == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ZooError(f"distribute must be one of {STRATEGIES}, got {distribute!r}")


def _is_chief(strategy):
    """The worker that keeps files: the chief, else worker 0 where the cluster names no chief
    (TensorFlow's multi-worker guide)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or resolver.task_type is None:
        return True
    if resolver.task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return resolver.task_type == "worker" and resolver.task_id == 0 and not has_chief


def _own_folder(path, strategy, chief):
    """Where this worker writes what `path` would hold: `path` itself on the chief. Another
    worker writes the same files (every worker runs the same saving code) to a folder of its
    own beside it, which it also restores from after a restart (BackupAndRestore)."""
    if chief or path is None:
        return path
    resolver = strategy.cluster_resolver
    return f"{os.path.normpath(path)}.{resolver.task_type}_{resolver.task_id}"


def _check_output_dir(path, resume, settings_record):
    """Refuse a run directory that can't be used, before anything is written or trained."""
    path = os.path.abspath(path)
    if os.path.exists(path) and not os.path.isdir(path):
        raise ZooError(f"--output_dir {path} is a file; pass a directory")
    existing = path
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing) or not os.access(existing, os.W_OK | os.X_OK):
        raise ZooError(f"can't write to --output_dir {path} ({existing} is not a writable "
                       "directory); pick another")
    record_file = os.path.join(path, RECORD_FILE)
    previous = None
    if os.path.exists(record_file):
        if not resume:
            raise ZooError(f"{path} already holds a run: pass --resume to continue it, or pick "
                           "another --output_dir")
        previous = _read_json(record_file)
        for key in ("model", "dataset", "model_kwargs"):
            if previous.get(key) != settings_record[key]:
                raise ZooError(f"--resume: this run was started with {key}={previous.get(key)!r}, "
                               f"not {settings_record[key]!r}; resume with the same settings")
    return path, previous


def _write_record(path, settings_record):
    """Create the run directory and record the settings it runs with (a resume updates them)."""
    os.makedirs(path, exist_ok=True)
    _write_json(os.path.join(path, RECORD_FILE), settings_record)


def _read_json(path, default=None):
    """The file's value, or `default` when it does not exist."""
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return default
    except json.JSONDecodeError as error:
        raise ZooError(f"{path} is not valid JSON ({error}); the run directory is damaged: "
                       "restore or delete that file") from None


def _checkpointed_epoch(output_dir):
    """Epochs completed by the newest checkpoint, 0 without one."""
    return recovery.checkpointed_epoch(os.path.join(output_dir, CHECKPOINT_DIR))


# Room for what a run writes besides its checkpoints: logs, sample grids, the export's graph.
FILES_MARGIN_BYTES = 16 << 20


def _check_free_space(gan, paths, keep_checkpoints):
    """Refuse to start when the disk can't hold the run's files (a rough upper estimate)."""
    def size(variables):  # from shapes and dtypes: no copy of the values
        return sum(math.prod(v.shape) * np.dtype(v.dtype).itemsize for v in variables)

    state = size(gan.weights + [v for o in gan.trained_optimizers for v in o.variables])
    generator = size(gan.generator.weights)
    # keep_checkpoints whole ones and one being written, the final model, the export.
    needed = state * (keep_checkpoints + 1) + state + generator + FILES_MARGIN_BYTES
    for path in paths:
        existing = os.path.abspath(path)
        while not os.path.exists(existing):
            existing = os.path.dirname(existing)
        free = shutil.disk_usage(existing).free
        if free < needed:
            raise ZooError(f"{existing} has {free / 2**20:.0f} MiB free but this run needs about "
                           f"{needed / 2**20:.0f} MiB: make room or pick another --output_dir")


def _write_json(path, value):
    """Write whole or not at all: a crash mid-write leaves the old file (or none)."""
    with open(path + ".tmp", "w") as f:
        json.dump(value, f, indent=2)
    os.replace(path + ".tmp", path)


def _steps_per_execution(requested, steps_per_epoch, replicas):
    """The steps to run per call of the compiled step, around two Keras 3 limitations."""
    if replicas > 1 and requested > 1:
        # Fails under a multi-replica strategy (keras-team/keras#19246; seen with Keras 3.15).
        logging.warning("steps_per_execution=%d is not supported with %d replicas; using 1",
                        requested, replicas)
        return 1
    if steps_per_epoch is not None and steps_per_epoch % requested:
        # With steps_per_epoch on a repeated dataset Keras rounds the epoch up to a multiple
        # of steps_per_execution (3 steps ran as 50 here): use the largest divisor instead.
        divisor = max(d for d in range(1, requested + 1) if steps_per_epoch % d == 0)
        logging.warning("steps_per_execution=%d does not divide steps_per_epoch=%d; using %d",
                        requested, steps_per_epoch, divisor)
        return divisor
    return requested


@contextlib.contextmanager
def _precision_policy(mixed_precision):
    previous = keras.mixed_precision.global_policy()
    if mixed_precision != "float32":
        keras.mixed_precision.set_global_policy(f"mixed_{mixed_precision}")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


@keras.saving.register_keras_serializable(package="zoo")
class HoldThenLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """The learning rate held for the first `hold_steps`, then decayed linearly to 0 at
    `total_steps` (CycleGAN's schedule: constant for half the epochs, then linear)."""

    def __init__(self, initial_learning_rate, hold_steps, total_steps):
        self.initial_learning_rate = float(initial_learning_rate)
        self.hold_steps, self.total_steps = int(hold_steps), max(int(total_steps), 1)

    def __call__(self, step):
        decay_steps = max(self.total_steps - self.hold_steps, 1)
        past = tf.cast(step, tf.float32) - self.hold_steps
        fraction = tf.clip_by_value(1.0 - past / decay_steps, 0.0, 1.0)
        return self.initial_learning_rate * fraction

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "hold_steps": self.hold_steps, "total_steps": self.total_steps}


def _optimizer(lr, settings, total_steps, loss_scaling):
    if settings["lr_decay"] == "linear":
        lr = keras.optimizers.schedules.PolynomialDecay(lr, max(total_steps, 1), end_learning_rate=0.0)
    elif settings["lr_decay"] == "linear_second_half":
        lr = HoldThenLinearDecay(lr, total_steps // 2, total_steps)
    if settings["optimizer"] == "rmsprop":  # WGAN's; rho is keras' (and TensorFlow 1's) 0.9
        optimizer = keras.optimizers.RMSprop(lr)
    else:
        optimizer = keras.optimizers.Adam(lr, beta_1=settings["beta_1"], beta_2=settings["beta_2"])
    return keras.optimizers.LossScaleOptimizer(optimizer) if loss_scaling else optimizer


class EpochHistory(keras.callbacks.Callback):
    """history.json: one entry of logs per epoch, across resumed calls of `fit`.

    It is written before the checkpoint and cut back to the checkpoint's epoch when a run
    resumes, so an epoch run again after a crash is listed once.
    """

    def __init__(self, path, restored_epoch):
        super().__init__()
        self.path = path
        self.epochs = _read_json(path, [])[:restored_epoch]

    def on_epoch_end(self, epoch, logs=None):
        if recovery.diverged(self.model):  # a diverged epoch is rolled back, not recorded
            return
        self.epochs = self.epochs[:epoch] + [{k: float(v) for k, v in (logs or {}).items()}]
        _write_json(self.path, self.epochs)

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


class FlushedTensorBoard(keras.callbacks.TensorBoard):
    """TensorBoard whose epoch scalars reach the disk at the end of the epoch, before the
    checkpoint (the summary writer would otherwise hold them for up to two minutes)."""

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


def _keeps_preset_networks(preset, model_kwargs):
    """Whether every constructor argument the preset sets keeps its value in this run."""
    return preset is not None and all(
        _json_ready(model_kwargs.get(key)) == _json_ready(value)
        for key, value in get_preset(preset).model_kwargs.items())


def _json_ready(value):
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_json_ready(v) for v in value]
    return value


def train(model=None, dataset=None, preset=None, output_dir="runs/latest", resume=False,
          distribute="none", seed=None, export_dir=None, data_dir=None, manual_dir=None,
          jit_compile=False, mixed_precision="float32", verbose=None, strategy=None,
          callbacks=(), **overrides):
    """Train and return (model, summary). See the module docstring for what is written.

    `callbacks` are keras callbacks to add to the run's own. A loss or weight that turns NaN or
    infinite stops the epoch; training goes back to the last checkpoint with both learning rates times
    `rollback_lr_factor`, at most `max_rollbacks` times (`summary["rollbacks"]` lists them).
    """
    model, dataset, model_kwargs, settings, preset = resolve(model, dataset, preset, **overrides)
    check_choice("mixed_precision", mixed_precision, PRECISIONS)
    spec = get_dataset(dataset)
    model_class = get_model_class(model)
    accepts = model_arguments(model_class)
    if spec.kind in ("image", "unpaired") and "image_shape" in accepts:
        side = settings["image_size"] or spec.element_shape[0]
        data_shape = (side, side, spec.element_shape[-1])
        if overrides.get("image_size") is not None:  # an explicit size beats the preset's shape
            model_kwargs["image_shape"] = data_shape
        model_kwargs.setdefault("image_shape", data_shape)
        if tuple(model_kwargs["image_shape"]) != data_shape:
            raise ZooError(f"{model} is set to image_shape {tuple(model_kwargs['image_shape'])} but "
                           f"{dataset} gives {data_shape}; pass a matching --image_size")
    else:
        data_shape = tuple(spec.element_shape)
    if seed is not None:
        keras.utils.set_random_seed(seed)
        model_kwargs.setdefault("noise_seed", seed)

    unused = set(model_kwargs) - accepts
    if unused:
        raise ZooError(f"{model} has no setting {', '.join(sorted(unused))}: drop it")

    strategy = strategy or make_strategy(distribute)
    chief = _is_chief(strategy)
    # The model's name, which its exports take. A run that changes the preset's networks (say
    # --image_size=32 on dcgan_celeb_a_64) takes the preset's training defaults but not its name.
    keeps_preset = _keeps_preset_networks(preset, model_kwargs)
    if keeps_preset:
        run_name = preset
    else:
        run_name = f"{model}_{dataset}" + (f"_{settings['image_size']}"
                                           if overrides.get("image_size") else "")
    record = _json_ready({"model": model, "dataset": dataset,
                          "preset": preset if keeps_preset else None,
                          "defaults_from": preset, "model_kwargs": model_kwargs, "train": settings,
                          "command": " ".join(sys.argv)})
    # Only the chief keeps files; other workers write to folders of their own (TF's guide).
    output_dir, previous_record = _check_output_dir(
        _own_folder(output_dir, strategy, chief), resume, record)
    export_dir = _own_folder(export_dir, strategy, chief)

    replicas = strategy.num_replicas_in_sync
    if settings["batch_size"] % replicas:
        raise ZooError(f"batch_size {settings['batch_size']} must be a multiple of the "
                       f"{replicas} replicas")
    settings["steps_per_execution"] = _steps_per_execution(
        settings["steps_per_execution"], settings["steps_per_epoch"], replicas)

    # Layers take their dtype policy when they are made: the policy is set for the build
    # only, and the caller's is back afterwards.
    with _precision_policy(mixed_precision), strategy.scope():
        gan = model_class(**model_kwargs, name=run_name)
        if (settings["batch_size"] // replicas) % getattr(gan, "pack", 1):  # PacGAN; the baselines have no D
            raise ZooError(f"pack={gan.pack} must divide each replica's batch of "
                           f"{settings['batch_size'] // replicas}: change --batch_size or --pack")
        if tuple(gan.sample_shape) != data_shape:
            raise ZooError(f"{model} generates examples of shape {gan.sample_shape} but {dataset} "
                           f"holds {data_shape}; pick a model made for this data")
        _check_data(gan, spec)
        train_data = spec.loader(split="train", batch_size=settings["batch_size"] * gan.minibatches_per_step,
                                 image_size=settings["image_size"], seed=seed, data_dir=data_dir,
                                 manual_dir=manual_dir, repeat=settings["steps_per_epoch"] is not None)
        if gan.data_needs == "labelled_subset":
            images, labels = semi_supervised.labelled_subset(
                spec, gan.labelled_examples, seed=seed or 0, image_size=settings["image_size"],
                data_dir=data_dir, manual_dir=manual_dir)
            train_data = semi_supervised.with_labelled_batches(
                train_data, images, labels, settings["batch_size"] * gan.minibatches_per_step, seed=seed)
        # Across workers, each keeps its share of every global batch (DATA): sharding by files
        # would leave a worker without data where a source has fewer files than workers (tfds'
        # MNIST is one file). A partition only when every worker shuffles alike: pass a seed.
        options = tf.data.Options()
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
        train_data = train_data.with_options(options)
        if spec.kind == "unpaired":  # the test images each epoch's picture translates
            pairs = list(spec.loader(split="test", batch_size=1, image_size=settings["image_size"],
                                     shuffle=False, data_dir=data_dir, manual_dir=manual_dir).take(8))
            gan.set_sample_inputs(*(np.concatenate([pair[i] for pair in pairs]) for i in (0, 1)))
        steps = settings["steps_per_epoch"] or int(train_data.cardinality())
        if steps < 1 and settings["lr_decay"]:
            raise ZooError(f"the length of {dataset} is unknown, so the learning-rate decay has "
                           "no end: pass --steps_per_epoch")
        total_steps = steps * settings["epochs"]
        loss_scaling = mixed_precision == "float16"
        optimizers = {"g_optimizer": _optimizer(settings["g_lr"], settings, total_steps, loss_scaling)}
        if "d_optimizer" in gan.optimizer_names:
            optimizers["d_optimizer"] = _optimizer(settings["d_lr"], settings,
                                                   total_steps * gan.d_steps, loss_scaling)
        gan.compile(**optimizers, jit_compile=jit_compile,
                    steps_per_execution=settings["steps_per_execution"])

    checkpoint_dir = os.path.join(output_dir, CHECKPOINT_DIR)
    checkpoint = recovery.CrashSafeBackup(checkpoint_dir)
    if resume:
        recovery.adopt_keras_checkpoint(checkpoint_dir)
    restored_epoch = _checkpointed_epoch(output_dir)
    result_file = os.path.join(output_dir, RESULT_FILE)
    finished = _read_json(result_file) if restored_epoch >= settings["epochs"] else None
    if finished and finished.get("completed_epochs") == restored_epoch:
        # The run reached its epochs and saved and exported them: bring the model back and
        # write nothing (no second export version of the same weights, no TensorBoard run).
        checkpoint.set_model(gan)
        checkpoint.on_train_begin()
        epochs = f"{restored_epoch} epoch" + ("s" if restored_epoch != 1 else "")
        finished["note"] = (f"this run already finished {epochs}, nothing to do; "
                            f"pass --epochs larger than {restored_epoch} to train on")
        return gan, finished
    _check_free_space(gan, [output_dir] + ([export_dir] if export_dir else []), checkpoint.keep)
    _write_record(output_dir, record)  # only now: a refused run leaves nothing behind
    planned_epochs = previous_record["train"]["epochs"] if previous_record else settings["epochs"]
    if settings["lr_decay"] and 0 < restored_epoch < settings["epochs"] != planned_epochs:
        logging.warning("lr_decay=%s: this run was planned for %s epochs and now ends at %d; the "
                        "decay is laid out again over the new length, so the learning rate rises "
                        "from where it had decayed to", settings["lr_decay"], planned_epochs,
                        settings["epochs"])

    eval_samples = spec.eval_samples if settings["eval_samples"] is None else settings["eval_samples"]
    evaluate = (evaluator_for(dataset, gan.sample_shape, data_dir=data_dir, manual_dir=manual_dir)
                if eval_samples else None)
    history = EpochHistory(os.path.join(output_dir, HISTORY_FILE), restored_epoch)
    callbacks = [
        *callbacks,
        # First of the run's own, so that the history, the checkpoint's and TensorBoard's logs
        # hold its figures.
        *([SampleQuality(evaluate, eval_samples, settings["eval_every"], SAMPLE_SEED + 1)]
          if evaluate is not None and settings["eval_every"] else []),
        # Everything an epoch writes is written before its checkpoint, which commits it: a run
        # killed in between trains that epoch again and writes it again, and loses nothing.
        *([TimeBudget(settings["time_budget"])] if settings["time_budget"] else []),
        history,
        FlushedTensorBoard(os.path.join(output_dir, "logs"), write_graph=False),
        SampleGrid(os.path.join(output_dir, "samples"), 2000 if spec.kind == "toy" else 64),
        checkpoint,
    ]
    if verbose is None:
        verbose = 1 if sys.stdout.isatty() else 2
    with recovery.disk_errors(checkpoint_dir):
        rollbacks = _fit_rolling_back(gan, train_data, settings, callbacks, checkpoint, verbose)

        # Keras trains nothing when the checkpoint is at or past --epochs (a run that crashed
        # after its last epoch): it is saved and exported all the same.
        summary = {"output_dir": output_dir, "completed_epochs": _checkpointed_epoch(output_dir),
                   "history": history.as_columns()}
        if rollbacks:
            summary["rollbacks"] = rollbacks
        if evaluate is not None:
            summary["metrics"] = evaluate(gan.generate(eval_samples, seed=SAMPLE_SEED + 1))
            _write_json(os.path.join(output_dir, "metrics.json"), summary["metrics"])
        summary["model_dir"] = save(gan, os.path.join(output_dir, FINAL_MODEL_DIR),
                                    extra={"dataset": dataset, "preset": record["preset"]})
        summary["export"] = export(gan, export_dir or os.path.join(output_dir, "export"))
        _write_json(result_file, summary)
    return gan, summary


def _check_data(gan, spec):
    """The dataset holds what the model learns from: unpaired domains for a translation
    model (and for no other), labels (as many classes) for a conditional or semi-supervised one."""
    if (gan.data_needs == "pairs") != (spec.kind == "unpaired"):
        raise ZooError(f"{spec.name} holds unpaired domains: train a translation model on it "
                       "(e.g. cyclegan)" if spec.kind == "unpaired" else
                       f"{gan.registered_name} translates between two domains and {spec.name} "
                       "holds one: pick an unpaired dataset (e.g. horse2zebra)")
    if gan.data_needs in ("examples", "pairs"):
        return
    if spec.num_classes is None:
        raise ZooError(f"{gan.registered_name} learns from labels and {spec.name} has none: "
                       "pick a labelled dataset (e.g. mnist)")
    if gan.num_classes != spec.num_classes:
        raise ZooError(f"{gan.registered_name} is set to {gan.num_classes} classes but "
                       f"{spec.name} has {spec.num_classes}: pass num_classes={spec.num_classes}")


def _fit_rolling_back(gan, train_data, settings, callbacks, checkpoint, verbose):
    """`gan.fit`, started again from the last checkpoint each time training diverges.

    Returns the rollbacks made, one dict each; raises a ZooError when a divergence follows
    `max_rollbacks` of them."""
    rollbacks = []
    learning_rate_scale = 1.0
    while True:
        guard = recovery.DivergenceGuard(learning_rate_scale)
        # The guard goes before the run's writers: they take its verdict on each epoch.
        gan.fit(train_data, epochs=settings["epochs"], steps_per_epoch=settings["steps_per_epoch"],
                callbacks=[guard, *callbacks], shuffle=False, verbose=verbose)
        if guard.diverged_at is None:
            return rollbacks
        epoch, step, logs = guard.diverged_at
        losses = ", ".join(f"{name} {value:g}" for name, value in logs.items())
        restored = recovery.checkpointed_epoch(checkpoint.backup_dir)
        if len(rollbacks) == settings["max_rollbacks"]:
            raise ZooError(f"training diverged at epoch {epoch}, step {step} ({losses}) after "
                           f"{len(rollbacks)} rollbacks; the checkpoint of epoch {restored} is "
                           "intact: lower --g_lr and --d_lr and run again with --resume")
        learning_rate_scale = settings["rollback_lr_factor"]
        rollbacks.append({"epoch": epoch, "step": step, "losses": losses, "restored_epoch": restored,
                          "learning_rate_factor": learning_rate_scale})
        logging.warning("training diverged at epoch %d, step %d (a NaN or infinite loss or "
                        "weight; %s): rolling back to the checkpoint of epoch %d with the learning "
                        "rates times %g", epoch, step, losses, restored, learning_rate_scale)
