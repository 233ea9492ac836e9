"""Adversarial losses as plain functions on tensors.

Every function returns one loss per example (shape [batch]); the model reduces them with
`tf.nn.compute_average_loss`, which divides by the global batch, so one rule scales every
loss correctly under `tf.distribute` strategies. Discriminator outputs are logits: the
sigmoid lives inside the loss (`softplus` forms), which is exact and never takes log(0).

Identities used below, with D = sigmoid(l):
    -log D       = softplus(-l)
    -log(1 - D)  = softplus(l)
"""

import collections

import tensorflow as tf

from zoo.errors import ZooError


def per_example(values):
    """Average a [batch, ...] tensor (e.g. a patch discriminator's map) to shape [batch]."""
    values = tf.convert_to_tensor(values)
    if values.shape.rank == 1:
        return values
    return tf.reduce_mean(tf.reshape(values, [tf.shape(values)[0], -1]), axis=1)


def sigmoid_cross_entropy(logits, target):
    """Binary cross-entropy against a constant target in [0, 1], per example."""
    loss = target * tf.nn.softplus(-logits) + (1.0 - target) * tf.nn.softplus(logits)
    return per_example(loss)


def gan_discriminator_loss(real_logits, fake_logits, real_target=1.0):
    """Goodfellow et al. 2014: D maximises log D(x) + log(1 - D(G(z))).

    `real_target` < 1 is one-sided label smoothing (Salimans et al. 2016): only the real
    targets are softened, never the fake ones.
    """
    return (sigmoid_cross_entropy(real_logits, real_target)
            + sigmoid_cross_entropy(fake_logits, 0.0))


def minimax_generator_loss(fake_logits):
    """The paper's minimax objective for G: minimise log(1 - D(G(z))).

    Saturates early in training, when D rejects the samples with confidence.
    """
    return -per_example(tf.nn.softplus(fake_logits))


def non_saturating_generator_loss(fake_logits):
    """The paper's practical alternative: maximise log D(G(z)), i.e. minimise -log D(G(z))."""
    return per_example(tf.nn.softplus(-fake_logits))


AdversarialLoss = collections.namedtuple("AdversarialLoss", ["discriminator", "generator"])

ADVERSARIAL_LOSSES = {
    "non_saturating": AdversarialLoss(gan_discriminator_loss, non_saturating_generator_loss),
    "minimax": AdversarialLoss(gan_discriminator_loss, minimax_generator_loss),
}


def get_adversarial_loss(name):
    if name not in ADVERSARIAL_LOSSES:
        raise ZooError(f"unknown loss {name!r}: choose one of {', '.join(sorted(ADVERSARIAL_LOSSES))}")
    return ADVERSARIAL_LOSSES[name]
