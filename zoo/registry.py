"""Registries of models, presets and datasets.

The registry imports no variant: variant modules register themselves when `zoo.models`
is imported. Names are unique; an unknown name raises a `ZooError` that lists the close
matches, so a typo is a one-line fix.
"""

import dataclasses
import difflib
import fnmatch
from typing import Any, Callable, Dict, Optional

from zoo.checks import check_name
from zoo.errors import ZooError

_MODELS: Dict[str, type] = {}
_PRESETS: Dict[str, "Preset"] = {}
_DATASETS: Dict[str, "DatasetSpec"] = {}


@dataclasses.dataclass(frozen=True)
class Preset:
    """A named, fully specified configuration: data only, never parsed back from its name.

    `model_kwargs` go to the model's constructor, `train` holds the training settings
    (batch_size, epochs, learning rates and betas, ...). `weights` is a file name inside
    saved_models/ and `sha256` the checksum of all its files (zoo.saving.folder_digest);
    both stay None for presets that ship no weights.
    """

    name: str
    model: str
    dataset: str
    model_kwargs: Dict[str, Any] = dataclasses.field(default_factory=dict)
    train: Dict[str, Any] = dataclasses.field(default_factory=dict)
    weights: Optional[str] = None
    sha256: Optional[str] = None
    metadata: Dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """How to load a dataset: `loader(split=..., batch_size=..., **options)` returns a tf.data.Dataset.

    `element_shape` is the shape of one example (an image's HWC, or a toy point's shape).
    `evaluate(samples)`, where given, turns `eval_samples` generated samples into a dict of
    figures (image datasets with a shipped classifier are measured by zoo.metrics.quality).
    """

    name: str
    loader: Callable
    element_shape: tuple
    kind: str  # "image" or "toy"
    num_classes: Optional[int] = None
    num_examples: Optional[int] = None
    evaluate: Optional[Callable] = None
    eval_samples: int = 10_000
    grid_samples: int = 64  # the samples of each epoch's picture
    description: str = ""


def _load_builtins():
    """Import the zoo's own variants and datasets (they register themselves) on first lookup."""
    import zoo.data  # noqa: F401
    import zoo.models  # noqa: F401


def _unknown(kind: str, name: str, known) -> ZooError:
    close = difflib.get_close_matches(str(name), list(known), n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(repr(c) for c in close)}?" if close else (
        f"known: {', '.join(sorted(known)) or 'none'}")
    return ZooError(f"unknown {kind} {name!r}: {hint}")


def _refuse_duplicate(kind: str, name: str, table: dict) -> None:
    check_name(f"a {kind}'s name", name)  # it becomes a run's name, and so a folder
    if name in table:
        raise ZooError(f"{kind} {name!r} is already registered; pick another name")


def register_model(name: str):
    """Class decorator: `@register_model("dcgan") class DCGAN(BaseGAN)`."""

    def decorate(cls):
        import keras  # the variant modules have loaded it already

        _refuse_duplicate("model", name, _MODELS)
        _MODELS[name] = cls
        cls.registered_name = name
        # So that keras.saving.load_model finds the class of a `.keras` file `model.save` wrote.
        return keras.saving.register_keras_serializable(package="zoo", name=cls.__name__)(cls)

    return decorate


def register_preset(preset: Preset) -> Preset:
    _refuse_duplicate("preset", preset.name, _PRESETS)
    _PRESETS[preset.name] = preset
    return preset


def register_dataset(spec: DatasetSpec) -> DatasetSpec:
    _refuse_duplicate("dataset", spec.name, _DATASETS)
    _DATASETS[spec.name] = spec
    return spec


def _filtered(table: dict, pattern: Optional[str]):
    _load_builtins()
    names = sorted(table)
    return [n for n in names if fnmatch.fnmatchcase(n, pattern)] if pattern else names


def list_models(pattern: Optional[str] = None):
    """Registered model names, optionally filtered by a shell-style wildcard ("wgan*")."""
    return _filtered(_MODELS, pattern)


def list_presets(pattern: Optional[str] = None):
    return _filtered(_PRESETS, pattern)


def list_datasets(pattern: Optional[str] = None):
    return _filtered(_DATASETS, pattern)


def get_model_class(name: str) -> type:
    _load_builtins()
    if name not in _MODELS:
        raise _unknown("model", name, _MODELS)
    return _MODELS[name]


def get_preset(name: str) -> Preset:
    _load_builtins()
    if name not in _PRESETS:
        raise _unknown("preset", name, _PRESETS)
    return _PRESETS[name]


def find_preset(model: str, dataset: str) -> Optional[Preset]:
    """The preset for this model on this dataset, if one exists.

    With several, the one named `<model>_<dataset>` is the default; otherwise the first by name.
    """
    _load_builtins()
    matching = sorted((p for p in _PRESETS.values() if p.model == model and p.dataset == dataset),
                      key=lambda p: (p.name != f"{model}_{dataset}", p.name))
    return matching[0] if matching else None


def get_dataset(name: str) -> DatasetSpec:
    _load_builtins()
    if name not in _DATASETS:
        raise _unknown("dataset", name, _DATASETS)
    return _DATASETS[name]
