"""The TF Serving export, loaded in a fresh process as a server would."""

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import zoo
from tiny import TINY_CONFIGS

LOAD_AND_CALL = """
import sys, numpy as np, tensorflow as tf
loaded = tf.saved_model.load(sys.argv[1])
z = np.load(sys.argv[2])
by_z = loaded.signatures["serving_default"](z=tf.constant(z))
by_seed = loaded.signatures["seeds"](seeds=tf.constant([5, 6], tf.int64))
np.savez(sys.argv[3], by_z=by_z["images"].numpy(), by_seed=by_seed["images"].numpy(),
         keys=np.array(sorted(loaded.signatures.keys())))
"""


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    base = tmp_path_factory.mktemp("exports")
    gan = zoo.create("dcgan", **TINY_CONFIGS["dcgan"])
    return gan, zoo.export(gan, str(base), name="tiny"), base


def test_layout_is_versioned_for_tf_serving(exported):
    gan, path, base = exported
    assert path == os.path.join(str(base), "tiny", "1")
    assert os.path.isfile(os.path.join(path, "saved_model.pb"))
    second = zoo.export(gan, str(base), name="tiny")
    assert second.endswith(os.path.join("tiny", "2"))  # a new version, the first untouched
    assert sorted(os.listdir(os.path.join(str(base), "tiny"))) == ["1", "2"]


def test_round_trip_in_a_fresh_process(exported, tmp_path):
    gan, path, _ = exported
    z = np.random.default_rng(0).standard_normal((3, gan.latent_dim)).astype("float32")
    np.save(tmp_path / "z.npy", z)
    subprocess.run([sys.executable, "-c", LOAD_AND_CALL, path, str(tmp_path / "z.npy"),
                    str(tmp_path / "out.npz")], check=True, capture_output=True)
    out = np.load(tmp_path / "out.npz")
    assert list(out["keys"]) == ["seeds", "serving_default"]
    np.testing.assert_allclose(out["by_z"], gan.generator(z, training=False).numpy(), atol=1e-5)
    assert out["by_seed"].shape == (2,) + gan.sample_shape
    np.testing.assert_allclose(out["by_seed"][0], gan.generate(1, seed=5)[0], atol=1e-5)
    np.testing.assert_allclose(out["by_seed"][1], gan.generate(1, seed=6)[0], atol=1e-5)


@pytest.mark.skipif(shutil.which("saved_model_cli") is None, reason="saved_model_cli not on PATH")
def test_saved_model_cli_lists_both_signatures(exported):
    _, path, _ = exported
    shown = subprocess.run(["saved_model_cli", "show", "--dir", path, "--all"], check=True,
                           capture_output=True, text=True).stdout
    assert "signature_def['serving_default']" in shown and "signature_def['seeds']" in shown
    assert "inputs['z'] tensor_info:" in shown and "inputs['seeds'] tensor_info:" in shown
    assert "outputs['images'] tensor_info:" in shown
    assert f"shape: (-1, {TINY_CONFIGS['dcgan']['latent_dim']})" in shown


def test_export_refuses_a_file_as_base(tmp_path):
    (tmp_path / "tiny").write_text("not a folder")
    with pytest.raises(zoo.ZooError, match="is a file"):
        zoo.export(zoo.create("gan_1d", **TINY_CONFIGS["gan_1d"]), str(tmp_path), name="tiny")


def test_toy_export_serves_samples(tmp_path):
    gan = zoo.create("gan_1d", **TINY_CONFIGS["gan_1d"])
    path = zoo.export(gan, str(tmp_path), name="toy")
    import tensorflow as tf

    served = tf.saved_model.load(path).signatures["seeds"](seeds=tf.constant([3], tf.int64))
    assert list(served) == ["samples"]
    np.testing.assert_allclose(served["samples"].numpy(), gan.generate(1, seed=3), atol=1e-6)


def test_zoo_export_stays_the_function_once_training_is_imported():
    import zoo.training  # noqa: F401  (imports zoo.serving; must not shadow zoo.export)

    assert callable(zoo.export) and zoo.export.__module__ == "zoo.serving"


def test_command_line_exports_a_saved_run(tmp_path):
    gan = zoo.create("gan_1d", **TINY_CONFIGS["gan_1d"])
    model_dir = zoo.save(gan, tmp_path / "model")
    command = [sys.executable, "-m", "zoo.export", f"--run={model_dir}", f"--out={tmp_path / 'out'}"]
    first = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    assert first.stdout.strip() == str(tmp_path / "out" / "gan_1d" / "1")
    second = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert second.stdout.strip().endswith(os.path.join("gan_1d", "2"))  # never overwrites

    neither = subprocess.run([sys.executable, "-m", "zoo.export"], capture_output=True, text=True)
    assert neither.returncode == 2 and "Traceback" not in neither.stderr
    assert neither.stderr.strip().splitlines()[-1] == (
        "error: pass exactly one of --run=RUN_DIR or --preset=NAME")
