"""DTN (one-way translation through a frozen encoder) and the mnist2bold domains."""

import numpy as np
import pytest
import tensorflow as tf

import zoo
from tiny import TINY_CONFIGS, tiny_batch
from zoo.data import digit_domains


def test_the_encoder_stays_frozen_and_the_decoder_learns():
    gan = zoo.create("dtn", noise_seed=0, **TINY_CONFIGS["dtn"])
    gan.compile()
    encoder_before = [w.numpy().copy() for w in gan.encoder.weights]
    decoder_before = [w.numpy().copy() for w in gan.decoder.trainable_weights]
    assert not gan.encoder.trainable_weights and gan.encoder.weights
    gan.train_step(tuple(tf.constant(x) for x in tiny_batch(gan)))
    for before, after in zip(encoder_before, gan.encoder.weights):
        np.testing.assert_array_equal(before, after.numpy())
    assert any(not np.allclose(b, a) for b, a in zip(decoder_before, gan.decoder.trainable_weights))


def test_generator_loss_is_adversarial_plus_f_constancy_plus_identity():
    gan = zoo.create("dtn", constancy_weight=3.0, identity_weight=7.0, **TINY_CONFIGS["dtn"])
    source, target = (tf.constant(x) for x in tiny_batch(gan))
    fake = gan.fake_batch((source, target))
    np.testing.assert_allclose(fake.from_source, gan.decoder(gan.encoder(source), training=True), atol=1e-6)
    softplus = lambda x: np.log1p(np.exp(-np.asarray(x)[:, 0]))  # noqa: E731  -log sigmoid(x)
    adversarial = (softplus(gan.discriminator(fake.from_source, training=True))
                   + softplus(gan.discriminator(fake.from_target, training=True)))
    constancy = np.mean(np.square(gan.encoder(source) - gan.encoder(fake.from_source)), axis=1)
    identity = np.square(np.asarray(target) - fake.from_target).reshape(len(source), -1).mean(1)
    d = gan.discriminator_pass()
    np.testing.assert_allclose(gan.generator_loss(d, fake), adversarial + 3 * constancy + 7 * identity,
                               rtol=1e-4)


def test_one_way_translation_refuses_the_other_way_and_exports_one_direction(tmp_path):
    gan = zoo.create("dtn", **TINY_CONFIGS["dtn"])
    images = tiny_batch(gan)[0][:2]
    with pytest.raises(zoo.ZooError, match="dtn translates a2b, not 'b2a'"):
        gan.translate(images, "b2a")
    loaded = tf.saved_model.load(zoo.export(gan, tmp_path))
    assert set(loaded.signatures) == {"a2b", "a2b_uint8", "serving_default"}
    np.testing.assert_allclose(loaded.signatures["a2b"](images=tf.constant(images))["images"],
                               gan.translate(images, "a2b"), atol=1e-5)


def test_embolden_thickens_a_stroke_by_a_pixel_each_side():
    image = -np.ones((1, 7, 7, 1), np.float32)
    image[0, 3, 3, 0] = 1.0
    bold = digit_domains.embolden(tf.constant(image)).numpy()[0, :, :, 0]
    assert (bold == 1).sum() == 9 and np.all(bold[2:5, 2:5] == 1)


def test_mnist2bold_pairs_digits_with_bold_digits_from_the_other_half():
    a, b = next(iter(zoo.data.load("mnist2bold", split="test", batch_size=64, shuffle=False)))
    assert a.shape == b.shape == (64, 28, 28, 1)
    bright = lambda x: float(np.mean(np.asarray(x) > 0))  # noqa: E731  share of ink
    assert bright(b) > 1.5 * bright(a)
    first_of_b, _ = next(iter(digit_domains.load_digit_domain("test", "B", 64, with_labels=True,
                                                               shuffle=False)))
    np.testing.assert_array_equal(first_of_b, b)
    plain_a, = [x for x, _ in digit_domains.load_digit_domain("test", "A", 64, with_labels=True,
                                                                 shuffle=False).take(1)]
    np.testing.assert_array_equal(plain_a, a)  # A is not emboldened


def test_dtn_trains_on_mnist2bold_with_the_mnist_encoder(tmp_path):
    from zoo import training

    gan, summary = training.train(preset="dtn_mnist2bold", epochs=1, steps_per_epoch=2,
                                  batch_size=16, base_filters=8, seed=0, verbose=0,
                                  output_dir=str(tmp_path / "run"))
    assert int(gan.g_optimizer.iterations) == 2
    assert all(np.isfinite(v) for v in summary["history"]["g_loss"])
    assert (tmp_path / "run" / "samples" / "epoch_0001.png").is_file()
    loaded = zoo.load(summary["output_dir"])
    np.testing.assert_allclose(loaded.translate(gan.sample_inputs[0], "a2b"),
                               gan.translate(gan.sample_inputs[0], "a2b"), atol=1e-5)
