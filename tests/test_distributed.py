"""MirroredStrategy on 2 logical CPU devices (set up in conftest.py): every registered model's
step on 2 replicas equals its step on one device over the same global batch.

The comparison runs in float64. In float32 the two runs differ by rounding (sums taken in
another order), and some networks amplify it: instance norm over a tiny image turns the
last bits of one step into a share of a percent of what two steps change, by an amount
that depends on the CPU's kernels. In float64 that rounding is ten orders of magnitude
below what the steps change, so the tolerance can be tight enough that any real
difference between the replicas (a loss scaled for the wrong batch size, a statistic or a
pool of the wrong batch) fails the test on every machine."""

import threading

import numpy as np
import pytest
import tensorflow as tf
import keras

import zoo
from conftest import two_replica_strategy
from tiny import DETERMINISTIC, TINY_CONFIGS, found_clusters, tiny_batch, trained_networks

MINIBATCH = 8  # examples per discriminator update, across both replicas

# Beyond each model's tiny configuration: remedies and schedules that touch the step.
EXTRA_CASES = [
    ("dcgan", dict(d_steps=2)),
    ("dcgan", dict(loss="hinge")),
    ("dcgan", dict(updates="simultaneous")),  # both gradients before either update; D's scores shared
    ("dcgan", dict(unrolled_steps=1)),  # G's loss through D's unrolled weights on each replica
    ("wgan", dict(pack=2, clip_value=None, d_steps=1)),  # packing
    ("dcgan", dict(r1_gamma=1.0, minibatch_stddev=True, spectral_norm=True)),
    ("cyclegan", dict(pool_size=2)),  # the history pool fills up and starts swapping
    ("rbm", dict(persistent=True, cd_steps=2)),  # PCD: chains kept on each replica
    ("dcgan", dict(ema_decay=0.9)),  # the generator's average moves alike on every replica
    ("vae", dict(ema_decay=0.9)),
]


class GlobalBatchNoise:
    """Stands in for a model's noise stream (tf.random.Generator): each draw is made for the
    global batch from a seed fixed by its order in the step, and each replica takes its own
    rows of it. So a replica's example i gets the noise that the same example gets on one
    device, whatever the draw: latents, reparameterised codes, gradient-penalty weights, pool
    swaps, mismatched labels. Every draw's first axis is the batch."""

    def __init__(self):
        self._order = threading.local()  # a step traced per replica runs in its own thread

    def _draw(self, sample, shape, **kwargs):
        context = tf.distribute.get_replica_context()
        replicas, replica = context.num_replicas_in_sync, context.replica_id_in_sync_group
        index = getattr(self._order, "draws", 0)
        self._order.draws = index + 1
        shape = tf.cast(tf.convert_to_tensor(shape), tf.int32)
        drawn = sample(tf.concat([shape[:1] * replicas, shape[1:]], 0), seed=[index, 17], **kwargs)
        start = tf.cast(replica, tf.int32) * shape[0]
        return drawn[start:start + shape[0]]

    def normal(self, shape, dtype=tf.float32):
        return self._draw(tf.random.stateless_normal, shape, dtype=dtype)

    def uniform(self, shape, minval=0, maxval=None, dtype=tf.float32):
        return self._draw(tf.random.stateless_uniform, shape, minval=minval, maxval=maxval,
                          dtype=dtype)


def _with_global_batch_noise(gan):
    noise = GlobalBatchNoise()
    gan.noise = noise
    for pool in getattr(gan, "pools", {}).values():
        pool.noise = noise
    # Plain SGD: its update is proportional to the gradient, so a loss scaled to the wrong
    # batch size shows up in the weights (Adam would normalise it away).
    optimizers = {name: keras.optimizers.SGD(0.01) for name in gan.optimizer_names}
    if getattr(gan, "unrolled_steps", 0):
        optimizers["d_optimizer"] = keras.optimizers.Adam(0.01)  # the only one it unrolls; G stays on SGD
    gan.compile(**optimizers)
    return gan


def _single_device_order(batch, steps, d_steps):
    """Each replica splits its half of a fit batch into d_steps minibatches; order the
    one-device fit batches so that their minibatch k holds both replicas' minibatch k."""
    def reorder(array):
        parts = array.reshape((steps, 2, d_steps, -1) + array.shape[1:])
        return parts.swapaxes(1, 2).reshape(array.shape)
    return tf.nest.map_structure(reorder, batch)


def _dataset(batch, steps):
    return tf.data.Dataset.from_tensor_slices(batch).batch(
        len(tf.nest.flatten(batch)[0]) // steps)


# The translators' cases take a minute or more each on 2 cores.
SLOW = {"cyclegan", "unit"}


@pytest.mark.parametrize("name, extra", [
    pytest.param(name, extra, marks=[pytest.mark.slow] if name in SLOW else [])
    for name, extra in [(name, {}) for name in zoo.list_models()] + EXTRA_CASES],
                         ids=lambda value: value if isinstance(value, str) else
                         ",".join(f"{k}={v}" for k, v in value.items()) or "tiny")
def test_two_replicas_train_like_one_device(name, extra, float64):
    _compare_two_replicas_with_one_device(name, extra)


@pytest.mark.slow
def test_the_comparison_fails_when_the_replicas_disagree(float64, monkeypatch):
    """The check above has teeth: with the history pool's global gather broken (each replica
    keeping a pool of its own half batch), the pooled cyclegan case fails."""
    import types

    import zoo.core.translation

    monkeypatch.setattr(zoo.core.translation, "replicas", types.SimpleNamespace(
        gather=lambda x: x, own_rows=lambda gathered, local_size: gathered))
    with pytest.raises(AssertionError, match="Not equal to tolerance"):
        _compare_two_replicas_with_one_device("cyclegan", dict(pool_size=2))


def _compare_two_replicas_with_one_device(name, extra, steps=2):
    kwargs = {**TINY_CONFIGS[name], **DETERMINISTIC.get(name, {}), **extra}
    # Fixed initial weights: a comparison that passes or fails alike on every run.
    keras.utils.set_random_seed(0)
    reference = _with_global_batch_noise(zoo.create(name, **kwargs))
    d_steps = reference.minibatches_per_step
    batch = tf.nest.map_structure(
        lambda a: a.astype("float64") if a.dtype.kind == "f" else a,
        tiny_batch(reference, size=steps * MINIBATCH * d_steps, seed=1))
    found_clusters(reference, batch)
    with two_replica_strategy().scope():
        mirrored = _with_global_batch_noise(zoo.create(name, **kwargs))
    mirrored.set_weights(reference.get_weights())
    initial = {key: [w.numpy() for w in network.weights]
               for key, network in trained_networks(reference).items()}

    expected = reference.fit(_dataset(_single_device_order(batch, steps, d_steps), steps),
                             epochs=1, verbose=0).history
    got = mirrored.fit(_dataset(batch, steps), epochs=1, verbose=0).history
    assert mirrored.distribute_strategy.num_replicas_in_sync == 2
    assert set(got) == set(expected)
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-9, atol=1e-12, err_msg=key)
    for network_name, network in trained_networks(reference).items():
        twin = trained_networks(mirrored)[network_name]
        changes = [np.abs(w.numpy() - w0).max() for w, w0 in zip(network.weights, initial[network_name])]
        assert max(changes) > 0, f"the steps left {network_name} as it was: nothing compared"
        assert {w.dtype for w in network.weights} - {"int64"} == {"float64"}, network_name
        for a, b, change in zip(network.weights, twin.weights, changes):
            # Rounding in float64 leaves the runs within about 1e-13 of what the steps changed
            # (and 1e-15 absolute where a gradient is 0 but for rounding: a bias ahead of
            # instance norm); a replica bug is off by a large share of the change.
            np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=0, atol=1e-12 + 1e-8 * change,
                                       err_msg=f"{network_name} {a.path}")


def test_replicas_draw_different_noise():
    strategy = two_replica_strategy()
    with strategy.scope():
        gan = zoo.create("dcgan", noise_seed=0, **TINY_CONFIGS["dcgan"])
    per_replica = strategy.run(tf.function(lambda: gan.sample_latent(4)))
    first, second = [t.numpy() for t in strategy.experimental_local_results(per_replica)]
    assert first.shape == second.shape == (4, gan.latent_dim)
    assert not np.allclose(first, second)
