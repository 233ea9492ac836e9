import os
import warnings

import numpy as np
import pytest

import zoo
from tiny import TINY_CONFIGS, tiny_samples


def test_save_and_load_round_trip(tmp_path):
    gan = zoo.create("dcgan", **TINY_CONFIGS["dcgan"])
    gan.compile()
    path = zoo.save(gan, tmp_path / "model")
    assert sorted(os.listdir(path)) == ["config.json", "discriminator.weights.h5", "generator.weights.h5"]
    loaded = zoo.load(path)
    assert type(loaded) is type(gan) and loaded.get_config() == gan.get_config()
    np.testing.assert_allclose(loaded.generate(4, seed=9), gan.generate(4, seed=9), atol=1e-6)
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".saving")]  # no staging left


@pytest.mark.parametrize("name", sorted(TINY_CONFIGS))
def test_every_model_loads_back_with_its_config_and_samples(name, tmp_path):
    gan = zoo.create(name, **TINY_CONFIGS[name])
    loaded = zoo.load(zoo.save(gan, tmp_path / "model"))
    assert type(loaded) is type(gan) and loaded.get_config() == gan.get_config()
    np.testing.assert_allclose(tiny_samples(loaded, 3, seed=2), tiny_samples(gan, 3, seed=2), atol=1e-6)
    if hasattr(gan, "encode"):  # the encoder is saved too
        images = tiny_samples(gan, 3, seed=5)
        np.testing.assert_allclose(loaded.encode(images), gan.encode(images), atol=1e-6)


def test_saving_again_replaces_the_model_whole(tmp_path):
    first = zoo.create("gan_1d", **TINY_CONFIGS["gan_1d"])
    second = zoo.create("gan_1d", **TINY_CONFIGS["gan_1d"])
    zoo.save(first, tmp_path / "m")
    zoo.save(second, tmp_path / "m")
    np.testing.assert_allclose(zoo.load(tmp_path / "m").generate(3, seed=1), second.generate(3, seed=1))
    assert sorted(os.listdir(tmp_path)) == ["m"]


def test_load_errors_are_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "file.txt").write_text("x")
    cases = [
        (tmp_path / "empty", "holds no trained model"),
        (tmp_path / "file.txt", "is a file"),
        (str(tmp_path / "missing"), "does not exist"),
        ("dcgan_cifar10", "ships no weights yet"),
        ("dcgan_mnst", "did you mean 'dcgan_mnist'"),
    ]
    for source, message in cases:
        with pytest.raises(zoo.ZooError, match=message) as error:
            zoo.load(source)
        assert "\n" not in str(error.value)


def test_damaged_config_is_refused(tmp_path):
    gan = zoo.create("gan_1d", **TINY_CONFIGS["gan_1d"])
    path = zoo.save(gan, tmp_path / "m")
    with open(os.path.join(path, "config.json"), "w") as f:
        f.write("{not json")
    with pytest.raises(zoo.ZooError, match="not valid JSON"):
        zoo.load(path)


@pytest.mark.parametrize("name", sorted(TINY_CONFIGS))
def test_every_model_round_trips_through_a_keras_file_and_trains_on(name, tmp_path):
    import keras
    import tensorflow as tf
    from tiny import tiny_batch, trained_networks

    gan = zoo.create(name, **TINY_CONFIGS[name])
    # Compiled with rates of its own and stepped once, so that its optimizers hold a state.
    gan.compile(**{optimizer: keras.optimizers.Adam(1e-3 * (i + 2), beta_1=0.3)
                   for i, optimizer in enumerate(gan.optimizer_names)})
    gan.train_step(tf.nest.map_structure(tf.constant, tiny_batch(gan)))
    path = str(tmp_path / "model.keras")
    gan.save(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = keras.saving.load_model(path)  # safe mode on
    assert not [w for w in caught if "compile" in str(w.message)], [str(w.message) for w in caught]
    assert type(loaded) is type(gan) and loaded.get_config() == gan.get_config()
    # It comes back compiled, with the same optimizers in the same state.
    for optimizer in gan.optimizer_names:
        mine, theirs = getattr(gan, optimizer), getattr(loaded, optimizer)
        assert theirs.get_config() == mine.get_config()
        assert len(theirs.variables) == len(mine.variables) and int(theirs.iterations) >= 1
        for a, b in zip(mine.variables, theirs.variables):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_allclose(tiny_samples(loaded, 3, seed=2), tiny_samples(gan, 3, seed=2), atol=1e-6)
    for network_name, network in trained_networks(gan).items():
        for mine, theirs in zip(network.weights, trained_networks(loaded)[network_name].weights):
            np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    assert type(zoo.load(path)) is type(gan)
    # It trains on with its own step: one step moves the generator's weights.
    before = [v.numpy() for v in loaded.generator_variables]
    loaded.train_step(tf.nest.map_structure(tf.constant, tiny_batch(loaded)))
    assert any(not np.array_equal(b, v.numpy()) for b, v in zip(before, loaded.generator_variables))
