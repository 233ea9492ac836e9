"""Export a generator as a SavedModel for TF Serving.

Layout: `<export_dir>/<name>/<version>/saved_model.pb`, the version being the next integer
(a version is never overwritten: TF Serving watches the base path and loads new versions).
Signatures (the model's `serving_endpoints`):
  serving_default: `z` float32 [None, latent_dim]  -> `images` float32 in [-1, 1], NHWC
  seeds:           `seeds` int64 [None]            -> `images`, one deterministic image per seed
                   (row i equals `gan.generate(1, seed=seeds[i])`), so a REST client sends no noise.
Conditional models take `label` int64 [None] beside `z` or `seeds` (a label outside
[0, num_classes) is an InvalidArgument error). Models whose samples are not images (the toys)
name the output `samples`.

    python -m zoo.export --run runs/demo --out exports/     (zoo/export.py is that command)
"""

import os
import shutil
import tempfile

import tensorflow as tf
import keras

from zoo.errors import ZooError


def output_key(gan):
    return "images" if len(gan.generator.outputs[0].shape) == 4 else "samples"


def next_version(model_base):
    versions = [int(v) for v in os.listdir(model_base) if v.isdigit()] if os.path.isdir(model_base) else []
    return max(versions, default=0) + 1


def export(gan, export_dir, name=None, version=None):
    """Write the generator's SavedModel and return its versioned path."""
    name = name or gan.name
    model_base = os.path.join(os.path.abspath(export_dir), name)
    for folder in (os.path.abspath(export_dir), model_base):
        if os.path.exists(folder) and not os.path.isdir(folder):
            raise ZooError(f"{folder} is a file; pass another --export_dir")
    try:
        os.makedirs(model_base, exist_ok=True)
    except OSError as error:
        raise ZooError(f"can't make {model_base} ({error.strerror}); pass another "
                       "--export_dir") from None
    version = next_version(model_base) if version is None else int(version)
    target = os.path.join(model_base, str(version))
    if os.path.exists(target):
        raise ZooError(f"{target} exists and versions are never overwritten; pick another version")

    key = output_key(gan)

    def serve(inputs):  # float32 out whatever the compute dtype (mixed precision)
        return {key: tf.cast(gan.generator(inputs, training=False), tf.float32)}

    archive = keras.export.ExportArchive()
    archive.track(gan.generator)
    for endpoint, (function, signature) in gan.serving_endpoints(serve).items():
        archive.add_endpoint(endpoint, function, input_signature=signature)
    # Written beside the target and renamed: TF Serving never sees half a version.
    staging = tempfile.mkdtemp(prefix=f".{version}-", dir=model_base)
    try:
        archive.write_out(staging, verbose=False)
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target
