"""The models that learn an encoder beside their generator: bigan and vaegan."""

import numpy as np
import tensorflow as tf
import keras

import zoo
from tiny import TINY_CONFIGS, tiny_batch


def _values(network):
    return [v.numpy().copy() for v in network.trainable_variables]


def test_vaegan_trains_each_network_on_its_own_objective():
    """Larsen et al.'s Algorithm 1: the encoder descends KL + the feature reconstruction, the
    decoder gamma * the feature reconstruction + its adversarial loss, and not each other's."""
    gan = zoo.create("vaegan", noise_seed=3, feature_weight=0.25, **TINY_CONFIGS["vaegan"])
    # D stands still (learning rate 0), so the generator side's gradients are those at the
    # weights the step starts from; plain SGD, so each update is minus the gradient.
    gan.compile(d_optimizer=keras.optimizers.SGD(0.0), g_optimizer=keras.optimizers.SGD(1.0))
    real = tf.constant(tiny_batch(gan))
    encoder_before, decoder_before = _values(gan.encoder), _values(gan.generator)

    gan.noise.reset_from_seed(3)
    with tf.GradientTape(persistent=True) as tape:
        objectives = gan.generator_loss(gan.discriminator_pass(), gan.fake_batch(real))
        means = {name: tf.reduce_mean(loss) for name, loss in objectives.items()}
    expected = {name: tape.gradient(means[name], network.trainable_variables)
                for name, network in gan.generator_networks().items()}

    gan.noise.reset_from_seed(3)
    gan.train_step(real)
    for name, before in (("encoder", encoder_before), ("generator", decoder_before)):
        network = gan.generator_networks()[name]
        for old, new, grad in zip(before, _values(network), expected[name]):
            np.testing.assert_allclose(old - new, grad.numpy(), rtol=1e-4, atol=1e-6)
    # The two objectives differ: the encoder's has no adversarial term, the decoder's no KL.
    assert not np.allclose(objectives["encoder"].numpy(), objectives["generator"].numpy())


def test_vaegan_encoder_objective_is_kl_plus_feature_reconstruction():
    gan = zoo.create("vaegan", noise_seed=0, **TINY_CONFIGS["vaegan"])
    real = tf.constant(tiny_batch(gan))
    fake = gan.fake_batch(real)
    _, real_features = gan.discriminator(real, training=True)
    _, fake_features = gan.discriminator(fake.reconstruction, training=True)
    feature = 0.5 * tf.reduce_sum(tf.square(real_features - fake_features), axis=1)
    kl = 0.5 * tf.reduce_sum(tf.square(fake.mean) + tf.exp(fake.log_variance) - 1.0
                             - fake.log_variance, axis=1)
    d = gan.discriminator_pass()
    np.testing.assert_allclose(gan.generator_loss(d, fake)["encoder"], kl + feature, rtol=1e-5)


def test_bigan_discriminator_sees_data_with_its_codes_and_samples_with_their_noise():
    gan = zoo.create("bigan", noise_seed=0, **TINY_CONFIGS["bigan"])
    real = tf.constant(tiny_batch(gan))
    fake = gan.fake_batch(real)
    np.testing.assert_allclose(fake.encoded, gan.encoder(real, training=True), atol=1e-6)
    np.testing.assert_allclose(fake.generated, gan.generator(fake.noise, training=True), atol=1e-6)
    real_score = gan.discriminator([real, fake.encoded], training=True)
    fake_score = gan.discriminator([fake.generated, fake.noise], training=True)
    # D: (x, E(x)) is data, (G(z), z) generated; G and E: the same loss, the sides swapped.
    d_loss = tf.nn.softplus(-real_score[:, 0]) + tf.nn.softplus(fake_score[:, 0])
    g_loss = tf.nn.softplus(-fake_score[:, 0]) + tf.nn.softplus(real_score[:, 0])
    d = gan.discriminator_pass()
    np.testing.assert_allclose(gan.discriminator_loss(d, real, fake), d_loss, rtol=1e-5)
    d = gan.discriminator_pass()
    np.testing.assert_allclose(gan.generator_loss(d, fake), g_loss, rtol=1e-5)


def test_reconstruct_decodes_the_codes():
    for name in ("bigan", "vaegan"):
        gan = zoo.create(name, **TINY_CONFIGS[name])
        images = tiny_batch(gan)
        codes = gan.encode(images)
        assert codes.shape == (len(images), gan.latent_dim)
        np.testing.assert_allclose(gan.reconstruct(images), gan.generator(codes, training=False),
                                   atol=1e-6)
