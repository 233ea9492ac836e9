"""A GAN model zoo on TensorFlow and Keras 3.

    import zoo
    zoo.list_models()                    # registered variants
    gan = zoo.create("dcgan", image_shape=(28, 28, 1))
    gan = zoo.load("runs/demo")          # a trained run directory, or a preset name
    images = gan.generate(16, seed=0)    # float32 NHWC in [-1, 1]
    zoo.export(gan, "exports/")          # SavedModel for TF Serving

The public names load on first use (PEP 562), so that `zoo.errors` and the CLI's flag
checking start without importing TensorFlow.
"""

import importlib

__version__ = "0.1.0"

_PUBLIC = {
    "BaseGAN": "zoo.core",
    "ZooError": "zoo.errors",
    "export": "zoo.serving",
    "create": "zoo.saving", "load": "zoo.saving", "save": "zoo.saving",
    **{name: "zoo.registry" for name in (
        "DatasetSpec", "Preset", "get_dataset", "get_model_class", "get_preset", "list_datasets",
        "list_models", "list_presets", "register_dataset", "register_model", "register_preset")},
}
__all__ = sorted(_PUBLIC)


def __getattr__(name):
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    if name in ("data", "models", "metrics", "losses", "layers", "networks", "training"):
        return importlib.import_module(f"zoo.{name}")
    raise AttributeError(f"module 'zoo' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
