"""Simultaneous updates (updates="simultaneous"): both losses from D as it stands."""

from unittest import mock

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from tiny import TINY_CONFIGS, tiny_batch, trained_networks
from zoo.core.adversarial import AdversarialModel
from zoo.errors import ZooError

GANS = [name for name in zoo.list_models() if issubclass(zoo.get_model_class(name), AdversarialModel)]


def test_both_gradients_come_from_the_networks_before_either_update():
    keras.utils.set_random_seed(0)
    gan = zoo.create("dcgan", **TINY_CONFIGS["dcgan"], updates="simultaneous")
    gan.compile(d_optimizer=keras.optimizers.SGD(0.1), g_optimizer=keras.optimizers.SGD(0.1))
    real = tf.constant(tiny_batch(gan))
    z = tf.random.normal((len(real), gan.latent_dim), seed=1)
    # The tutorial's step written out on the same networks, same noise: its gradients.
    cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True)
    with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
        fake_logits = gan.discriminator(gan.generator(z, training=True), training=True)
        real_logits = gan.discriminator(real, training=True)
        d_loss = (cross_entropy(tf.ones_like(real_logits), real_logits)
                  + cross_entropy(tf.zeros_like(fake_logits), fake_logits))
        g_loss = cross_entropy(tf.ones_like(fake_logits), fake_logits)
    expected = {}
    for network, tape, loss in ((gan.generator, g_tape, g_loss), (gan.discriminator, d_tape, d_loss)):
        grads = tape.gradient(loss, network.trainable_variables)
        expected[network.name] = [v.numpy() - 0.1 * g.numpy()
                                  for v, g in zip(network.trainable_variables, grads)]
    with mock.patch.object(gan, "sample_latent", lambda n: z):
        gan.train_step(real)
    for network in (gan.generator, gan.discriminator):
        for variable, want in zip(network.trainable_variables, expected[network.name]):
            np.testing.assert_allclose(variable.numpy(), want, rtol=1e-4, atol=1e-5,
                                       err_msg=f"{network.name}/{variable.path}")


@pytest.mark.parametrize("name", GANS)
def test_every_gan_trains_every_network_with_simultaneous_updates(name):
    keras.utils.set_random_seed(0)
    gan = zoo.create(name, **TINY_CONFIGS[name], updates="simultaneous")
    gan.compile()
    before = {key: [v.numpy() for v in network.trainable_variables]
              for key, network in trained_networks(gan).items()}
    logs = gan.train_step(tf.nest.map_structure(tf.constant, tiny_batch(gan)))
    assert all(np.isfinite(float(value)) for value in logs.values())
    for key, network in trained_networks(gan).items():
        assert any(not np.array_equal(v.numpy(), old)
                   for v, old in zip(network.trainable_variables, before[key])), key
    assert gan.get_config()["updates"] == "simultaneous"  # saved with the model


def test_bad_update_orders_are_refused():
    with pytest.raises(ZooError, match="updates must be one of alternating, simultaneous"):
        zoo.create("dcgan", **TINY_CONFIGS["dcgan"], updates="joint")
    with pytest.raises(ZooError, match="unrolled_steps looks ahead"):
        zoo.create("gan", **TINY_CONFIGS["gan"], updates="simultaneous", unrolled_steps=2)
