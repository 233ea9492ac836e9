"""MirroredStrategy on 2 logical CPU devices (set up in conftest.py)."""

import functools
import numpy as np
import pytest
import tensorflow as tf

import zoo
from tiny import TINY_CONFIGS

GLOBAL_BATCH = 8


@functools.lru_cache(maxsize=None)
def _strategy():
    # One strategy per process: a second MirroredStrategy in the same process can collide
    # with the first one's collective-op keys (seen here as "Shape mismatch in the collective").
    devices = tf.config.list_logical_devices("CPU")
    assert len(devices) >= 2, "conftest.py should have made 2 logical CPUs"
    return tf.distribute.MirroredStrategy([d.name for d in devices[:2]])


def _pinned(gan, table):
    """Make the noise a function of each example's position in the global batch, so that a
    2-replica step and a 1-device step see the same z for the same example."""

    def sample_latent(batch_size):
        replica = tf.distribute.get_replica_context().replica_id_in_sync_group
        start = tf.cast(replica, tf.int32) * batch_size
        return tf.gather(table, start + tf.range(batch_size))

    gan.sample_latent = sample_latent
    return gan


@pytest.mark.parametrize("name, extra", [("dcgan", {}), ("gan", dict(input_dropout=0.0, dropout=0.0))])
def test_two_replicas_step_like_one_device(name, extra):
    kwargs = {**TINY_CONFIGS[name], **extra}
    rng = np.random.default_rng(0)
    reference = zoo.create(name, **kwargs)
    table = tf.constant(rng.standard_normal((GLOBAL_BATCH, reference.latent_dim)), tf.float32)
    images = rng.uniform(-1, 1, (GLOBAL_BATCH,) + reference.sample_shape).astype("float32")
    data = tf.data.Dataset.from_tensor_slices(images).batch(GLOBAL_BATCH)

    _pinned(reference, table).compile()
    with _strategy().scope():
        mirrored = _pinned(zoo.create(name, **kwargs), table)
        mirrored.compile()
    mirrored.set_weights(reference.get_weights())

    reference.fit(data, epochs=1, verbose=0)
    mirrored.fit(data, epochs=1, verbose=0)
    assert mirrored.distribute_strategy.num_replicas_in_sync == 2
    for network in ("generator", "discriminator"):
        before = getattr(reference, network)
        after = getattr(mirrored, network)
        for a, b in zip(before.weights, after.weights):
            np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-5, err_msg=f"{network} {a.path}")


def test_replicas_draw_different_noise():
    strategy = _strategy()
    with strategy.scope():
        gan = zoo.create("dcgan", noise_seed=0, **TINY_CONFIGS["dcgan"])
    per_replica = strategy.run(tf.function(lambda: gan.sample_latent(4)))
    first, second = [t.numpy() for t in strategy.experimental_local_results(per_replica)]
    assert first.shape == second.shape == (4, gan.latent_dim)
    assert not np.allclose(first, second)
