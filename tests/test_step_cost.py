"""Guards against known slow paths in the training step: a network run more often than the
objective needs, and Python running again on every step (retracing)."""

import collections
from unittest import mock

import keras
import pytest
import tensorflow as tf

import zoo
from tiny import TINY_CONFIGS, tiny_batch

# The forward passes of each generator-side network in one traced step, at the tiny configs.
# Models not listed run their generator once per discriminator minibatch (d_steps times):
# the last minibatch's fakes serve D's update and G's loss alike.
FORWARD_PASSES = {
    "bigan": {"generator": 1, "encoder": 1},
    # Samples from the prior and reconstructions of the data: two batches, two passes.
    "vaegan": {"generator": 2, "encoder": 1},
    # Each direction translates, cycles the other's translation back, and maps its own domain
    # (the identity term).
    "cyclegan": {"generator_ab": 3, "generator_ba": 3},
    # Encoders: the data and the translations (cycle); decoders: translation, reconstruction,
    # cycle.
    "unit": {"encoder_a": 2, "encoder_b": 2, "decoder_a": 3, "decoder_b": 3},
    # f of the source (used by both the translation and the f-constancy term), of the target
    # (identity term) and of the translation; g of the source's and the target's features.
    "dtn": {"encoder": 3, "decoder": 2},
    "stackgan": {"stage_one": 1, "stage_two": 1},
    "vae": {"generator": 1, "encoder": 1},
    # Its Gibbs steps read the weights of the RBM's keras model, never call it.
    "rbm": {},
}


@pytest.mark.parametrize("name", zoo.list_models())
def test_each_network_runs_as_often_as_the_objective_needs(name):
    gan = zoo.create(name, **TINY_CONFIGS[name])
    gan.compile()
    expected = FORWARD_PASSES.get(name, {"generator": gan.minibatches_per_step})
    watched = {getattr(gan, network): network for network in expected}
    counts = collections.Counter()
    call = keras.Model.__call__

    def counting_call(model, *args, **kwargs):
        if model in watched:
            counts[watched[model]] += 1
        return call(model, *args, **kwargs)

    batch = tf.nest.map_structure(tf.constant, tiny_batch(gan))
    with mock.patch.object(keras.Model, "__call__", counting_call):
        tf.function(gan.train_step).get_concrete_function(batch)
    assert dict(counts) == expected


@pytest.mark.parametrize("name", ["dcgan", "cyclegan", "cgan"])
def test_the_step_is_traced_once_for_a_whole_run(name):
    gan = zoo.create(name, **TINY_CONFIGS[name])
    gan.compile()
    data = tf.data.Dataset.from_tensors(tiny_batch(gan)).repeat(4)
    with mock.patch.object(type(gan), "train_step", autospec=True,
                           side_effect=type(gan).train_step) as step:
        gan.fit(data, epochs=2, verbose=0)
    assert step.call_count == 1  # Python ran once, to trace; 8 steps ran the graph
    assert int(gan.g_optimizer.iterations) == 8


def discriminator_calls(gan):
    """D's forward passes in one traced step."""
    calls = []
    call = keras.Model.__call__

    def counting_call(model, *args, **kwargs):
        if model is gan.discriminator:
            calls.append(model)
        return call(model, *args, **kwargs)

    batch = tf.nest.map_structure(tf.constant, tiny_batch(gan))
    with mock.patch.object(keras.Model, "__call__", counting_call):
        tf.function(gan.train_step).get_concrete_function(batch)
    return len(calls)


def test_simultaneous_updates_judge_the_fakes_once():
    # Alternating: D on the real and the fake batch for its update, on the fakes again for G's
    # loss under the updated D. Simultaneous: the second pass over the fakes is the first one.
    alternating = zoo.create("dcgan", **TINY_CONFIGS["dcgan"])
    simultaneous = zoo.create("dcgan", **TINY_CONFIGS["dcgan"], updates="simultaneous")
    for gan in (alternating, simultaneous):
        gan.compile()
    assert (discriminator_calls(alternating), discriminator_calls(simultaneous)) == (3, 2)
