"""Registry-driven: every model builds, takes one training step, and generates."""

import numpy as np
import pytest
import tensorflow as tf
import keras

import zoo
from tiny import TINY_CONFIGS, tiny_batch as _batch, tiny_samples, trained_networks


def _weights(network):
    return [w.numpy().copy() for w in network.trainable_weights]


@pytest.mark.parametrize("name", sorted(TINY_CONFIGS))
def test_one_train_step_updates_every_network(name):
    gan = zoo.create(name, noise_seed=1, **TINY_CONFIGS[name])
    assert isinstance(gan, keras.Model)
    gan.compile()
    networks = trained_networks(gan)
    before = {key: _weights(network) for key, network in networks.items()}
    logs = gan.train_step(tf.nest.map_structure(tf.constant, _batch(gan)))
    assert set(logs) == {metric.name for metric in gan.metrics}
    for key, value in logs.items():
        assert np.isfinite(float(value)), key
    for key, network in networks.items():
        assert any(not np.allclose(a, b) for a, b in zip(before[key], _weights(network))), key


@pytest.mark.parametrize("name", sorted(TINY_CONFIGS))
def test_generate_shape_range_and_determinism(name):
    gan = zoo.create(name, **TINY_CONFIGS[name])
    images = tiny_samples(gan, 5, seed=3)
    assert images.shape == (5,) + tuple(gan.sample_shape)
    assert images.dtype == np.float32
    np.testing.assert_array_equal(images, tiny_samples(gan, 5, seed=3))
    assert not np.allclose(images, tiny_samples(gan, 5, seed=4))
    if len(gan.sample_shape) == 3:  # images: tanh output
        assert images.min() >= -1.0 and images.max() <= 1.0


def test_fit_runs_with_plain_keras_fit_and_d_steps():
    gan = zoo.create("dcgan", d_steps=2, **TINY_CONFIGS["dcgan"])
    gan.compile()
    data = tf.data.Dataset.from_tensor_slices(_batch(gan, 16)).batch(8)  # 2 D minibatches of 4
    history = gan.fit(data, epochs=2, verbose=0)
    assert set(history.history) == {"d_loss", "g_loss"} and len(history.history["d_loss"]) == 2
    assert int(gan.d_optimizer.iterations) == 2 * 2 * 2  # epochs * batches * d_steps
    assert int(gan.g_optimizer.iterations) == 2 * 2


def test_fit_accepts_image_label_pairs():
    gan = zoo.create("gan", **TINY_CONFIGS["gan"])
    gan.compile()
    images = _batch(gan, 8)
    labels = np.arange(8) % 10
    history = gan.fit(tf.data.Dataset.from_tensor_slices((images, labels)).batch(4), verbose=0)
    assert np.isfinite(history.history["g_loss"][0])


def test_config_round_trip_rebuilds_the_same_architecture():
    gan = zoo.create("dcgan", **TINY_CONFIGS["dcgan"])
    clone = type(gan).from_config(gan.get_config())
    assert clone.get_config() == gan.get_config()
    assert [w.shape for w in clone.generator.weights] == [w.shape for w in gan.generator.weights]


def test_sample_seeds_match_single_generation():
    gan = zoo.create("dcgan", **TINY_CONFIGS["dcgan"])
    z = gan.latent_from_seeds(tf.constant([7, 11], tf.int64)).numpy()
    np.testing.assert_allclose(z[0], gan.latent_from_seed(1, 7).numpy()[0])
    np.testing.assert_allclose(z[1], gan.latent_from_seed(1, 11).numpy()[0])


@pytest.mark.parametrize("kwargs, message", [
    (dict(image_shape=(30, 30, 1)), "4\\*2\\^n or 7\\*2\\^n"),
    (dict(image_shape=(32, 16, 3)), "square"),
    (dict(latent_dim=0), "latent_dim must be a positive integer"),
    (dict(d_steps=-1), "d_steps must be a positive integer"),
    (dict(loss="hinged"), "unknown loss"),
    (dict(label_smoothing=1.5), "label_smoothing"),
])
def test_bad_model_arguments_give_one_line_errors(kwargs, message):
    with pytest.raises(zoo.ZooError, match=message) as error:
        zoo.create("dcgan", **{**TINY_CONFIGS["dcgan"], **kwargs})
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("options", [dict(label_smoothing=0.1), dict(loss="minimax")])
def test_the_step_uses_the_configured_objective(options):
    """BaseGAN's losses are the configured ones: smoothed real targets, the minimax G loss."""
    from zoo import losses

    gan = zoo.create("gan", **TINY_CONFIGS["gan"], input_dropout=0.0, dropout=0.0, **options)
    real = tf.constant(_batch(gan, 4, seed=1))
    fake = tf.constant(_batch(gan, 4, seed=2))
    real_logits = gan.discriminator(real, training=True)
    fake_logits = gan.discriminator(fake, training=True)
    expected_d = losses.gan_discriminator_loss(
        real_logits, fake_logits, real_target=1.0 - options.get("label_smoothing", 0.0))
    generator_objective = {"minimax": losses.minimax_generator_loss}.get(
        options.get("loss"), losses.non_saturating_generator_loss)
    d = gan.discriminator_pass()
    np.testing.assert_allclose(gan.discriminator_loss(d, real, fake), expected_d, rtol=1e-5)
    d = gan.discriminator_pass()
    np.testing.assert_allclose(gan.generator_loss(d, fake), generator_objective(fake_logits), rtol=1e-5)


@pytest.mark.parametrize("seed", [2**64, -2**63 - 1, 1.5, "7", True])
def test_generate_refuses_seeds_that_are_not_64_bit_integers(seed):
    gan = zoo.create("gan_1d", **TINY_CONFIGS["gan_1d"])
    with pytest.raises(zoo.ZooError, match="seed must be a 64-bit integer"):
        gan.generate(2, seed=seed)


def test_same_shape_dcgan_layers_start_from_different_weights():
    from zoo.layers import dcgan_init

    first, second = (keras.layers.Dense(8, kernel_initializer=dcgan_init()) for _ in range(2))
    first.build((None, 8))
    second.build((None, 8))
    assert not np.allclose(first.kernel.numpy(), second.kernel.numpy())
    assert 0.015 < float(np.std(first.kernel.numpy())) < 0.025  # N(0, 0.02)


def test_a_seeded_model_starts_the_same_whatever_was_imported_before():
    import json
    import subprocess
    import sys

    from conftest import REPO

    # Looking up the registry first imports every variant; that must not shift the seed. One
    # fresh process per order: in one, the first zoo.create imports the variants after the
    # seed is set; in the other, list_models imports them before. Every model is then created
    # from seed 0 in both, so anything an import draws or seeds shows in some model's weights.
    code = ("import ast, json, sys, keras, zoo\n"
            "if sys.argv[1] == 'lookup_first': zoo.list_models()\n"
            "sums = {}\n"
            "for name, config in ast.literal_eval(sys.argv[2]).items():\n"
            "    keras.utils.set_random_seed(0)\n"
            "    gan = zoo.create(name, **config)\n"
            "    sums[name] = sum(float(abs(w.numpy()).sum()) for w in gan.weights)\n"
            "print(json.dumps(sums))")
    configs = repr({name: TINY_CONFIGS[name] for name in sorted(TINY_CONFIGS)})
    runs = [subprocess.run([sys.executable, "-c", code, order, configs], cwd=REPO,
                           capture_output=True, text=True, timeout=600)
            for order in ("create_first", "lookup_first")]
    sums = [json.loads(run.stdout.strip().splitlines()[-1]) if run.returncode == 0 else run.stderr[-2000:]
            for run in runs]
    assert isinstance(sums[0], dict), sums[0]
    assert set(sums[0]) == set(TINY_CONFIGS)
    assert sums[0] == sums[1]


def test_first_examples_reads_only_the_batches_it_needs_and_cuts_to_the_count():
    from zoo.core.model import first_examples

    read = []

    def batches():
        for start in range(0, 40, 10):
            read.append(start)
            yield {"image": tf.range(start, start + 10)}

    taken = first_examples(batches(), 15, lambda batch: batch["image"])
    assert taken.numpy().tolist() == list(range(15)) and read == [0, 10]
    assert first_examples(batches(), 100, lambda batch: batch["image"]).shape == (40,)
