"""Adversarial losses as plain functions on tensors.

Every function returns one loss per example (shape [batch]); the model reduces them with
`tf.nn.compute_average_loss`, which divides by the global batch, so one rule scales every
loss correctly under `tf.distribute` strategies. Discriminator outputs are logits: the
sigmoid lives inside the loss (`softplus` forms), which is exact and never takes log(0).

Identities used below, with D = sigmoid(l):
    -log D       = softplus(-l)
    -log(1 - D)  = softplus(l)

The Wasserstein, hinge and least-squares losses read the same outputs as unbounded scores
(a critic's value), not as logits. The penalties (`gradient_penalty`, `r1_penalty`) take
the discriminator as a function, since they differentiate it with respect to its input.
"""

import collections

import keras
import tensorflow as tf

from zoo import replicas
from zoo.errors import ZooError


def full_precision(values):
    """`values` in the precision of the variables and the losses: keras' floatx (float32
    under mixed precision, where the layers compute in 16 bits; float64 if floatx is)."""
    return tf.cast(values, keras.config.floatx())


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


def wasserstein_critic_loss(real_scores, fake_scores, real_target=1.0):
    """Arjovsky et al. 2017: the critic maximises E[f(x)] - E[f(G(z))], so minimises the negation.

    The critic must be kept (roughly) 1-Lipschitz for this to estimate the Wasserstein-1
    distance: by weight clipping (WGAN), a gradient penalty (WGAN-GP) or spectral norm.
    `real_target` is accepted for a uniform signature; only 1.0 (no smoothing) is meaningful.
    """
    del real_target
    return per_example(fake_scores) - per_example(real_scores)


def wasserstein_generator_loss(fake_scores):
    """G maximises the critic's score of its samples: minimise -f(G(z))."""
    return -per_example(fake_scores)


def hinge_discriminator_loss(real_scores, fake_scores, real_target=1.0):
    """The hinge loss (Lim & Ye 2017; Miyato et al. 2018): max(0, 1 - D(x)) + max(0, 1 + D(G(z)))."""
    del real_target
    return per_example(tf.nn.relu(1.0 - real_scores)) + per_example(tf.nn.relu(1.0 + fake_scores))


def least_squares_discriminator_loss(real_scores, fake_scores, real_target=1.0):
    """Mao et al. 2017 (LSGAN), the 0-1 coding (a=0, b=1): 1/2 (D(x) - b)^2 + 1/2 D(G(z))^2.

    `real_target` < 1 softens b, the real target, as label smoothing does for the log loss.
    """
    return (0.5 * per_example(tf.square(real_scores - real_target))
            + 0.5 * per_example(tf.square(fake_scores)))


def least_squares_generator_loss(fake_scores):
    """LSGAN's generator: 1/2 (D(G(z)) - c)^2 with c = 1, the value it wants D to believe."""
    return 0.5 * per_example(tf.square(fake_scores - 1.0))


def matching_aware_discriminator_loss(discriminator_loss, real_scores, fake_scores,
                                      mismatched_scores, mismatch_weight=0.5, real_target=1.0):
    """Reed et al. 2016 (GAN-CLS): D scores pairs (x, c); (real x, its c) is positive, and both
    (G(z, c), c) and (real x, a mismatched c') are negative:
        (1 - w) L_D(s(x, c), s(G(z, c), c)) + w L_D(s(x, c), s(x, c'))
    for any adversarial loss L_D of this module. With the log loss and w = 1/2 it is the
    paper's log s_r + (log(1 - s_w) + log(1 - s_f)) / 2; w = 0 is the plain cGAN's loss.
    """
    loss = (1.0 - mismatch_weight) * discriminator_loss(real_scores, fake_scores,
                                                         real_target=real_target)
    if mismatch_weight:
        loss += mismatch_weight * discriminator_loss(real_scores, mismatched_scores,
                                                     real_target=real_target)
    return loss


AdversarialLoss = collections.namedtuple(
    "AdversarialLoss", ["discriminator", "generator", "smoothable"])

ADVERSARIAL_LOSSES = {
    "non_saturating": AdversarialLoss(gan_discriminator_loss, non_saturating_generator_loss, True),
    "minimax": AdversarialLoss(gan_discriminator_loss, minimax_generator_loss, True),
    "wasserstein": AdversarialLoss(wasserstein_critic_loss, wasserstein_generator_loss, False),
    "hinge": AdversarialLoss(hinge_discriminator_loss, wasserstein_generator_loss, False),
    "least_squares": AdversarialLoss(least_squares_discriminator_loss,
                                     least_squares_generator_loss, True),
}


def get_adversarial_loss(name):
    if name not in ADVERSARIAL_LOSSES:
        raise ZooError(f"unknown loss {name!r}: choose one of {', '.join(sorted(ADVERSARIAL_LOSSES))}")
    return ADVERSARIAL_LOSSES[name]


# ------------------------------------------------------------------ reconstruction
def mean_absolute_error(x, y):
    """|x - y|_1 per example, averaged over its values (CycleGAN's cycle and identity losses)."""
    return per_example(tf.abs(x - y))


def mean_squared_error(x, y):
    """(x - y)^2 per example, averaged over its values (DTN's f-constancy and identity losses)."""
    return per_example(tf.square(x - y))


def half_squared_error(x, y):
    """0.5 ||x - y||^2 per example, summed over its values: the negative log-likelihood of x
    under a unit-variance Gaussian centred on y, up to a constant (VAE-GAN's feature
    reconstruction)."""
    x, y = tf.convert_to_tensor(x), tf.convert_to_tensor(y)
    return 0.5 * tf.reduce_sum(tf.reshape(tf.square(x - y), [tf.shape(x)[0], -1]), axis=1)


# ------------------------------------------------------------------ variational
def bernoulli_negative_log_likelihood(targets, probabilities, epsilon=1e-6):
    """-log Bernoulli(targets; probabilities) per example, summed over its values; grey levels
    in [0, 1] are soft targets (the VAE's MNIST likelihood, Kingma & Welling 2014)."""
    p = tf.clip_by_value(probabilities, epsilon, 1.0 - epsilon)  # log(0) of a saturated pixel
    nll = -(targets * tf.math.log(p) + (1.0 - targets) * tf.math.log(1.0 - p))
    return tf.reduce_sum(tf.reshape(nll, [tf.shape(nll)[0], -1]), axis=1)


def gaussian_kl(mean, log_variance):
    """KL(N(mean, exp(log_variance)) || N(0, I)) per example, summed over the latent axes
    (Kingma & Welling 2014, appendix B)."""
    return 0.5 * tf.reduce_sum(tf.square(mean) + tf.exp(log_variance) - 1.0 - log_variance, axis=-1)


def reparameterize(mean, log_variance, noise):
    """z = mean + sigma * noise, noise ~ N(0, I): a sample of q(z | x) that gradients flow through."""
    return mean + tf.exp(0.5 * log_variance) * tf.cast(noise, mean.dtype)


# ------------------------------------------------------------------ energy-based (EBGAN)
def ebgan_discriminator_loss(real_energy, fake_energy, margin):
    """Zhao et al. 2017: L_D = D(x) + [m - D(G(z))]^+ on energies (here reconstruction errors).

    The margin m stops D from pushing generated samples' energy up without bound: a sample
    whose energy is above m costs D nothing.
    """
    return per_example(real_energy) + tf.nn.relu(margin - per_example(fake_energy))


def ebgan_generator_loss(fake_energy):
    """L_G = D(G(z)): G lowers the energy (the reconstruction error) of its samples."""
    return per_example(fake_energy)


def pull_away_term(embeddings):
    """EBGAN's repelling regulariser, per example: the mean squared cosine similarity of each
    example's embedding with the other examples' in the batch (the global batch under a
    distribution strategy).

    Its mean over the batch is Zhao et al.'s f_PT = 1/(N(N-1)) sum_{i != j} cos^2(s_i, s_j):
    small when the embeddings point in different directions, i.e. when G does not collapse.
    """
    flat = tf.reshape(embeddings, [tf.shape(embeddings)[0], -1])
    unit = tf.math.l2_normalize(flat, axis=1)
    everyone = replicas.gather(unit)
    cosine_squared = tf.square(tf.matmul(unit, everyone, transpose_b=True))
    # Each example's cosine with itself (1, or 0 for a zero embedding) is not a pair.
    with_itself = tf.square(tf.reduce_sum(tf.square(unit), axis=1))
    n = tf.cast(tf.shape(everyone)[0], flat.dtype)
    return (tf.reduce_sum(cosine_squared, axis=1) - with_itself) / tf.maximum(n - 1.0, 1.0)


# ------------------------------------------------------------------ penalties on D's input gradient
GRADIENT_NORM_EPSILON = 1e-12


def _input_gradient_norm(critic, inputs):
    """||d critic(x) / dx|| per example, with an epsilon inside the square root: the norm's
    own gradient, x / ||x||, is undefined at 0, and NaN would poison every weight."""
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        scores = tf.reduce_sum(critic(inputs))  # each example's score depends on its input only
    gradients = tape.gradient(scores, inputs)
    squared = tf.reduce_sum(tf.reshape(tf.square(gradients), [tf.shape(gradients)[0], -1]), axis=1)
    return tf.sqrt(squared + GRADIENT_NORM_EPSILON), squared


def gradient_penalty(critic, real, fake, interpolation=None):
    """Gulrajani et al. 2017 (WGAN-GP): (||grad_x f(x_hat)|| - 1)^2 per example, on
    x_hat = e x + (1 - e) G(z) with one e ~ U[0, 1] per example.

    `interpolation` pins e (shape [batch]); by default it is drawn. Returned unweighted:
    the caller multiplies by lambda (10 in the paper).
    """
    real = tf.convert_to_tensor(real)
    fake = tf.cast(fake, real.dtype)
    batch = tf.shape(real)[0]
    if interpolation is None:
        interpolation = tf.random.uniform([batch], dtype=real.dtype)
    weight = tf.reshape(tf.cast(interpolation, real.dtype),
                        tf.concat([[batch], tf.ones([tf.rank(real) - 1], tf.int32)], 0))
    norm, _ = _input_gradient_norm(critic, weight * real + (1.0 - weight) * fake)
    return tf.square(norm - 1.0)


def r1_penalty(critic, real):
    """Mescheder et al. 2018: ||grad_x D(x)||^2 on real data, per example. Returned
    unweighted: the caller multiplies by gamma / 2."""
    _, squared = _input_gradient_norm(critic, tf.convert_to_tensor(real))
    return squared
