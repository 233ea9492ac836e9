"""Unrolled discriminator steps for the generator's loss (Metz et al. 2017, "Unrolled
Generative Adversarial Networks").

G's loss is taken against D_K: D after K further steps of its own optimizer on the current
batch, computed as tensors (the variables do not change) so that G's gradient flows through
them, including the second-order term by which G anticipates D's reaction. Metz et al.
unrolled the Adam updates of D; this does the same, from the optimizer's current moments.
"""

import keras
import tensorflow as tf

from zoo import replicas
from zoo.internals import adam_moments
from zoo.errors import ZooError


def _adam(optimizer):
    """The Adam inside `optimizer` (through a LossScaleOptimizer), or None."""
    inner = getattr(optimizer, "inner_optimizer", optimizer)
    return inner if isinstance(inner, keras.optimizers.Adam) else None


def check_optimizer(optimizer):
    if _adam(optimizer) is None:
        raise ZooError(f"unrolled_steps unrolls Adam updates, and the discriminator's optimizer is "
                       f"{type(optimizer).__name__}: compile with keras.optimizers.Adam "
                       "or set unrolled_steps=0")


def unrolled_weights(gan, real, fake, steps):
    """D's trainable weights after `steps` differentiable Adam steps on (real, fake)."""
    adam = _adam(gan.d_optimizer)
    variables = gan.discriminator.trainable_variables
    weights = [tf.convert_to_tensor(v) for v in variables]
    first, second = adam_moments(adam, variables)
    learning_rate = tf.cast(adam.learning_rate, weights[0].dtype)
    iteration = tf.cast(adam.iterations, weights[0].dtype)
    beta_1, beta_2 = float(adam.beta_1), float(adam.beta_2)
    for step in range(1, steps + 1):
        with tf.GradientTape() as tape:
            tape.watch(weights)
            loss = tf.reduce_mean(gan.discriminator_loss(gan.discriminator_pass(weights), real, fake))
        # Each replica holds its share of the batch; D's real update takes the whole batch's.
        grads = replicas.mean_over_replicas(tape.gradient(loss, weights))
        t = iteration + step
        corrected_lr = learning_rate * tf.sqrt(1.0 - beta_2 ** t) / (1.0 - beta_1 ** t)
        first = [m + (g - m) * (1.0 - beta_1) for m, g in zip(first, grads)]
        second = [v + (tf.square(g) - v) * (1.0 - beta_2) for v, g in zip(second, grads)]
        # sqrt's derivative is infinite at 0 (a weight whose gradients were all 0 so far):
        # the 1e-16 inside keeps G's second-order gradient finite and moves the step by
        # less than Adam's own epsilon.
        weights = [w - corrected_lr * m / (tf.sqrt(v + 1e-16) + adam.epsilon)
                   for w, m, v in zip(weights, first, second)]
    return weights
