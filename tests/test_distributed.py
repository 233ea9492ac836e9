"""MirroredStrategy on 2 logical CPU devices (set up in conftest.py)."""

import numpy as np
import pytest
import tensorflow as tf
import keras

import zoo
from conftest import two_replica_strategy
from tiny import TINY_CONFIGS

GLOBAL_BATCH = 8
STEPS = 2


def _pinned(gan, table):
    """Make the noise a function of each example's position in the global batch, so that a
    2-replica step and a 1-device step see the same z for the same example."""

    def sample_latent(batch_size):
        replica = tf.distribute.get_replica_context().replica_id_in_sync_group
        start = tf.cast(replica, tf.int32) * batch_size
        return tf.gather(table, start + tf.range(batch_size))

    gan.sample_latent = sample_latent
    return gan


def _compile_with_sgd(gan):
    # Plain SGD: its update is proportional to the gradient, so a loss scaled to the wrong
    # batch size shows up in the weights (Adam would normalise it away).
    gan.compile(d_optimizer=keras.optimizers.SGD(0.1), g_optimizer=keras.optimizers.SGD(0.1))


@pytest.mark.parametrize("name, extra", [
    ("dcgan", {}), ("dcgan", dict(d_steps=2)), ("gan", dict(input_dropout=0.0, dropout=0.0)),
    # Weight clipping (a constraint applied by the optimizer), n_critic = 5, packing.
    ("wgan", {}), ("lsgan", {}), ("dcgan", dict(loss="hinge")),
    ("wgan", dict(pack=2, clip_value=None, d_steps=1)),
    # Labelled batches (x, y): the labels split with the images.
    ("acgan", {})])
def test_two_replicas_train_like_one_device(name, extra):
    kwargs = {**TINY_CONFIGS[name], **extra}
    rng = np.random.default_rng(0)
    reference = zoo.create(name, **kwargs)
    table = tf.constant(rng.standard_normal((GLOBAL_BATCH, reference.latent_dim)), tf.float32)
    fit_batch = GLOBAL_BATCH * reference.d_steps
    images = rng.uniform(-1, 1, (STEPS * fit_batch,) + reference.sample_shape).astype("float32")
    # Under the strategy each replica splits its half of the batch into d_steps minibatches;
    # order the single-device batch so that its minibatches hold the same examples.
    if reference.data_needs == "labels":
        labels = rng.integers(0, reference.num_classes, len(images)).astype("int32")
        data = tf.data.Dataset.from_tensor_slices((images, labels)).batch(fit_batch)
    else:
        data = tf.data.Dataset.from_tensor_slices(images).batch(fit_batch)
    _compile_with_sgd(_pinned(reference, table))
    with two_replica_strategy().scope():
        mirrored = _pinned(zoo.create(name, **kwargs), table)
        _compile_with_sgd(mirrored)
    mirrored.set_weights(reference.get_weights())

    if reference.d_steps > 1:
        half = fit_batch // 2
        per_replica = images.reshape(STEPS, 2, reference.d_steps, half // reference.d_steps,
                                     *reference.sample_shape)
        single = per_replica.transpose(0, 2, 1, 3, *range(4, per_replica.ndim))
        reference_data = tf.data.Dataset.from_tensor_slices(
            single.reshape(images.shape)).batch(fit_batch)
    else:
        reference_data = data
    expected = reference.fit(reference_data, epochs=1, verbose=0).history
    got = mirrored.fit(data, epochs=1, verbose=0).history
    assert mirrored.distribute_strategy.num_replicas_in_sync == 2
    for key in ("d_loss", "g_loss"):
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-4, err_msg=key)
    for network in ("generator", "discriminator"):
        before = getattr(reference, network)
        after = getattr(mirrored, network)
        for a, b in zip(before.weights, after.weights):
            np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-5, err_msg=f"{network} {a.path}")


def test_replicas_draw_different_noise():
    strategy = two_replica_strategy()
    with strategy.scope():
        gan = zoo.create("dcgan", noise_seed=0, **TINY_CONFIGS["dcgan"])
    per_replica = strategy.run(tf.function(lambda: gan.sample_latent(4)))
    first, second = [t.numpy() for t in strategy.experimental_local_results(per_replica)]
    assert first.shape == second.shape == (4, gan.latent_dim)
    assert not np.allclose(first, second)
