"""Saving and loading trained models: a run directory, or a shipped preset.

A saved model is a folder with `config.json` (model name and constructor arguments),
`generator.weights.h5` (and `encoder.weights.h5` for the models that learn one: every
network of `gan.generator_networks()`) and, where kept, `discriminator.weights.h5`. A model with generator
EMA on also keeps its averaged networks (`generator_average.weights.h5`, ...), which inference reads; a
shipped preset keeps only those, as its generator (loaded, the average starts from them). Writes
go to a temporary folder that is renamed into place, so a crash never leaves half a model.

Keras' own format works too: every registered model class is registered with Keras
(package "zoo"), so `gan.save("x.keras")` then `keras.saving.load_model("x.keras")` or
`zoo.load("x.keras")` gives the model back, every network and its average included, training
on with its own train_step (load_model compiles it again with the saved optimizers and their
state; zoo.load leaves it uncompiled, for inference). The folder is what the zoo writes itself (a run's model, presets):
its files can be checked one by one and a preset can keep the generator alone.
"""

import hashlib
import inspect
import json
import os
import re
import shutil
import tempfile

from zoo.errors import ZooError
from zoo.registry import get_model_class, get_preset
from zoo.remedies import ALL_REMEDIES

CONFIG_FILE = "config.json"
GENERATOR_FILE = "generator.weights.h5"  # weights_file("generator")
DISCRIMINATOR_FILE = "discriminator.weights.h5"
DISCRIMINATOR_AVERAGE_FILE = "discriminator_average.weights.h5"  # sgan's averaged classifier
AVERAGE_SUFFIX = "_average"  # generator_average.weights.h5: the averaged generator (EMA)
FINAL_MODEL_DIR = "model"  # inside a run directory


def create(name, /, **kwargs):
    """A new, untrained model by registered name: `zoo.create("dcgan", image_shape=(28, 28, 1))`."""
    cls = get_model_class(name)
    accepted = model_arguments(cls)
    unknown = sorted(set(kwargs) - accepted)
    if unknown:
        raise ZooError(f"{name} takes no argument {', '.join(map(repr, unknown))}; it takes "
                       f"{', '.join(sorted(accepted))}")
    return cls(**kwargs)


def model_arguments(cls):
    """Constructor arguments of a model class, its bases' included (up to keras.Model), and
    for a GAN every remedy of zoo.remedies (a model refuses those it lacks, saying why)."""
    names = {"name"} | (ALL_REMEDIES if hasattr(cls, "remedies") else set())
    for klass in cls.__mro__:
        if klass.__module__.startswith("keras"):
            break
        names |= {p.name for p in inspect.signature(klass.__init__).parameters.values()
                  if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "self"}
    return names


def save(gan, directory, extra=None, keep_discriminator=True):
    """Write `gan` to `directory` (created; an existing one is replaced only once the new one is whole).

    Without the discriminator (a preset), a model with EMA on keeps its averaged generator-side
    networks in place of the raw ones: what inference reads, at half the size. A model whose
    inference reads its discriminator (sgan's `classify`) keeps it all the same.
    """
    directory = os.path.abspath(directory)
    parent = os.path.dirname(directory)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".saving-", dir=parent)
    try:
        with open(os.path.join(staging, CONFIG_FILE), "w") as f:
            json.dump({"model": gan.registered_name, "config": gan.get_config(), **(extra or {})},
                      f, indent=2)
        if keep_discriminator:
            _save_generator_networks(gan, staging)
            if gan.generator_average is not None:
                with gan.averaged_weights():
                    _save_generator_networks(gan, staging, AVERAGE_SUFFIX)
            if hasattr(gan, "discriminator"):  # the baselines have none
                _save_discriminator(gan, staging)
        else:
            with gan.averaged_weights():
                _save_generator_networks(gan, staging)
            if gan.inference_needs_discriminator:  # a classifier (sgan): the preset keeps it
                with gan.averaged_discriminator():
                    gan.discriminator.save_weights(os.path.join(staging, DISCRIMINATOR_FILE))
        if os.path.exists(directory):
            old = directory + ".old"
            shutil.rmtree(old, ignore_errors=True)
            os.rename(directory, old)
            os.rename(staging, directory)
            shutil.rmtree(old)
        else:
            os.rename(staging, directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return directory


def _save_discriminator(gan, folder):
    gan.discriminator.save_weights(os.path.join(folder, DISCRIMINATOR_FILE))
    if getattr(gan, "discriminator_average", None) is not None:
        with gan.averaged_discriminator():
            gan.discriminator.save_weights(os.path.join(folder, DISCRIMINATOR_AVERAGE_FILE))


def _load_average(average, sources, paths, load):
    """Fill `average` (of the variables `sources`) by `load()`ing the weight files `paths`
    into the sources while they hold the average; where none of them was saved (a preset,
    which keeps the average as its weights) the average starts from the loaded sources."""
    if not any(os.path.exists(path) for path in paths):
        average.restart(sources)
        return
    with average.exchanged(sources):  # what is loaded here becomes the average on leaving
        load()


def _load_discriminator(gan, model_dir, model_name):
    """The discriminator's weights and, when the model averages them, their average."""
    _load_weights(gan.discriminator, os.path.join(model_dir, DISCRIMINATOR_FILE), model_name)
    if getattr(gan, "discriminator_average", None) is None:
        return
    averaged = os.path.join(model_dir, DISCRIMINATOR_AVERAGE_FILE)
    _load_average(gan.discriminator_average, gan.discriminator.trainable_variables, [averaged],
                  lambda: _load_weights(gan.discriminator, averaged, model_name))


def _save_generator_networks(gan, folder, suffix=""):
    for name, network in gan.generator_networks().items():  # the generator, an encoder
        network.save_weights(os.path.join(folder, weights_file(name + suffix)))


def weights_file(network_name):
    return f"{network_name}.weights.h5"


def _model_dir(path):
    """A saved-model folder, or a run directory holding one."""
    for candidate in (path, os.path.join(path, FINAL_MODEL_DIR)):
        if os.path.isfile(os.path.join(candidate, CONFIG_FILE)):
            return candidate
    return None


def load(name_or_path):
    """A trained model from a run directory, a saved-model folder, a `.keras` file (Keras'
    safe mode on) or a preset name."""
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise ZooError(f"load takes a preset name or a folder's path, got {name_or_path!r}")
    path = os.fspath(name_or_path)
    if os.path.isdir(path):
        model_dir = _model_dir(path)
        if model_dir is None:
            raise ZooError(f"{path} holds no trained model ({CONFIG_FILE} not found there or in "
                           f"{FINAL_MODEL_DIR}/): pass a run directory whose training finished")
        return _load_dir(model_dir)
    if path.endswith(".keras") and os.path.isfile(path):
        from zoo.registry import list_models
        list_models()  # imports the variants, which registers their classes with Keras
        return load_keras_file(path)
    if os.path.exists(path):
        raise ZooError(f"{path} is a file; pass a run directory, a .keras file or a preset name")
    if os.sep in path or path.startswith("."):
        raise ZooError(f"{path} does not exist; pass a run directory or a preset name")
    preset = get_preset(path)
    if not preset.weights:
        raise ZooError(f"preset {path!r} ships no weights yet: train it with "
                       f"`python train.py --preset={path}` and load the run directory")
    return load_preset_weights(preset)


def load_keras_file(path, safe_mode=True):
    """A whole Keras model from a `.keras` file: a zoo model `model.save` wrote, or say a
    generator trained outside the zoo.

    Keras' safe mode is on: a file whose layers carry Python code (a Lambda layer's function)
    is refused, since loading it would run that code. Pass safe_mode=False only for a file
    whose source you trust.
    """
    import keras

    path = os.fspath(path)
    if not path.endswith(".keras") or not os.path.isfile(path):
        raise ZooError(f"{path} is not a .keras model file; pass the path of one")
    try:
        return keras.saving.load_model(path, compile=False, safe_mode=safe_mode)
    except (ValueError, TypeError, OSError) as error:
        if "safe_mode" in str(error):
            raise ZooError(f"{path} holds Python code (a Lambda layer), which Keras' safe mode "
                           "does not run: if you trust where the file came from, load it with "
                           "safe_mode=False") from None
        raise ZooError(f"{path} can't be loaded ({str(error).strip().splitlines()[0]}); the "
                       "file is damaged or not a Keras model") from None


def preset_dir():
    """Where shipped presets live: $ZOO_PRESET_DIR; else zoo/saved_models in an installed
    package (setup.py installs the repository's saved_models/ there), or saved_models/ beside
    the package in a clone (an editable install)."""
    if os.environ.get("ZOO_PRESET_DIR"):
        return os.environ["ZOO_PRESET_DIR"]
    package = os.path.dirname(os.path.abspath(__file__))
    installed, clone = (os.path.join(package, "saved_models"),
                        os.path.join(os.path.dirname(package), "saved_models"))
    return installed if os.path.isdir(installed) else clone


def load_preset_weights(preset):
    """The preset's shipped model, after checking the sha256 of its whole folder."""
    model_dir = os.path.join(preset_dir(), preset.weights)
    if not os.path.isfile(os.path.join(model_dir, GENERATOR_FILE)):
        raise ZooError(f"preset {preset.name!r}: {model_dir} holds no {GENERATOR_FILE}; reinstall "
                       "the zoo or set ZOO_PRESET_DIR to the folder holding saved_models")
    check_folder_digest(model_dir, preset.sha256, f"preset {preset.name!r}")
    return _load_dir(model_dir)


def folder_digest(folder):
    """One sha256 over every file under `folder`: each file's path (relative, with /) and the
    sha256 of its bytes, in path order. A file changed, added, removed or renamed changes it."""
    listing = []
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            relative = os.path.relpath(path, folder).replace(os.sep, "/")
            listing.append(f"{relative}\0{sha256_of(path)}\n")
    return hashlib.sha256("".join(sorted(listing)).encode()).hexdigest()


def check_folder_digest(folder, expected, what):
    """ZooError unless `folder`'s files are those whose folder_digest is `expected`."""
    digest = folder_digest(folder)
    if digest != expected:
        raise ZooError(f"{what}: the files in {folder} have sha256 {digest}, expected {expected}: "
                       "a file was changed, added or removed; restore the folder (reinstall the zoo)")


def sha256_of(path):
    return file_digest(path, "sha256")


def file_digest(path, algorithm):
    """The hex digest of a file's bytes ("sha256", or "md5" where a publisher gives only that)."""
    digest = hashlib.new(algorithm, usedforsecurity=False)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _load_dir(model_dir):
    with open(os.path.join(model_dir, CONFIG_FILE), "rb") as f:
        try:
            saved = json.load(f)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise ZooError(f"{model_dir}/{CONFIG_FILE} is not valid JSON ({error}); "
                           "the model folder is damaged, re-save it") from None
    if not isinstance(saved, dict) or "model" not in saved or not isinstance(saved.get("config"), dict):
        raise ZooError(f"{model_dir}/{CONFIG_FILE} does not describe a model (it needs \"model\" "
                       "and \"config\"); the model folder is damaged, re-save it")
    gan = _create_from_config(saved, model_dir)
    _load_generator_networks(gan, model_dir, saved["model"])
    discriminator_file = os.path.join(model_dir, DISCRIMINATOR_FILE)
    if os.path.exists(discriminator_file):  # shipped presets keep the generator only
        _load_discriminator(gan, model_dir, saved["model"])
    return gan


def _create_from_config(saved, model_dir):
    """The model config.json describes. A setting no check names (a list where a number
    belongs, say) surfaces as the builder's own error: one line that blames the file."""
    try:
        return create(saved["model"], **saved["config"])
    except ZooError as error:
        raise ZooError(f"{model_dir}/{CONFIG_FILE}: {error}") from None
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as error:
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise ZooError(f"{model_dir}/{CONFIG_FILE} holds settings that make no {saved['model']} "
                       f"({reason}); the model folder is damaged, re-save it") from None


def _load_generator_networks(gan, model_dir, model_name):
    """The generator-side networks' weights and, with EMA on, their average: from its own files
    where they were saved, else (a preset) the loaded weights themselves."""
    for name, network in gan.generator_networks().items():
        _load_weights(network, os.path.join(model_dir, weights_file(name)), model_name)
    if gan.generator_average is None:
        return
    averaged = {name: os.path.join(model_dir, weights_file(name + AVERAGE_SUFFIX))
                for name in gan.generator_networks()}

    def load():
        for name, network in gan.generator_networks().items():
            _load_weights(network, averaged[name], model_name)

    _load_average(gan.generator_average, gan.generator_variables, averaged.values(), load)


def _load_weights(network, path, model_name):
    """Weights into a network, or one ZooError line when the file is damaged or doesn't fit."""
    if not os.path.isfile(path):
        raise ZooError(f"{path} is missing; the model folder is incomplete, re-save it")
    try:
        network.load_weights(path)
    except (OSError, ValueError, RuntimeError, KeyError, TypeError) as error:  # h5py's own too
        shapes = re.search(r"variable\.shape=(\(.*?\)), Received: value\.shape=(\(.*?\))", str(error))
        reason = (f"it holds a weight of shape {shapes.group(2)} where the model has {shapes.group(1)}"
                  if shapes else str(error).strip().splitlines()[0].rstrip(":"))
        raise ZooError(f"{path} can't be loaded into the {model_name} that {CONFIG_FILE} "
                       f"describes ({reason}): the file is damaged or belongs to other settings "
                       "(latent size, shapes); re-save the model or fix config.json") from None


def package_preset(source, name, half_precision=True, raw=False):
    """Write the trained model at `source` (a run or saved-model folder) as the shipped preset
    `name` in saved_models/: generator only (and the classifier of a model whose inference
    needs it), optionally stored as float16 (half the size; it
    loads into float32 variables as the rounded values). A model trained with EMA ships its
    average; `raw=True` ships the raw generator-side networks instead, as a model without
    EMA (for a model whose average measured worse). Returns the folder's sha256 (see
    folder_digest) to register."""
    gan = load(source)
    if raw:
        gan = _without_average(gan)
    target = save(gan, os.path.join(preset_dir(), name), keep_discriminator=False,
                  extra={"preset": name})
    if half_precision:  # every network kept: a generator, an encoder, both translators
        for weights in sorted(os.listdir(target)):
            if weights.endswith(weights_file("")):
                _rewrite_as_float16(os.path.join(target, weights))
    return folder_digest(target)


def _without_average(gan):
    """A copy of `gan` with EMA off holding its raw generator-side weights."""
    if gan.generator_average is None:
        raise ZooError(f"{gan.name} keeps no average of its generator: it has no raw weights "
                       "apart from its weights; package it without raw=True")
    copy = create(gan.registered_name, **{**gan.get_config(), "ema_decay": 0.0})
    for target, source in zip(copy.generator_variables, gan.generator_variables):
        target.assign(source)
    return copy


def _rewrite_as_float16(path):
    """Copy a weights .h5 with float32 arrays stored as float16 (HDF5 never shrinks a file in
    place, so the copy is written beside it and renamed over it)."""
    import h5py
    import numpy as np

    def copy(source, target):
        target.attrs.update(source.attrs)
        for key, item in source.items():
            if isinstance(item, h5py.Group):
                copy(item, target.create_group(key))
            else:
                values = item[()]
                if isinstance(values, np.ndarray) and values.dtype == np.float32:
                    values = values.astype(np.float16)
                target.create_dataset(key, data=values).attrs.update(item.attrs)

    staging = path + ".float16"
    with h5py.File(path, "r") as source, h5py.File(staging, "w") as target:
        copy(source, target)
    os.replace(staging, path)
