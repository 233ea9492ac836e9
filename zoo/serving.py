"""Export a generator as a SavedModel for TF Serving.

Layout: `<export_dir>/<name>/<version>/saved_model.pb`, the version being the next integer
(a version is never overwritten: TF Serving watches the base path and loads new versions).
Signatures (the model's `serving_endpoints`):
  serving_default: `z` float32 [None, latent_dim]  -> `images` float32 in [-1, 1], NHWC
  seeds:           `seeds` int64 [None]            -> `images`, one deterministic image per seed
                   (row i equals `gan.generate(1, seed=seeds[i])`), so a REST client sends no noise.
Conditional models take `label` int64 [None] beside `z` or `seeds` (a label outside
[0, num_classes) is an InvalidArgument error). Models whose samples are not images (the toys)
name the output `samples`. A model with generator EMA on serves its averaged weights.
The semi-supervised GAN also serves its classifier (its averaged weights when classifier_ema is
on): `classify`: `images` float32 [None, H, W, C] in [-1, 1] -> `labels` int64 [None].

Inputs are checked in the graph, so a wrong request gets an InvalidArgument error that says
what was expected, wherever it comes from (TF Serving feeds the graph without checking shapes
against the signature): the signatures take any size on every axis, and the graph checks the
sizes the model needs (z's width, an image's side) and that all inputs hold as many rows.

Beside the model, `assets.extra/tf_serving_warmup_requests` holds one request per signature
(PredictionLog protos), so that a server runs each signature once before its first client
(written when the optional tensorflow-serving-api is installed: `pip install ".[serving]"`).
`write_models_config` writes the `models.config` that serves every model of an export folder
from one server.

    python -m zoo.export_cli --run runs/demo --out exports/     (zoo/export_cli.py is that command)
"""

import logging
import os
import shutil
import tempfile

import numpy as np
import tensorflow as tf
import keras
from google.protobuf import text_encoding

from zoo.checks import check_name
from zoo.errors import ZooError

WARMUP_FILE = os.path.join("assets.extra", "tf_serving_warmup_requests")
MODELS_CONFIG = "models.config"


def next_version(model_base):
    versions = [int(v) for v in os.listdir(model_base) if v.isdigit()] if os.path.isdir(model_base) else []
    return max(versions, default=0) + 1


def export(gan, export_dir, name=None, version=None):
    """Write the generator's SavedModel and return its versioned path."""
    name = check_name("name", gan.name if name is None else name)
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

    key = gan.served_output_name

    def serve(inputs):  # float32 out whatever the compute dtype (mixed precision)
        return {key: tf.cast(gan.generator(inputs, training=False), tf.float32)}

    archive = keras.export.ExportArchive()
    archive.track(gan.generator)
    if gan.inference_needs_discriminator:  # a classifier's signature reads it
        archive.track(gan.discriminator)
    endpoints = gan.serving_endpoints(serve)
    for endpoint, (function, signature) in endpoints.items():
        archive.add_endpoint(endpoint, checked_inputs(function, signature),
                             input_signature=[open_spec(spec) for spec in signature])
    # Written beside the target and renamed: TF Serving never sees half a version.
    staging = tempfile.mkdtemp(prefix=f".{version}-", dir=model_base)
    try:
        # The saved variables hold the averages (generator EMA on; sgan's classifier_ema).
        with gan.averaged_weights(), gan.averaged_discriminator():
            archive.write_out(staging, verbose=False)
        write_warmup_requests(staging, name, endpoints)
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


# The most rows one request may hold, checked by every signature: a bound on what one call
# can allocate. Larger jobs are split into several requests.
MAX_REQUEST_ROWS = 1024


def open_spec(spec):
    """`spec` with any shape, any rank: the graph checks both (checked_inputs), so that a
    wrong request gets the same one-line answer from TF Serving as from Python."""
    return tf.TensorSpec(None, spec.dtype, name=spec.name)


def shape_text(spec):
    return "[" + ", ".join("batch" if i == 0 else ("any" if d is None else str(d))
                           for i, d in enumerate(spec.shape)) + "]"


def _padded_shape(tensor, rank):
    """tf.shape(tensor), cut or padded with zeros to `rank` entries: safe on any rank."""
    return tf.concat([tf.shape(tensor), tf.zeros([rank], tf.int32)], 0)[:rank]


def _after(checks, tensor, shape):
    """`tensor`, read only once `checks` passed, with the static `shape`. The order is a data
    dependency (a reshape to a shape computed after the checks): a control dependency alone
    does not hold once the model's function is inlined into the graph."""
    with tf.control_dependencies(checks):
        checked_shape = tf.identity(_padded_shape(tensor, len(shape)))
    tensor = tf.reshape(tensor, checked_shape)
    tensor.set_shape(shape)
    return tensor


def _shape_checks(tensor, spec):
    """In-graph checks that `tensor` fits `spec`; each is safe on a tensor of any rank (its
    shape is padded with zeros to the rank `spec` has), whichever of them runs first."""
    message = f"{spec.name} must have shape {shape_text(spec)}"
    rank = len(spec.shape)
    shape = _padded_shape(tensor, rank)
    rows_message = f"{spec.name} must hold 1 to {MAX_REQUEST_ROWS} rows (split a larger request)"
    return [tf.debugging.assert_rank(tensor, rank, message=message),
            tf.debugging.assert_less_equal(shape[0], MAX_REQUEST_ROWS, message=rows_message),
            tf.debugging.assert_greater_equal(shape[0], 1, message=rows_message),
            ] + [tf.debugging.assert_equal(shape[axis], size, message=message)
                 for axis, size in enumerate(spec.shape) if axis > 0 and size is not None]


def checked_inputs(function, signature):
    """`function`, taking its inputs after in-graph checks against `signature` (the shapes
    the model needs): the rank, each fixed axis's size, 1 to MAX_REQUEST_ROWS rows, and as
    many rows in every input."""
    names = ", ".join(spec.name for spec in signature)

    def checked(*inputs):
        checks = [check for tensor, spec in zip(inputs, signature)
                  for check in _shape_checks(tensor, spec)]
        rows = [_padded_shape(tensor, 1)[0] for tensor in inputs]
        checks += [tf.debugging.assert_equal(count, rows[0],
                                             message=f"{names} must hold as many rows each")
                   for count in rows[1:]]
        return function(*[_after(checks, tensor, spec.shape)
                          for tensor, spec in zip(inputs, signature)])

    return checked


def example_inputs(signature):
    """One request's inputs for `signature`: a single row of zeros of the shapes it needs."""
    return {spec.name: np.zeros([1] + [1 if d is None else d for d in spec.shape[1:]],
                                spec.dtype.as_numpy_dtype) for spec in signature}


def write_warmup_requests(export_path, name, endpoints):
    """TF Serving's warm-up file: one PredictionLog per signature, a single row of zeros."""
    try:
        from zoo.client import warmup_log
        import tensorflow_serving  # noqa: F401  (the optional dependency)
    except ImportError:
        logging.getLogger(__name__).warning(
            "no warm-up requests in the export (tensorflow-serving-api is not installed): "
            "pip install \".[serving]\" to have them")
        return None
    path = os.path.join(export_path, WARMUP_FILE)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tf.io.TFRecordWriter(path) as writer:
        for endpoint, (_, signature) in endpoints.items():
            writer.write(warmup_log(name, endpoint, **example_inputs(signature)).SerializeToString())
    return path


def write_models_config(export_dir, base_path=None):
    """Write `<export_dir>/models.config`, TF Serving's --model_config_file listing every model
    with a version under `export_dir`; `base_path` replaces `export_dir` in the paths (where
    the server sees the folder elsewhere, e.g. /models in docker). Returns its path."""
    export_dir = os.path.abspath(export_dir)
    models = sorted(entry for entry in os.listdir(export_dir)
                    if os.path.isdir(os.path.join(export_dir, entry)) and _is_name(entry)
                    and any(v.isdigit() for v in os.listdir(os.path.join(export_dir, entry))))
    if not models:
        raise ZooError(f"{export_dir} holds no exported model (<name>/<version>/): export one first")
    root = (base_path or export_dir).rstrip("/")
    # Strings escaped as protobuf's text format reads them (a path may hold quotes).
    entries = "".join(f'  config {{\n    name: "{_quoted(model)}"\n'
                      f'    base_path: "{_quoted(root + "/" + model)}"\n'
                      f'    model_platform: "tensorflow"\n  }}\n' for model in models)
    path = os.path.join(export_dir, MODELS_CONFIG)
    with open(path, "w") as f:
        f.write("model_config_list {\n" + entries + "}\n")
    return path


def _is_name(entry):
    """Whether a folder of an export directory has a name zoo.export could have written."""
    try:
        check_name("name", entry)
    except ZooError:
        return False
    return True


def _quoted(text):
    return text_encoding.CEscape(text, as_utf8=True)
