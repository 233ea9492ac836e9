import numpy as np
import pytest
import tensorflow as tf

from zoo import losses
from zoo.errors import ZooError

LOGITS = np.array([-3.0, -0.5, 0.0, 2.0, 8.0], np.float32)
D = 1 / (1 + np.exp(-LOGITS.astype(np.float64)))


def test_discriminator_loss_is_the_papers_value_function():
    real, fake = LOGITS, LOGITS[::-1].copy()
    d_real, d_fake = D, D[::-1]
    expected = -np.log(d_real) - np.log(1 - d_fake)
    np.testing.assert_allclose(losses.gan_discriminator_loss(real, fake), expected, rtol=1e-5)


def test_one_sided_label_smoothing_softens_only_real_targets():
    smoothed = losses.gan_discriminator_loss(LOGITS, LOGITS, real_target=0.9).numpy()
    expected = -(0.9 * np.log(D) + 0.1 * np.log(1 - D)) - np.log(1 - D)
    np.testing.assert_allclose(smoothed, expected, rtol=1e-5)


def test_generator_losses():
    np.testing.assert_allclose(losses.non_saturating_generator_loss(LOGITS), -np.log(D), rtol=1e-5)
    np.testing.assert_allclose(losses.minimax_generator_loss(LOGITS), np.log(1 - D), rtol=1e-5)


def test_minimax_saturates_where_non_saturating_does_not():
    """Goodfellow et al.: when D confidently rejects samples, log(1 - D(G(z))) has tiny gradients."""
    logits = tf.constant([-8.0])
    grads = {}
    for name in ("minimax", "non_saturating"):
        with tf.GradientTape() as tape:
            tape.watch(logits)
            loss = losses.get_adversarial_loss(name).generator(logits)
        grads[name] = abs(float(tape.gradient(loss, logits)[0]))
    assert grads["minimax"] < 1e-3 < 0.9 < grads["non_saturating"]


def test_patch_outputs_are_averaged_per_example():
    patches = tf.reshape(tf.range(8, dtype=tf.float32), (2, 2, 2, 1))
    np.testing.assert_allclose(losses.per_example(patches), [1.5, 5.5])


def test_unknown_loss_names_the_choices():
    with pytest.raises(ZooError, match="minimax, non_saturating"):
        losses.get_adversarial_loss("wasserstein_typo")
