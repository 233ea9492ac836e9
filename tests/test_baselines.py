"""The likelihood baselines: the VAE's ELBO and the RBM's contrastive divergence."""

import numpy as np
import pytest
import tensorflow as tf
import keras

import zoo
from zoo.models import rbm as rbm_module
from conftest import needs_mnist
from tiny import TINY_CONFIGS
from zoo import losses
from zoo.errors import ZooError


def _blobs(count=64, side=16, seed=0):
    """Images in [-1, 1] made of a few bright squares on black: something to learn quickly."""
    rng = np.random.default_rng(seed)
    images = -np.ones((count, side, side, 1), np.float32)
    for image in images:
        top, left = rng.integers(0, side - 6, 2)
        image[top:top + 6, left:left + 6] = 1.0
    return images


# ------------------------------------------------------------------ VAE
def test_the_vae_step_minimises_reconstruction_plus_kl_and_the_elbo_rises():
    vae = zoo.create("vae", noise_seed=0, **TINY_CONFIGS["vae"])
    vae.compile(g_optimizer=keras.optimizers.Adam(3e-3))
    images = _blobs()
    history = vae.fit(images, batch_size=16, epochs=15, verbose=0).history
    # The logged loss is the negative ELBO, its two terms beside it.
    np.testing.assert_allclose(history["loss"], np.add(history["reconstruction"], history["kl"]),
                               rtol=1e-4)
    assert history["loss"][-1] < 0.8 * history["loss"][0]
    assert min(history["kl"]) > 0  # q(z | x) is not the prior: the code carries information
    # Reconstructions of the training images beat decoded samples of the prior.
    reconstruction_error = np.mean((vae.reconstruct(images) - images) ** 2)
    sample_error = np.mean((vae.generate(len(images), seed=1) - images) ** 2)
    assert reconstruction_error < sample_error


def test_bernoulli_likelihood_is_the_summed_binary_cross_entropy():
    targets = np.array([[0.0, 1.0, 0.3]], np.float32)
    probabilities = np.array([[0.2, 0.9, 0.5]], np.float32)
    expected = -np.sum(targets * np.log(probabilities) + (1 - targets) * np.log(1 - probabilities))
    np.testing.assert_allclose(losses.bernoulli_negative_log_likelihood(targets, probabilities),
                               [expected], rtol=1e-5)
    # A saturated pixel costs a bounded amount instead of infinity.
    assert np.isfinite(losses.bernoulli_negative_log_likelihood(np.ones((1, 1)), np.zeros((1, 1))))


def test_the_gaussian_vae_trains_and_the_encoder_is_vaegans():
    vae = zoo.create("vae", likelihood="gaussian", gaussian_sigma=0.5, **TINY_CONFIGS["vae"])
    vaegan = zoo.create("vaegan", **TINY_CONFIGS["vae"])
    vae.compile()
    history = vae.fit(_blobs(16), batch_size=8, epochs=1, verbose=0).history
    assert np.isfinite(history["loss"][0])
    assert [w.shape for w in vae.encoder.weights] == [w.shape for w in vaegan.encoder.weights]
    assert [w.shape for w in vae.generator.weights] == [w.shape for w in vaegan.generator.weights]


@pytest.mark.parametrize("options, message", [
    (dict(likelihood="poisson"), "likelihood must be one of"),
    (dict(gaussian_sigma=0), "gaussian_sigma must be a positive number"),
    (dict(latent_distribution="uniform"), "the VAE's prior is N(0, I)"),
    (dict(image_shape=(16,)), "vae encodes images"),
])
def test_the_vae_refuses_options_it_cannot_honour(options, message):
    with pytest.raises(ZooError, match=message.replace("(", r"\(").replace(")", r"\)")):
        zoo.create("vae", **{**TINY_CONFIGS["vae"], **options})


# ------------------------------------------------------------------ RBM
class _FixedUniforms:
    """Stands in for the model's noise stream: each draw is the next array given."""

    def __init__(self, arrays):
        self.arrays = list(arrays)

    def uniform(self, shape):
        return tf.constant(self.arrays.pop(0))


@pytest.mark.parametrize("weight_decay", [0.0, 0.3])
def test_the_rbm_update_is_the_contrastive_divergence_statistics(weight_decay):
    """One CD-1 step with SGD(lr): each parameter moves by lr * (E_data - E_reconstruction),
    less lr * weight_decay * W for the weights, computed here with numpy from the same
    uniform draws."""
    rng = np.random.default_rng(0)
    rbm = zoo.create("rbm", image_shape=(2, 3, 1), hidden_units=4, cd_steps=1,
                     weight_decay=weight_decay)
    rbm.rbm.kernel.assign(rng.normal(0, 0.5, (6, 4)).astype("float32"))
    rbm.rbm.visible_bias.assign(rng.normal(0, 0.5, 6).astype("float32"))
    rbm.rbm.hidden_bias.assign(rng.normal(0, 0.5, 4).astype("float32"))
    W, b, c = (v.numpy().copy() for v in (rbm.rbm.kernel, rbm.rbm.visible_bias, rbm.rbm.hidden_bias))
    images = rng.uniform(-1, 1, (5, 2, 3, 1)).astype("float32")
    hidden_draws = rng.uniform(size=(5, 4)).astype("float32")
    visible_draws = rng.uniform(size=(5, 6)).astype("float32")
    rbm.noise = _FixedUniforms([hidden_draws, visible_draws])
    learning_rate = 0.1
    rbm.compile(g_optimizer=keras.optimizers.SGD(learning_rate))
    rbm.train_step(tf.constant(images))

    def sigmoid(x):
        return 1 / (1 + np.exp(-x))

    v = (images.reshape(5, 6) > 0).astype("float32")
    positive_hidden = sigmoid(v @ W + c)
    hidden = (hidden_draws < positive_hidden).astype("float32")
    negative_visible = sigmoid(hidden @ W.T + b)  # probabilities, not samples
    negative_hidden = sigmoid(negative_visible @ W + c)
    expected = {
        "kernel": W + learning_rate * ((v.T @ positive_hidden - negative_visible.T @ negative_hidden) / 5
                                       - weight_decay * W),
        "visible_bias": b + learning_rate * (v - negative_visible).mean(0),
        "hidden_bias": c + learning_rate * (positive_hidden - negative_hidden).mean(0),
    }
    for name, value in expected.items():
        np.testing.assert_allclose(getattr(rbm.rbm, name).numpy(), value, rtol=1e-5, atol=1e-6,
                                   err_msg=name)


def test_pcd_chains_persist_across_steps_and_cd_starts_at_the_data():
    images = tf.constant(_blobs(8, side=8))
    pcd = zoo.create("rbm", image_shape=(8, 8, 1), hidden_units=8, persistent=True, noise_seed=0)
    pcd.compile()
    assert pcd._chains.numpy().shape[0] == 0
    pcd.train_step(images)
    first = pcd._chains.numpy()
    pcd.train_step(images)
    assert first.shape == (8, 64) and set(np.unique(first)) <= {0.0, 1.0}
    assert not np.array_equal(first, pcd._chains.numpy())  # the chains moved on
    cd = zoo.create("rbm", image_shape=(8, 8, 1), hidden_units=8, noise_seed=0)
    cd.compile()
    cd.train_step(images)
    assert cd._chains.numpy().shape[0] == 0  # CD keeps no chains


def test_pcd_keeps_as_many_chains_as_asked_started_from_the_base_rates():
    """chains=N: N persistent chains whatever the batch, started from the pixels' base rates,
    which initialize_from_data sets as the visible biases' log-odds."""
    images = _blobs(40, side=8)
    pcd = zoo.create("rbm", image_shape=(8, 8, 1), hidden_units=8, persistent=True, chains=300,
                     noise_seed=0)
    pcd.initialize_from_data(tf.data.Dataset.from_tensor_slices(images).batch(10))
    rates = np.clip((images.reshape(40, 64) > 0).mean(0), 0.01, 0.99)
    np.testing.assert_allclose(pcd.rbm.visible_bias.numpy(), np.log(rates / (1 - rates)), rtol=1e-5)
    pcd.compile()
    pcd.train_step(tf.constant(images[:8]))
    assert pcd._chains.numpy().shape == (300, 64)
    pcd.train_step(tf.constant(images[8:12]))  # a batch of another size: the same chains
    assert pcd._chains.numpy().shape == (300, 64)
    with pytest.raises(ZooError, match="set persistent=True with it"):
        zoo.create("rbm", image_shape=(8, 8, 1), hidden_units=8, chains=300)
    with pytest.raises(ZooError, match="weight_decay must be a number >= 0"):
        zoo.create("rbm", image_shape=(8, 8, 1), hidden_units=8, weight_decay=-1.0)


@needs_mnist
def test_the_free_energy_of_training_data_falls_in_a_short_rbm_run():
    """Its normalised form, -log p(v) = F(v) + log Z, with Z summed exactly over the 2^12
    hidden configurations: F alone is known up to log Z, which training moves too."""
    from zoo.metrics.quality import real_images

    images = real_images("mnist", "train", limit=1000)
    rbm = zoo.create("rbm", hidden_units=12, persistent=True, noise_seed=0, gibbs_steps=50)
    rbm.compile(g_optimizer=keras.optimizers.Adam(1e-2))
    before = float(tf.reduce_mean(rbm.negative_log_likelihood(images)))
    history = rbm.fit(images, batch_size=50, epochs=2, verbose=0, shuffle=False).history
    after = float(tf.reduce_mean(rbm.negative_log_likelihood(images)))
    assert after < before - 100  # nats per image (543 for the untrained RBM, log 2 per pixel)
    assert history["reconstruction_error"][1] < history["reconstruction_error"][0]
    samples = rbm.generate(16, seed=0)
    assert samples.shape == (16, 28, 28, 1) and -1 <= samples.min() and samples.max() <= 1


def test_the_exact_partition_function_sums_every_configuration():
    rbm = zoo.create("rbm", image_shape=(3,), hidden_units=2, gibbs_steps=1)
    rng = np.random.default_rng(0)
    for variable in (rbm.rbm.kernel, rbm.rbm.visible_bias, rbm.rbm.hidden_bias):
        variable.assign(rng.normal(0, 1, variable.shape).astype("float32"))
    W, b, c = (v.numpy() for v in (rbm.rbm.kernel, rbm.rbm.visible_bias, rbm.rbm.hidden_bias))
    states = [np.array([(k >> i) & 1 for i in range(n)], np.float32)
              for n in (3, 2) for k in range(2 ** n)]
    visible_states, hidden_states = states[:8], states[8:]
    total = sum(np.exp(v @ b + h @ c + v @ W @ h) for v in visible_states for h in hidden_states)
    np.testing.assert_allclose(float(rbm.rbm.log_partition()), np.log(total), rtol=1e-5)
    with pytest.raises(ZooError, match="up to 20 hidden units"):
        zoo.create("rbm", image_shape=(3,), hidden_units=21).rbm.log_partition()


def test_rbm_samples_follow_their_seed_and_gibbs_steps():
    rbm = zoo.create("rbm", **TINY_CONFIGS["rbm"])
    np.testing.assert_array_equal(rbm.generate(3, seed=2), rbm.generate(3, seed=2))
    assert not np.allclose(rbm.generate(3, seed=2), rbm.generate(3, seed=3))
    assert not np.allclose(rbm.generate(3, seed=2, gibbs_steps=1), rbm.generate(3, seed=2))
    with pytest.raises(ZooError, match="gibbs_steps must be a positive integer"):
        rbm.generate(3, seed=2, gibbs_steps=0)
    with pytest.raises(ZooError, match="latent size is its hidden_units"):
        zoo.create("rbm", hidden_units=8, latent_dim=4)


def test_rbm_runs_its_chains_batch_size_at_a_time():
    rbm = zoo.create("rbm", **TINY_CONFIGS["rbm"])
    whole = rbm.generate(5, seed=2)
    batched = rbm.generate(5, seed=2, batch_size=2)
    assert batched.shape == whole.shape
    # The first batch draws from the seed itself; the later ones from seeds of their own.
    np.testing.assert_array_equal(batched[:2], whole[:2])
    np.testing.assert_array_equal(batched[2:4], rbm.generate(2, seed=rbm_module._batch_seed(2, 1)))
    assert not np.allclose(batched[2:4], batched[:2])
    with pytest.raises(ZooError, match="batch_size must be a positive integer"):
        rbm.generate(3, batch_size=0)


@needs_mnist
@pytest.mark.parametrize("name", ["vae", "rbm"])
def test_the_baselines_train_through_train_and_load_back(name, tmp_path):
    from zoo import training

    gan, summary = training.train(model=name, dataset="mnist", epochs=1, steps_per_epoch=2,
                                  batch_size=8, output_dir=str(tmp_path / "run"), verbose=0,
                                  seed=0, eval_samples=500, **({"hidden_units": 16} if name == "rbm" else
                                             {"latent_dim": 4, "base_filters": 4}))
    loaded = zoo.load(str(tmp_path / "run"))
    np.testing.assert_allclose(loaded.generate(2, seed=1), gan.generate(2, seed=1), atol=1e-6)
    assert set(summary["history"]) >= {m.name for m in gan.metrics}


def test_rbm_tempered_conditionals_run_from_base_rates_to_the_model():
    rbm = zoo.create("rbm", **TINY_CONFIGS["rbm"])
    layer = rbm.rbm
    rng = np.random.default_rng(0)
    visible = (rng.uniform(size=(4, rbm.visible_units)) < 0.5).astype("float32")
    hidden = (rng.uniform(size=(4, rbm.hidden_units)) < 0.5).astype("float32")
    base = rng.normal(size=rbm.visible_units).astype("float32")
    # beta 1 is the model; beta 0 forgets it: hidden units at 1/2, pixels at their base rates.
    np.testing.assert_allclose(layer.hidden_probabilities(visible, 1.0), layer.hidden_probabilities(visible))
    np.testing.assert_allclose(layer.hidden_probabilities(visible, 0.0), 0.5)
    np.testing.assert_allclose(layer.visible_probabilities(hidden, 1.0, base), layer.visible_probabilities(hidden))
    np.testing.assert_allclose(layer.visible_probabilities(hidden, 0.0, base),
                               np.broadcast_to(1 / (1 + np.exp(-base)), (4, rbm.visible_units)), rtol=1e-5)
