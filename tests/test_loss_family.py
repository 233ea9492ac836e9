"""The loss family (WGAN, WGAN-GP, LSGAN, EBGAN, hinge) and the remedies against mode collapse."""

import numpy as np
import pytest
import tensorflow as tf
import keras

import zoo
from zoo import losses
from zoo.core import unrolling
from zoo.errors import ZooError
from tiny import TINY_CONFIGS

REAL = np.array([2.0, -1.0, 0.5], np.float32)
FAKE = np.array([-0.5, 1.5, 0.0], np.float32)


def _points(n, seed=0):
    return np.random.default_rng(seed).normal(size=(n, 2)).astype("float32")


def test_wasserstein_hinge_and_least_squares_values():
    np.testing.assert_allclose(losses.wasserstein_critic_loss(REAL, FAKE), FAKE - REAL)
    np.testing.assert_allclose(losses.wasserstein_generator_loss(FAKE), -FAKE)
    np.testing.assert_allclose(losses.hinge_discriminator_loss(REAL, FAKE),
                               np.maximum(0, 1 - REAL) + np.maximum(0, 1 + FAKE))
    np.testing.assert_allclose(losses.least_squares_discriminator_loss(REAL, FAKE),
                               0.5 * (REAL - 1) ** 2 + 0.5 * FAKE ** 2)
    np.testing.assert_allclose(losses.least_squares_generator_loss(FAKE), 0.5 * (FAKE - 1) ** 2)


def test_ebgan_margin_stops_pushing_fake_energy_past_m():
    real_energy = np.array([0.2, 0.2], np.float32)
    fake_energy = np.array([0.5, 3.0], np.float32)
    np.testing.assert_allclose(losses.ebgan_discriminator_loss(real_energy, fake_energy, 2.0),
                               [0.2 + 1.5, 0.2 + 0.0])
    np.testing.assert_allclose(losses.ebgan_generator_loss(fake_energy), fake_energy)


def test_pull_away_term_is_zero_for_orthogonal_codes_and_one_for_identical_codes():
    np.testing.assert_allclose(losses.pull_away_term(np.eye(4, dtype=np.float32)), 0.0, atol=1e-7)
    same = np.tile(np.array([[1.0, 2.0, -1.0]], np.float32), (5, 1))
    np.testing.assert_allclose(losses.pull_away_term(same), 1.0, rtol=1e-6)
    # Codes at 60 degrees: cos^2 = 1/4 with the one other code.
    pair = np.array([[1.0, 0.0], [0.5, np.sqrt(3) / 2]], np.float32)
    np.testing.assert_allclose(losses.pull_away_term(pair), 0.25, rtol=1e-5)


def _linear_critic(weights):
    w = tf.constant(weights, tf.float32)
    return lambda x: tf.reduce_sum(x * w, axis=-1)


def test_gradient_penalty_of_a_linear_critic_is_its_slopes_distance_from_one():
    """f(x) = w.x has gradient w everywhere: the penalty is (|w| - 1)^2 at every interpolate."""
    penalty = losses.gradient_penalty(_linear_critic([3.0, 4.0]), _points(6), _points(6, 1))
    np.testing.assert_allclose(penalty, np.full(6, (5.0 - 1.0) ** 2), rtol=1e-5)
    unit = losses.gradient_penalty(_linear_critic([0.6, 0.8]), _points(6), _points(6, 1))
    np.testing.assert_allclose(unit, np.zeros(6), atol=1e-6)


def test_gradient_penalty_interpolates_once_per_example():
    """f(x) = |x|^2 / 2 has gradient x: the norm is |x_hat| at x_hat = e x + (1 - e) G(z)."""
    real, fake = _points(5), _points(5, 1)
    e = np.array([0.0, 0.25, 0.5, 0.75, 1.0], np.float32)
    penalty = losses.gradient_penalty(lambda x: 0.5 * tf.reduce_sum(x * x, axis=-1), real, fake,
                                      interpolation=e)
    x_hat = e[:, None] * real + (1 - e[:, None]) * fake
    np.testing.assert_allclose(penalty, (np.linalg.norm(x_hat, axis=1) - 1.0) ** 2, rtol=1e-5)


def test_gradient_penalty_stays_finite_where_the_critic_is_flat():
    """The epsilon inside the square root: without it the penalty's gradient is NaN at a zero
    input gradient (d sqrt(s)/ds is infinite at 0)."""
    w = tf.Variable([0.0, 0.0])
    with tf.GradientTape() as tape:
        penalty = tf.reduce_mean(losses.gradient_penalty(
            lambda x: tf.reduce_sum(x * w, axis=-1), _points(4), _points(4, 1)))
    np.testing.assert_allclose(float(penalty), 1.0, rtol=1e-5)
    assert np.all(np.isfinite(tape.gradient(penalty, w).numpy()))


def test_r1_penalty_of_a_linear_critic_is_its_squared_slope():
    np.testing.assert_allclose(losses.r1_penalty(_linear_critic([3.0, 4.0]), _points(3)),
                               np.full(3, 25.0), rtol=1e-5)


def test_wgan_gp_adds_lambda_times_the_penalty_of_its_own_critic():
    """The model's penalty goes through its packing and noise: swap in a critic of slope 5."""
    gan = zoo.create("wgan_gp", image_shape=(2,), latent_dim=2, g_hidden=(4,), d_hidden=(4,),
                     maxout_pieces=2, pack=2, noise_seed=0)
    critic = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, use_bias=False)])
    critic.layers[0].kernel.assign(np.array([[3.0], [4.0], [0.0], [0.0]], np.float32))
    gan.discriminator = critic
    penalties = gan.penalties(gan.discriminator_pass(), _points(6), _points(6, 1))
    np.testing.assert_allclose(penalties, np.full(3, 10.0 * 16.0), rtol=1e-5)


def test_weight_clipping_keeps_every_critic_weight_within_c():
    gan = zoo.create("wgan", **TINY_CONFIGS["wgan"])
    gan.compile(d_optimizer=keras.optimizers.SGD(10.0))  # steps far past the clip
    gan.fit(_points(50), batch_size=50, epochs=1, verbose=0)
    largest = max(float(np.abs(v.numpy()).max()) for v in gan.discriminator.trainable_variables)
    assert largest == pytest.approx(0.01)


@pytest.mark.parametrize("shape", [(2,), (4, 4, 3)])
def test_packing_puts_consecutive_examples_side_by_side(shape):
    networks = dict(g_hidden=(4,), d_hidden=(4,)) if len(shape) == 1 else dict(base_filters=2)
    gan = zoo.create("lsgan", image_shape=shape if len(shape) == 1 else (16, 16, 3), latent_dim=2,
                     pack=2, **networks)
    x = np.arange(4 * np.prod(shape), dtype=np.float32).reshape((4,) + shape)
    packed = gan.pack_examples(tf.constant(x)).numpy()
    assert packed.shape == (2,) + shape[:-1] + (2 * shape[-1],)
    np.testing.assert_array_equal(packed[1, ..., :shape[-1]], x[2])
    np.testing.assert_array_equal(packed[1, ..., shape[-1]:], x[3])
    assert gan.discriminator.input.shape[-1] == 2 * (shape[-1] if len(shape) == 1 else 3)


def test_unrolled_step_matches_kerass_own_adam_step():
    """The differentiable unrolled update is the update Adam would make."""
    gan = zoo.create("gan", image_shape=(2,), latent_dim=2, g_hidden=(8,), d_hidden=(8,),
                     maxout_pieces=2, input_dropout=0.0, dropout=0.0, output_activation=None,
                     noise_seed=0)
    gan.compile()
    gan.fit(_points(16), batch_size=8, epochs=1, verbose=0)  # Adam's moments are no longer 0
    real = tf.constant(_points(8, 2))
    fake = gan.generator(tf.constant(_points(8, 3)))
    unrolled = unrolling.unrolled_weights(gan, real, fake, 1)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(gan.discriminator_loss(gan.discriminator_pass(), real, fake))
    grads = tape.gradient(loss, gan.discriminator.trainable_variables)
    gan.d_optimizer.apply_gradients(zip(grads, gan.discriminator.trainable_variables))
    for after, expected in zip(gan.discriminator.trainable_variables, unrolled):
        np.testing.assert_allclose(after.numpy(), expected.numpy(), rtol=1e-4, atol=1e-6)


def test_unrolling_changes_the_generators_gradient():
    def generator_gradient(steps):
        keras.utils.set_random_seed(0)
        gan = zoo.create("gan", image_shape=(2,), latent_dim=2, g_hidden=(8,), d_hidden=(8,),
                         maxout_pieces=2, input_dropout=0.0, dropout=0.0, output_activation=None,
                         unrolled_steps=steps)
        gan.compile(d_optimizer=keras.optimizers.Adam(0.1))
        real, z = tf.constant(_points(8, 2)), tf.constant(_points(8, 3))
        with tf.GradientTape() as tape:
            fake = gan.generator(z)
            weights = unrolling.unrolled_weights(gan, real, fake, steps) if steps else None
            loss = tf.reduce_mean(gan.generator_loss(gan.discriminator_pass(weights), fake))
        return [g.numpy() for g in tape.gradient(loss, gan.generator.trainable_variables)]

    plain, unrolled = generator_gradient(0), generator_gradient(3)
    assert all(np.all(np.isfinite(g)) for g in unrolled)
    assert any(not np.allclose(a, b, rtol=1e-3) for a, b in zip(plain, unrolled))


@pytest.mark.parametrize("kwargs, message", [
    (dict(name="wgan", label_smoothing=0.1), "the wasserstein loss has none"),
    (dict(name="ebgan", loss="hinge"), "its own energy loss"),
    (dict(name="dcgan", pack=0), "pack must be a positive integer"),
    (dict(name="dcgan", unrolled_steps=-1), "unrolled_steps must be an integer >= 0"),
    (dict(name="dcgan", gradient_penalty=-1.0), "gradient_penalty must be a number >= 0"),
    (dict(name="dcgan", clip_value=0), "clip_value must be a positive number"),
    (dict(name="dcgan", spectral_norm="yes"), "spectral_norm must be True or False"),
    (dict(name="dcgan", d_normalization="instance"), "d_normalization must be one of"),
    (dict(name="dcgan", g_hidden=(8,)), "g_hidden: a setting of the networks for points"),
    (dict(name="wgan", base_filters=8, d_normalization="none"),
     "base_filters, d_normalization: settings of the networks for images"),
])
def test_bad_options_are_refused_in_one_line(kwargs, message):
    name = kwargs.pop("name")
    with pytest.raises(ZooError, match=message) as error:
        zoo.create(name, **{**TINY_CONFIGS[name], **kwargs})
    assert "\n" not in str(error.value)


def test_unrolling_needs_adam():
    gan = zoo.create("dcgan", unrolled_steps=2, **TINY_CONFIGS["dcgan"])
    with pytest.raises(ZooError, match="unrolls Adam updates"):
        gan.compile(d_optimizer=keras.optimizers.RMSprop(1e-3))


@pytest.mark.parametrize("options", [
    dict(pack=2), dict(minibatch_stddev=True), dict(spectral_norm=True, d_normalization="none"),
    dict(r1_gamma=1.0), dict(unrolled_steps=2), dict(loss="hinge")])
def test_each_remedy_trains_finite_on_images_and_points(options):
    for name in ("dcgan", "wgan"):
        kwargs = {**TINY_CONFIGS[name], **options}
        if name == "wgan":
            kwargs.pop("d_normalization", None)
            if options.get("loss") == "hinge" or options.get("unrolled_steps"):
                continue  # the critic's own loss; unrolling wants Adam, compiled below
        gan = zoo.create(name, noise_seed=0, **kwargs)
        gan.compile()
        x = np.random.default_rng(0).uniform(-1, 1, (8 * gan.d_steps,) + gan.sample_shape)
        history = gan.fit(x.astype("float32"), batch_size=8 * gan.d_steps, epochs=1, verbose=0)
        assert all(np.isfinite(v[-1]) for v in history.history.values()), (name, options)
