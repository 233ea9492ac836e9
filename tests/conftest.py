"""Test set-up: two logical CPU devices (for MirroredStrategy tests) before TF starts."""

import contextlib
import functools
import os
import sys
from unittest import mock

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

_cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(_cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)


@contextlib.contextmanager
def mock_tfds(num_examples=8):
    """tfds.testing.mock_data, with the builder reporting the (mocked) data as prepared."""
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=num_examples), mock.patch.object(
            tfds.core.DatasetBuilder, "is_prepared", return_value=True):
        yield


def mnist_files_available():
    directory = os.environ.get("ZOO_MANUAL_DIR", "")
    return os.path.isfile(os.path.join(directory, "train-images-idx3-ubyte.gz"))


needs_mnist = pytest.mark.skipif(
    not mnist_files_available(),
    reason="set ZOO_MANUAL_DIR to a folder with the original MNIST files (.ci/run does)")


@functools.lru_cache(maxsize=None)
def two_replica_strategy():
    """A MirroredStrategy over the 2 logical CPUs, one per test process: a second
    MirroredStrategy in the same process can collide with the first one's collective-op
    keys (seen here as "Shape mismatch in the collective")."""
    devices = tf.config.list_logical_devices("CPU")
    assert len(devices) >= 2, "conftest.py should have made 2 logical CPUs"
    return tf.distribute.MirroredStrategy([d.name for d in devices[:2]])


@pytest.fixture
def float64():
    """Models built inside the test keep float64 weights and compute in float64 (for
    comparisons that float32 rounding would blur); float32 again afterwards."""
    import keras

    floatx, policy = keras.config.floatx(), keras.config.dtype_policy()
    # Keras keeps the global dtype policy it first derives from floatx: set and restore both.
    keras.config.set_floatx("float64")
    keras.config.set_dtype_policy("float64")
    try:
        yield
    finally:
        keras.config.set_floatx(floatx)
        keras.config.set_dtype_policy(policy)


DOMAIN_VALUES = {"A": 40, "B": 200}  # dark "horses", light "zebras"


def write_unpaired_folder(root, counts, spread=20, side=32, grayscale=(), jpeg_domains=()):
    """A CycleGAN-layout folder in miniature: counts {"trainA": n, ...} images per subfolder,
    dark in domain A and light in B (uniform noise of +-spread); `grayscale` lists
    (subfolder, index) images written with one channel, `jpeg_domains` the domains ("A"/"B")
    written as .jpg (others .png). Returns root."""
    rng = np.random.default_rng(0)
    for sub, count in counts.items():
        domain = sub[-1]
        for i in range(count):
            channels = 1 if (sub, i) in grayscale else 3
            image = np.clip(DOMAIN_VALUES[domain] + rng.integers(-spread, spread, (side, side, channels)),
                            0, 255)
            path = os.path.join(str(root), sub, f"{i:02d}.{'jpg' if domain in jpeg_domains else 'png'}")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            encode = tf.io.encode_jpeg if path.endswith(".jpg") else tf.io.encode_png
            tf.io.write_file(path, encode(tf.constant(image, tf.uint8)))
    return root
