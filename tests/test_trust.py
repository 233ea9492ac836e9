"""Nothing trusted blindly: model files are loaded in Keras' safe mode, weights are checked
against their published digests before they load."""

import keras
import numpy as np
import pytest

import zoo
from zoo import saving
from zoo.metrics.quality import INCEPTION_WEIGHTS_MD5, inception_model


def _generator_file(path, with_code):
    inputs = keras.Input((4,))
    x = keras.layers.Dense(8)(inputs)
    if with_code:  # a Lambda layer stores Python code; loading it would run that code
        x = keras.layers.Lambda(lambda t: t * 2.0)(x)
    keras.Model(inputs, x).save(path)
    return path


def test_a_model_file_with_a_lambda_layer_is_refused_by_default(tmp_path):
    path = _generator_file(str(tmp_path / "generator.keras"), with_code=True)
    with pytest.raises(zoo.ZooError, match="holds Python code .* safe_mode=False") as error:
        saving.load_keras_file(path)
    assert "\n" not in str(error.value)
    # The caller who trusts the file can say so.
    model = saving.load_keras_file(path, safe_mode=False)
    assert model(np.ones((1, 4), np.float32)).shape == (1, 8)


def test_a_model_file_without_code_loads_in_safe_mode(tmp_path):
    path = _generator_file(str(tmp_path / "generator.keras"), with_code=False)
    assert saving.load_keras_file(path).output.shape == (None, 8)


def test_a_damaged_model_file_is_one_line(tmp_path):
    path = tmp_path / "generator.keras"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(zoo.ZooError, match="can't be loaded .* damaged or not a Keras model"):
        saving.load_keras_file(str(path))


def test_inception_weights_that_are_not_keras_published_file_are_refused(tmp_path):
    fake = tmp_path / "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
    fake.write_bytes(b"\x89HDF\r\n\x1a\n something else")
    with pytest.raises(zoo.ZooError, match=f"not the {INCEPTION_WEIGHTS_MD5} of Keras'"):
        inception_model(str(fake))


def test_the_quality_benchmark_measures_a_keras_file_only_in_safe_mode(tmp_path):
    from benchmarks.quality import KerasFileGenerator

    inputs = keras.Input((4,))
    images = keras.layers.Reshape((28, 28, 1))(keras.layers.Dense(784, activation="tanh")(inputs))
    keras.Model(inputs, images).save(tmp_path / "plain.keras")
    samples = KerasFileGenerator(str(tmp_path / "plain.keras")).generate(3, seed=0)
    assert samples.shape == (3, 28, 28, 1) and np.abs(samples).max() <= 1

    with pytest.raises(zoo.ZooError, match="safe_mode"):
        KerasFileGenerator(_generator_file(str(tmp_path / "code.keras"), with_code=True))
