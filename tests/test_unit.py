"""UNIT (Liu et al. 2017): shared-latent weight sharing, its loss, translation and training."""


import numpy as np
import pytest
import tensorflow as tf

import zoo
from conftest import write_unpaired_folder
from tiny import TINY_CONFIGS

NOISE = 0.3  # the pinned draw of eta in z = E(x) + eta
VARIABLES_PER_BLOCK = 8  # a residual block: two convs (kernel, bias), two norms (gamma, beta)


def _tiny_unit(**kwargs):
    return zoo.create("unit", noise_seed=0, **{**TINY_CONFIGS["unit"], **kwargs})


def _ids(network):
    return [id(v) for v in network.trainable_variables]


@pytest.mark.parametrize("shared_blocks", [1, 2])
def test_encoders_share_their_last_blocks_and_decoders_their_first(shared_blocks):
    gan = _tiny_unit(shared_blocks=shared_blocks)
    shared = shared_blocks * VARIABLES_PER_BLOCK
    encoder_a, encoder_b = _ids(gan.encoder_a), _ids(gan.encoder_b)
    decoder_a, decoder_b = _ids(gan.decoder_a), _ids(gan.decoder_b)
    # The same variable objects end both encoders and start both decoders; none other is common.
    assert encoder_a[-shared:] == encoder_b[-shared:]
    assert not set(encoder_a[:-shared]) & set(encoder_b[:-shared])
    assert decoder_a[:shared] == decoder_b[:shared]
    assert not set(decoder_a[shared:]) & set(decoder_b[shared:])
    assert not set(encoder_a + encoder_b) & set(decoder_a + decoder_b)

    # The generator holds each shared variable once (the optimizer updates it once), and so
    # has fewer weights than two unshared encoder-decoder pairs would.
    generator = _ids(gan.generator)
    assert len(generator) == len(set(generator))
    assert set(generator) == set(encoder_a + encoder_b + decoder_a + decoder_b)
    assert len(generator) == 2 * (len(encoder_a) + len(decoder_a)) - 2 * shared
    unshared_size = 2 * sum(int(np.prod(v.shape)) for network in (gan.encoder_a, gan.decoder_a)
                            for v in network.trainable_variables)
    assert sum(int(np.prod(v.shape)) for v in gan.generator.trainable_variables) < unshared_size


def test_generator_loss_is_the_sum_of_its_weighted_terms():
    weights = dict(gan_weight=3.0, kl_weight=0.7, reconstruction_weight=5.0,
                   cycle_kl_weight=1.3, cycle_weight=11.0)
    gan = _tiny_unit(**weights)
    gan.sample_code = lambda mean: mean + NOISE  # pins the noise of every draw of z
    rng = np.random.default_rng(0)
    a, b = (tf.constant(rng.uniform(-1, 1, (2, 16, 16, 3)), tf.float32) for _ in range(2))
    fake = gan.fake_batch((a, b))

    # By hand, from the networks.
    run = lambda network, x: np.asarray(network(x, training=True))  # noqa: E731
    l1 = lambda x, y: np.abs(x - np.asarray(y)).reshape(2, -1).mean(1)  # noqa: E731
    kl = lambda code: 0.5 * (code ** 2).reshape(2, -1).mean(1)  # noqa: E731  per code value
    code_a, code_b = run(gan.encoder_a, a), run(gan.encoder_b, b)
    fake_b, fake_a = run(gan.decoder_b, code_a + NOISE), run(gan.decoder_a, code_b + NOISE)
    code_fake_b, code_fake_a = run(gan.encoder_b, fake_b), run(gan.encoder_a, fake_a)
    score_a, score_b = gan.discriminator([fake_a, fake_b], training=True)
    terms = {
        # zoo's least-squares G loss is 1/2 (D - 1)^2; UNIT weights it 2 lambda_0.
        "gan_weight": 2 * sum(0.5 * (np.asarray(s).reshape(2, -1) - 1) ** 2
                              for s in (score_a, score_b)).mean(1),
        "kl_weight": kl(code_a) + kl(code_b),
        "reconstruction_weight": (l1(run(gan.decoder_a, code_a + NOISE), a)
                                  + l1(run(gan.decoder_b, code_b + NOISE), b)),
        "cycle_kl_weight": kl(code_fake_b) + kl(code_fake_a),
        "cycle_weight": (l1(run(gan.decoder_a, code_fake_b + NOISE), a)
                         + l1(run(gan.decoder_b, code_fake_a + NOISE), b)),
    }
    assert all(np.all(term > 0) for term in terms.values())
    expected = sum(weights[name] * term for name, term in terms.items())
    d = gan.discriminator_pass()
    np.testing.assert_allclose(gan.generator_loss(d, fake), expected, rtol=1e-4)
    for name, term in terms.items():  # each term alone, so a small one can't hide in the sum
        for other in weights:
            setattr(gan, other, 1.0 if other == name else 0.0)
        d = gan.discriminator_pass()
        np.testing.assert_allclose(gan.generator_loss(d, fake), term, rtol=1e-4, err_msg=name)


@pytest.mark.slow
def test_translation_decodes_the_mean_code_and_the_export_serves_it(tmp_path):
    gan = _tiny_unit()
    images = np.random.default_rng(1).uniform(-1, 1, (3, 16, 16, 3)).astype("float32")
    a2b = gan.translate(images, "a2b")
    np.testing.assert_allclose(a2b, gan.decoder_b(gan.encoder_a(images)), atol=1e-6)
    np.testing.assert_allclose(gan.translate(images, "b2a"),
                               gan.decoder_a(gan.encoder_b(images)), atol=1e-6)
    np.testing.assert_array_equal(gan.translate(images, "a2b"), a2b)  # no noise: deterministic

    exported = tf.saved_model.load(zoo.export(gan, str(tmp_path), name="tiny_unit"))
    for direction in ("a2b", "b2a"):
        served = exported.signatures[direction](images=tf.constant(images))["images"]
        np.testing.assert_allclose(served, gan.translate(images, direction), atol=1e-5)


@pytest.mark.parametrize("kwargs, message", [
    (dict(image_shape=(18, 16, 3)), "multiples of 4"),
    (dict(shared_blocks=0), "shared_blocks must be a positive integer"),
    (dict(residual_blocks=-1), "residual_blocks must be an integer >= 0"),
    (dict(kl_weight=-0.1), "kl_weight must be a number >= 0"),
    (dict(latent_dim=8), "unit takes no argument 'latent_dim'"),
])
def test_bad_arguments_give_one_line_errors(kwargs, message):
    with pytest.raises(zoo.ZooError, match=message) as error:
        _tiny_unit(**kwargs)
    assert "\n" not in str(error.value)


# ---------------------------------------------------------------------- training


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """horse2zebra's layout in miniature: 2 dark horses, 2 light zebras, one of each to test."""
    return write_unpaired_folder(tmp_path_factory.mktemp("data") / "horse2zebra",
                                 {"trainA": 2, "trainB": 2, "testA": 1, "testB": 1})


@pytest.mark.slow
def test_unit_trains_through_zoo_training_on_the_folder(folder, tmp_path):
    from zoo import training

    gan, summary = training.train(
        preset="unit_horse2zebra_64", image_size=16, epochs=1, steps_per_epoch=1, seed=0,
        verbose=0, manual_dir=str(folder), output_dir=str(tmp_path / "run"), generator_filters=4,
        discriminator_filters=4, residual_blocks=1)
    assert int(gan.g_optimizer.iterations) == int(gan.d_optimizer.iterations) == 1
    assert all(np.isfinite(v) for k in ("d_loss", "g_loss") for v in summary["history"][k])
    assert (tmp_path / "run" / "samples" / "epoch_0001.png").is_file()
    loaded = zoo.load(summary["output_dir"])
    np.testing.assert_allclose(loaded.translate(gan.sample_inputs[0], "a2b"),
                               gan.translate(gan.sample_inputs[0], "a2b"), atol=1e-5)
