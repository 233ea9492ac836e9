"""Training a registered model on a registered dataset: what `train.py` runs.

`train()` takes six steps, each a function below: resolve the settings (defaults, then the
preset, then explicit overrides: `plan_run`), check the run folder (`_open_run_folder`),
build and compile the model under the chosen `tf.distribute` strategy with its data
(`_build`), restore the last checkpoint (`_restore`), fit with the run's callbacks
(zoo.callbacks), rolling back from divergence (`_fit_rolling_back`), and finish: measure,
save the model and export the generator for TF Serving (`_finish`). zoo.run_folder lists
the files a run writes.
"""

import contextlib
import dataclasses
import json
import os
import re
import sys
import time
from typing import Optional

import keras
import numpy as np
import tensorflow as tf
from absl import logging

from zoo import memory, recovery, run_folder
from zoo.callbacks import QUALITY_SEED, run_callbacks
from zoo.checks import (check_choice, check_fraction, check_positive, check_positive_int,
                        check_seed)
from zoo.choices import LR_DECAYS, OPTIMIZERS, PRECISIONS, STRATEGIES
from zoo.data import DataSource, first_test_pairs, training_batches
from zoo.errors import ZooError
from zoo.metrics.quality import evaluator_for, translation_evaluator_for
from zoo.optimizers import make_optimizer
from zoo.registry import find_preset, get_dataset, get_model_class, get_preset, list_models
from zoo.remedies import REMEDIES
from zoo.saving import FINAL_MODEL_DIR, model_arguments, save
from zoo.serving import export


@dataclasses.dataclass
class TrainSettings:
    """The training loop's settings, which a preset or the caller may set; checked when made."""

    batch_size: int = 64
    epochs: int = 10
    steps_per_epoch: Optional[int] = None  # None: one pass over the data
    g_lr: float = 2e-4
    d_lr: float = 2e-4
    beta_1: float = 0.5
    beta_2: float = 0.999
    lr_decay: Optional[str] = None  # one of zoo.optimizers.LR_DECAYS
    image_size: Optional[int] = None  # None: the dataset's own
    steps_per_execution: int = 1
    eval_every: int = 0  # measure samples every this many epochs (0: at the end only)
    eval_samples: Optional[int] = None  # None: the dataset's own count; 0: measure nothing
    max_rollbacks: int = 3
    rollback_lr_factor: float = 0.5
    optimizer: str = "adam"
    time_budget: Optional[float] = None  # seconds
    log_every_steps: int = 0  # each step's losses to TensorBoard every this many steps (0: off)

    def __post_init__(self):
        for key in ("batch_size", "epochs", "steps_per_execution"):
            check_positive_int(key, getattr(self, key))
        for key in ("steps_per_epoch", "image_size"):
            if getattr(self, key) is not None:
                check_positive_int(key, getattr(self, key))
        for key in ("g_lr", "d_lr"):
            check_positive(key, getattr(self, key))
        for key in ("beta_1", "beta_2"):
            check_fraction(key, getattr(self, key))
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_choice("lr_decay", self.lr_decay, LR_DECAYS)
        self._check_rollbacks()
        self._check_measuring()
        if self.log_every_steps:
            check_positive_int("log_every_steps", self.log_every_steps)
        budget = self.time_budget
        if budget is not None and (isinstance(budget, bool) or not isinstance(budget, (int, float))
                                   or not budget > 0):
            raise ZooError(f"time_budget must be a positive number of seconds, got {budget!r}")

    def _check_rollbacks(self):
        if isinstance(self.max_rollbacks, bool) or not isinstance(self.max_rollbacks, int) \
                or self.max_rollbacks < 0:
            raise ZooError(f"max_rollbacks must be 0 (stop at the first divergence) or a positive "
                           f"integer, got {self.max_rollbacks!r}")
        if not 0 < self.rollback_lr_factor <= 1:
            raise ZooError(f"rollback_lr_factor must be in (0, 1], got {self.rollback_lr_factor!r}")

    def _check_measuring(self):
        if isinstance(self.eval_every, bool) or not isinstance(self.eval_every, int) \
                or self.eval_every < 0:
            raise ZooError(f"eval_every must be 0 (measure at the end only) or a positive number of "
                           f"epochs, got {self.eval_every!r}")
        samples = self.eval_samples
        if samples is not None and (isinstance(samples, bool) or not isinstance(samples, int)
                                    or samples < 0):
            raise ZooError(f"eval_samples must be 0 (measure nothing) or a positive integer, "
                           f"got {samples!r}")
        if self.eval_samples == 0 and self.eval_every:
            raise ZooError(f"eval_every={self.eval_every} measures samples and eval_samples=0 "
                           "measures none: drop one of them")


TRAIN_DEFAULTS = {field.name: field.default for field in dataclasses.fields(TrainSettings)}
# Overrides that belong to the model's constructor rather than to the training loop.
MODEL_OVERRIDES = ("latent_dim", "d_steps", "loss", "d_normalization", "updates", *REMEDIES)


def resolve(model=None, dataset=None, preset=None, **overrides):
    """(model name, dataset name, model kwargs, TrainSettings, preset name) from a preset and
    overrides."""
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
    # plan_run() with the model's name ("dcgan has no setting labelled_examples").
    model_options = set(MODEL_OVERRIDES).union(*(model_arguments(get_model_class(name))
                                                 for name in list_models()))
    overrides = {key: value for key, value in overrides.items() if value is not None}
    unknown = set(overrides) - set(TRAIN_DEFAULTS) - model_options
    if unknown:
        raise ZooError(f"unknown training settings {sorted(unknown)}: known are "
                       f"{sorted(TRAIN_DEFAULTS)} and the models' arguments (zoo.create)")
    model_kwargs = dict(chosen.model_kwargs) if chosen else {}
    settings = dict(chosen.train) if chosen else {}
    for key, value in overrides.items():
        (settings if key in TRAIN_DEFAULTS else model_kwargs)[key] = value
    _check_adam_only(overrides, settings.get("optimizer", TRAIN_DEFAULTS["optimizer"]))
    return model, dataset, model_kwargs, TrainSettings(**settings), (chosen.name if chosen else None)


def _check_adam_only(overrides, optimizer):
    """Refuses Adam's moment decays given for a run that trains with another optimizer, which
    would not read them."""
    given = [key for key in ("beta_1", "beta_2") if key in overrides]
    if given and optimizer != "adam":
        raise ZooError(f"{' and '.join(given)} {'is' if len(given) == 1 else 'are'} Adam's and this "
                       f"run trains with {optimizer}: drop {'it' if len(given) == 1 else 'them'} or "
                       "pass --optimizer=adam")


@dataclasses.dataclass
class RunPlan:
    """What a run trains, on what, under which name, and the record run.json keeps of it."""

    model: str
    dataset: str
    model_kwargs: dict
    settings: TrainSettings
    preset: Optional[str]  # the preset whose defaults the run takes
    data_shape: tuple
    run_name: str  # the model's name, which its exports take
    record: dict


def plan_run(model, dataset, preset, seed, overrides):
    """The RunPlan of `train`'s arguments, every setting checked against model and data."""
    seed = check_seed("seed", seed)
    model, dataset, model_kwargs, settings, preset = resolve(model, dataset, preset, **overrides)
    data_shape = _data_shape(model, dataset, model_kwargs, settings, overrides)
    if seed is not None:
        model_kwargs.setdefault("noise_seed", seed)
    unused = set(model_kwargs) - model_arguments(get_model_class(model))
    if unused:
        raise ZooError(f"{model} has no setting {', '.join(sorted(unused))}: drop it")
    # A run that changes the preset's networks (say --image_size=32 on dcgan_celeb_a_64)
    # takes the preset's training defaults but not its name.
    keeps_preset = _keeps_preset_networks(preset, model_kwargs)
    run_name = preset if keeps_preset else f"{model}_{dataset}" + (
        f"_{settings.image_size}" if overrides.get("image_size") else "")
    record = _json_ready({"model": model, "dataset": dataset,
                          "preset": preset if keeps_preset else None, "defaults_from": preset,
                          "model_kwargs": model_kwargs, "train": dataclasses.asdict(settings),
                          "command": " ".join(sys.argv)})
    return RunPlan(model, dataset, model_kwargs, settings, preset, data_shape, run_name, record)


def _data_shape(model, dataset, model_kwargs, settings, overrides):
    """The shape of one training example; an image model's image_shape set to it."""
    spec = get_dataset(dataset)
    if spec.kind not in ("image", "unpaired") or "image_shape" not in model_arguments(
            get_model_class(model)):
        return tuple(spec.element_shape)
    side = settings.image_size or spec.element_shape[0]
    data_shape = (side, side, spec.element_shape[-1])
    if overrides.get("image_size") is not None:  # an explicit size beats the preset's shape
        model_kwargs["image_shape"] = data_shape
    model_kwargs.setdefault("image_shape", data_shape)
    if tuple(model_kwargs["image_shape"]) != data_shape:
        raise ZooError(f"{model} is set to image_shape {tuple(model_kwargs['image_shape'])} but "
                       f"{dataset} gives {data_shape}; pass a matching --image_size")
    return data_shape


def make_strategy(distribute):
    """The tf.distribute strategy for --distribute (multiworker reads TF_CONFIG)."""
    if distribute == "none":
        return tf.distribute.get_strategy()
    if distribute == "mirrored":
        return tf.distribute.MirroredStrategy()
    if distribute == "multiworker":
        _check_tf_config(os.environ.get("TF_CONFIG"))
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ZooError(f"distribute must be one of {STRATEGIES}, got {distribute!r}")


def _check_tf_config(text):
    """TF_CONFIG, where set, must be the JSON object TensorFlow reads (cluster and task)."""
    if not text:
        return
    try:
        config = json.loads(text)
    except json.JSONDecodeError as error:
        raise ZooError(f"TF_CONFIG is not valid JSON ({error}): set it to "
                       '{"cluster": {"worker": [...]}, "task": {"type": "worker", "index": 0}}') from None
    if not isinstance(config, dict) or not isinstance(config.get("cluster", {}), dict) \
            or not isinstance(config.get("task", {}), dict):
        raise ZooError("TF_CONFIG must be a JSON object with a \"cluster\" object and a \"task\" "
                       f"object, got {text[:60]!r}")


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
    """Train and return (model, summary). See the module docstring for the steps.

    `callbacks` are keras callbacks to add to the run's own. A loss or weight that turns NaN or
    infinite stops the epoch; training goes back to the last checkpoint with both learning rates times
    `rollback_lr_factor`, at most `max_rollbacks` times (`summary["rollbacks"]` lists them).
    """
    plan = plan_run(model, dataset, preset, seed, overrides)
    check_choice("mixed_precision", mixed_precision, PRECISIONS)
    if seed is not None:
        keras.utils.set_random_seed(seed)
    strategy = strategy or make_strategy(distribute)
    output_dir, export_dir, previous_record = _open_run_folder(plan, strategy, output_dir,
                                                               export_dir, resume)
    source = DataSource(data_dir, manual_dir, plan.settings.image_size, seed)
    gan, train_data = _build(plan, strategy, source, mixed_precision, jit_compile)
    checkpoint, restored_epoch, finished = _restore(gan, output_dir, plan.settings, resume)
    if finished:
        return gan, finished
    run_folder.check_free_space(gan, [output_dir] + ([export_dir] if export_dir else []),
                                checkpoint.keep)
    measure, measured = _measurement(gan, plan, data_dir, manual_dir)
    run_folder.write_record(output_dir, plan.record)  # only now: a refused run leaves nothing
    _warn_if_decay_moves(plan.settings, previous_record, restored_epoch)

    fit_callbacks, history = run_callbacks(
        output_dir, plan.settings, _learning_rates(gan, plan.settings), restored_epoch,
        checkpoint, measure, get_dataset(plan.dataset).grid_samples, callbacks)
    if verbose is None:
        verbose = 1 if sys.stdout.isatty() else 2
    started = time.monotonic()
    with recovery.disk_errors(checkpoint.backup_dir):
        rollbacks = _fit_rolling_back(gan, train_data, plan.settings, fit_callbacks, checkpoint,
                                      verbose)
        summary = _finish(gan, plan, output_dir, export_dir, history.as_columns(), rollbacks,
                          measure, measured, verbose)
    summary["train_seconds"] = round(time.monotonic() - started, 1)
    return gan, summary


def _open_run_folder(plan, strategy, output_dir, export_dir, resume):
    """(output_dir, export_dir, the run's previous record or None), both folders checked.

    Only the chief keeps files; other workers write to folders of their own (TF's guide)."""
    chief = _is_chief(strategy)
    output_dir, previous_record = run_folder.check_output_dir(
        run_folder.own_folder(output_dir, strategy, chief), resume, plan.record)
    export_dir = run_folder.own_folder(export_dir, strategy, chief)
    if export_dir is not None:
        export_dir = run_folder.check_writable_dir("--export_dir", export_dir)
    return output_dir, export_dir, previous_record


# A step holds each layer's output and, while it goes back through the networks, a gradient
# of the same size: at most twice the activations (a step of DCGAN or CycleGAN grows by about
# 1.5 times its layer outputs per example added to the batch).
ACTIVATION_COPIES = 2
# Floats a step holds per value of its input batch at the least (the DCGAN networks'
# activations and gradients for the real and the generated batch), where layers can't be read.
ACTIVATIONS_PER_INPUT_VALUE = 16
# What a step keeps per weight besides the weight: its gradient and Adam's two moments.
COPIES_PER_WEIGHT = 3


def _check_batch_fits(gan, batch_size, spec):
    """Refuse a batch the data can't fill (fit would wait for it forever) or memory can't hold."""
    needed = batch_size * gan.minibatches_per_step
    if spec.num_examples and needed > spec.num_examples:
        raise ZooError(f"a step takes {needed:,} examples and {spec.name} has "
                       f"{spec.num_examples:,}: lower --batch_size")
    weights = sum(int(np.prod(v.shape)) for v in gan.variables)
    networks = [layer for layer in gan.layers if isinstance(layer, keras.Model)]
    per_example = memory.activation_floats_per_example(networks)
    activations = max(ACTIVATION_COPIES * batch_size * per_example,
                      needed * int(np.prod(gan.sample_shape)) * ACTIVATIONS_PER_INPUT_VALUE)
    memory.check_fits(f"training {gan.name} on batches of {batch_size}",
                      memory.FLOAT32_BYTES * (weights * (1 + COPIES_PER_WEIGHT) + activations),
                      "lower --batch_size, --image_size or the networks' size")


def _build(plan, strategy, source, mixed_precision, jit_compile):
    """(the compiled model, its training batches), made under `strategy` and the precision
    policy (layers take their dtype policy when they are made: the caller's is back after)."""
    settings, spec = plan.settings, get_dataset(plan.dataset)
    replicas = strategy.num_replicas_in_sync
    if settings.batch_size % replicas:
        raise ZooError(f"batch_size {settings.batch_size} must be a multiple of the "
                       f"{replicas} replicas")
    settings.steps_per_execution = _steps_per_execution(
        settings.steps_per_execution, settings.steps_per_epoch, replicas)
    with _precision_policy(mixed_precision), strategy.scope():
        gan = get_model_class(plan.model)(**plan.model_kwargs, name=plan.run_name)
        gan.check_replica_batch(settings.batch_size // replicas)
        _check_batch_fits(gan, settings.batch_size, spec)
        if tuple(gan.sample_shape) != plan.data_shape:
            raise ZooError(f"{plan.model} generates examples of shape {gan.sample_shape} but "
                           f"{plan.dataset} holds {plan.data_shape}; pick a model made for this data")
        _check_data(gan, spec)
        train_data = training_batches(spec, gan.data_needs, settings.batch_size * gan.minibatches_per_step,
                                      source, gan.labelled_examples, gan.labelled_seed,
                                      repeat=settings.steps_per_epoch is not None)
        if gan.sample_inputs_count:
            gan.set_sample_inputs(*first_test_pairs(spec, gan.sample_inputs_count, source))
        steps = settings.steps_per_epoch or int(train_data.cardinality())
        if steps < 1 and settings.lr_decay:
            raise ZooError(f"the length of {plan.dataset} is unknown, so the learning-rate decay "
                           "has no end: pass --steps_per_epoch")
        learning_rates = _learning_rates(gan, settings)
        optimizers = {name: make_optimizer(learning_rates[name], settings,
                                           steps * settings.epochs * gan.updates_per_step(name),
                                           loss_scaling=mixed_precision == "float16")
                      for name in gan.optimizer_names}
        gan.compile(**optimizers, jit_compile=jit_compile,
                    steps_per_execution=settings.steps_per_execution)
        gan.initialize_from_data(train_data)  # before _restore, whose weights then win
    return gan, train_data


def _learning_rates(gan, settings):
    """{optimizer attribute: its learning rate}: "g_optimizer" takes g_lr, "d_optimizer" d_lr."""
    given = {"g_optimizer": settings.g_lr, "d_optimizer": settings.d_lr}
    return {name: given[name] for name in gan.optimizer_names}


def _restore(gan, output_dir, settings, resume):
    """(the checkpoint callback, the epoch restored, the finished run's summary or None).

    A run that reached its epochs and saved and exported them is brought back and writes
    nothing (no second export version of the same weights, no TensorBoard run)."""
    checkpoint_dir = os.path.join(output_dir, run_folder.CHECKPOINT_DIR)
    if os.path.exists(checkpoint_dir) and not os.path.isdir(checkpoint_dir):
        raise ZooError(f"{checkpoint_dir} is a file where the checkpoints' folder belongs; the run "
                       "directory is damaged: restore or delete that file")
    checkpoint = recovery.CrashSafeBackup(checkpoint_dir)
    if resume:
        recovery.adopt_keras_checkpoint(checkpoint_dir)
    restored_epoch = run_folder.checkpointed_epoch(output_dir)
    finished = (run_folder.read_json(os.path.join(output_dir, run_folder.RESULT_FILE), kind=dict)
                if restored_epoch >= settings.epochs else None)
    if not finished or finished.get("completed_epochs") != restored_epoch:
        return checkpoint, restored_epoch, None
    checkpoint.set_model(gan)
    checkpoint.on_train_begin()
    epochs = f"{restored_epoch} epoch" + ("s" if restored_epoch != 1 else "")
    finished["note"] = (f"this run already finished {epochs}, nothing to do; "
                        f"pass --epochs larger than {restored_epoch} to train on")
    return checkpoint, restored_epoch, finished


def _warn_if_decay_moves(settings, previous_record, restored_epoch):
    planned_epochs = previous_record["train"]["epochs"] if previous_record else settings.epochs
    if settings.lr_decay and 0 < restored_epoch < settings.epochs != planned_epochs:
        logging.warning("lr_decay=%s: this run was planned for %s epochs and now ends at %d; the "
                        "decay is laid out again over the new length, so the learning rate rises "
                        "from where it had decayed to", settings.lr_decay, planned_epochs,
                        settings.epochs)


def _measurement(gan, plan, data_dir, manual_dir):
    """(model -> figures, what it measures in words): what the run measures every eval_every
    epochs and at its end (a generator's eval_samples samples, a translator's test
    translations), or (None, None). A run that asks for figures every few epochs where nothing
    can measure them is refused."""
    spec = get_dataset(plan.dataset)
    eval_samples = spec.eval_samples if plan.settings.eval_samples is None \
        else plan.settings.eval_samples
    if not eval_samples:
        return None, None
    measure, measured = _measure_for(gan, plan.dataset, eval_samples, data_dir, manual_dir)
    if measure is None and plan.settings.eval_every:
        raise ZooError(f"eval_every={plan.settings.eval_every}: nothing measures {plan.model} "
                       f"on {plan.dataset} at this size (no shipped classifier takes "
                       f"{tuple(gan.sample_shape)} samples); drop --eval_every")
    return measure, measured


def _measure_for(gan, dataset, eval_samples, data_dir, manual_dir):
    if gan.data_needs == "pairs":  # a translator: its test translations, both ways
        measure = translation_evaluator_for(dataset, gan.image_shape, data_dir=data_dir,
                                            manual_dir=manual_dir)
        return (measure, f"its translations of the {dataset} test images, both ways") \
            if measure else (None, None)
    evaluate = evaluator_for(dataset, gan.sample_shape, data_dir=data_dir, manual_dir=manual_dir)
    if evaluate is None:
        return None, None
    return (lambda model: evaluate(model.generate(eval_samples, seed=QUALITY_SEED)),
            f"{eval_samples:,} samples against real {dataset} data")


def _finish(gan, plan, output_dir, export_dir, history, rollbacks, measure, measured,
            verbose=0):
    """The run's summary, written last (result.json) after the metrics, model and export.

    Keras trains nothing when the checkpoint is at or past --epochs (a run that crashed after
    its last epoch): it is saved and exported all the same."""
    summary = {"output_dir": output_dir, "dataset": plan.dataset,
               "completed_epochs": run_folder.checkpointed_epoch(output_dir), "history": history}
    if rollbacks:
        summary["rollbacks"] = rollbacks
    if measure is not None:
        if verbose:  # the measurement takes a while: say what it is doing
            print(f"measuring {measured} ...", flush=True)
        summary["metrics"] = measure(gan)
        run_folder.write_json(os.path.join(output_dir, run_folder.METRICS_FILE), summary["metrics"])
    summary["model_dir"] = save(gan, os.path.join(output_dir, FINAL_MODEL_DIR),
                                extra={"dataset": plan.dataset, "preset": plan.record["preset"]})
    summary["export"] = export(gan, export_dir or os.path.join(output_dir, run_folder.EXPORT_DIR))
    run_folder.write_json(os.path.join(output_dir, run_folder.RESULT_FILE), summary)
    return summary


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




def _damaged_data_error(error):
    """The ZooError for a DataLossError that reading the prepared data raised."""
    found = re.search(r"(truncated|corrupted) record[^\n:']*", error.message)
    what = found.group(0).strip() if found else "a record does not read back"
    return ZooError(f"the prepared data are damaged ({what}): delete the dataset's folder under "
                    "--data_dir (or $ZOO_DATA_DIR) so that it is prepared again, then run again "
                    "with --resume")


def _fit_rolling_back(gan, train_data, settings, callbacks, checkpoint, verbose):
    """`gan.fit`, started again from the last checkpoint each time training diverges.

    Returns the rollbacks made, one dict each; raises a ZooError when a divergence follows
    `max_rollbacks` of them."""
    rollbacks = []
    learning_rate_scale = 1.0
    while True:
        guard = recovery.DivergenceGuard(learning_rate_scale)
        # The guard goes before the run's writers: they take its verdict on each epoch.
        try:
            gan.fit(train_data, epochs=settings.epochs, steps_per_epoch=settings.steps_per_epoch,
                    callbacks=[guard, *callbacks], shuffle=False, verbose=verbose)
        except tf.errors.DataLossError as error:  # a damaged record in the prepared data
            raise _damaged_data_error(error) from None
        if guard.diverged_at is None:
            return rollbacks
        epoch, step, logs = guard.diverged_at
        losses = ", ".join(f"{name} {value:g}" for name, value in logs.items())
        restored = recovery.checkpointed_epoch(checkpoint.backup_dir)
        if len(rollbacks) == settings.max_rollbacks:
            raise ZooError(f"training diverged at epoch {epoch}, step {step} ({losses}) after "
                           f"{len(rollbacks)} rollbacks; the checkpoint of epoch {restored} is "
                           "intact: lower --g_lr and --d_lr and run again with --resume")
        learning_rate_scale = settings.rollback_lr_factor
        rollbacks.append({"epoch": epoch, "step": step, "losses": losses, "restored_epoch": restored,
                          "learning_rate_factor": learning_rate_scale})
        logging.warning("training diverged at epoch %d, step %d (a NaN or infinite loss or "
                        "weight; %s): rolling back to the checkpoint of epoch %d with the learning "
                        "rates times %g", epoch, step, losses, restored, learning_rate_scale)
