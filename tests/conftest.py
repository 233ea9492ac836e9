"""Test set-up: two logical CPU devices (for MirroredStrategy tests) before TF starts."""

import contextlib
import functools
import os
import subprocess
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


@contextlib.contextmanager
def read_only(folder):
    """`folder` and the folders in it made read-only, for root too (root ignores permission bits
    but not the immutable attribute); the test is skipped where neither can be set."""
    folders = [str(folder)] + [os.path.join(top, d) for top, dirs, _ in os.walk(folder) for d in dirs]
    as_root = os.geteuid() == 0
    for path in folders:
        if as_root:
            subprocess.run(["chattr", "+i", path], capture_output=True)
        else:
            os.chmod(path, 0o555)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("no way to make a folder read-only on this machine")
        yield
    finally:
        for path in folders:
            if as_root:
                subprocess.run(["chattr", "-i", path], capture_output=True)
            else:
                os.chmod(path, 0o755)


needs_mnist = pytest.mark.skipif(
    not mnist_files_available(),
    reason="set ZOO_MANUAL_DIR to a folder with the original MNIST files (.ci/run does)")


def horse2zebra_folder():
    """The real horse2zebra images: under ZOO_MANUAL_DIR or beside it (the shared data folder
    holds mnist/ and horse2zebra/ side by side), else None."""
    from zoo.data.unpaired import _folder

    manual = os.environ.get("ZOO_MANUAL_DIR", "")
    for candidate in (manual, os.path.dirname(manual.rstrip(os.sep))):
        if candidate and _folder(candidate, "horse2zebra"):
            return _folder(candidate, "horse2zebra")
    return None


needs_horse2zebra = pytest.mark.skipif(
    horse2zebra_folder() is None,
    reason="horse2zebra's trainA/ ... testB/ not under or beside ZOO_MANUAL_DIR (.ci/run has them)")


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


# Left out of the fast loop (`python -m pytest -q -m "not slow"`) beside the tests marked
# slow one by one: whole groups whose every case starts a process, trains on two replicas or
# sweeps every model. CI runs them all.
SLOW_GROUPS = (
    "test_bad_input.py::test_bad_command_lines_are_one_line_and_exit_2",  # a process each
    "test_bad_input.py::test_a_truncated_prepared_shard_is_one_line",
    "test_distributed.py::",  # two replicas per model and remedy
    "test_fuzz.py::",
    "test_ema.py::test_every_model_keeps_an_average_and_samples_from_it",
    "test_unpaired.py::test_export_serves_every_direction_in_a_fresh_process",
    "test_unit.py::test_encoders_share_their_last_blocks_and_decoders_their_first",
    "test_baselines.py::test_the_baselines_train_through_train_and_load_back",
    "test_cli.py::test_output_dir_problems_are_refused",
    "test_saving.py::test_every_model_round_trips_through_a_keras_file_and_trains_on",
    "test_presets.py::test_a_shipped_preset_generates_offline_in_a_fresh_process",
    "test_conditional.py::test_each_preset_trains_through_zoo_training_on_labelled_data",
    "test_step_cost.py::",
    "test_export.py::test_command_line_exports_a_saved_run",
    "test_faults.py::",
    "test_gan_1d.py::test_gan_1d_learns_the_target_mean_and_std",
    "test_models.py::test_a_seeded_model_starts_the_same_whatever_was_imported_before",
    "test_dtn.py::test_dtn_trains_on_mnist2bold_with_the_mnist_encoder",
)


def pytest_collection_modifyitems(config, items):
    del config
    for item in items:
        if any(group in item.nodeid for group in SLOW_GROUPS):
            item.add_marker(pytest.mark.slow)
