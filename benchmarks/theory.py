"""Theory checks of Goodfellow et al. 2014 on the 1-D toy, where p_data is known exactly.

    python -m benchmarks.theory --seeds=0,1,2 --out=benchmarks/results/theory.md

- Proposition 1: for a fixed G, the optimal discriminator is
  D*(x) = p_data(x) / (p_data(x) + p_g(x)). A fresh discriminator is trained on p_data
  against samples of a fixed generator and compared with D* on a grid (p_g from a Gaussian
  kernel density estimate of generator samples): mean absolute error over the grid points where
  the two densities hold their mass, and the same error weighted by the mixture density.
- Theorem 1's identity: at D*, V(D*, G) = -log 4 + 2 JSD(p_data || p_g). V of the trained D is
  estimated on fresh samples and compared with the JSD integrated numerically on a grid.

The fixed generator is gan_1d's, trained for a few hundred steps so that p_g overlaps p_data
without matching it (D* then varies across the grid instead of sitting at 0, 1/2 or 1).
"""

import math
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from benchmarks import emit  # noqa: E402

GRID = np.linspace(-2.0, 10.0, 1201)


def data_density(x):
    from zoo.data.toys import GAUSSIAN_1D_MEAN, GAUSSIAN_1D_STD

    return (np.exp(-0.5 * ((x - GAUSSIAN_1D_MEAN) / GAUSSIAN_1D_STD) ** 2)
            / (GAUSSIAN_1D_STD * math.sqrt(2 * math.pi)))


def kernel_density(samples, x, block=50):
    """Gaussian KDE of 1-D samples at points x, Scott's bandwidth."""
    samples = np.asarray(samples, dtype=np.float64).reshape(-1)
    bandwidth = 1.06 * samples.std() * len(samples) ** -0.2
    density = np.empty(len(x))
    for start in range(0, len(x), block):
        u = (x[start:start + block, None] - samples[None, :]) / bandwidth
        density[start:start + block] = np.exp(-0.5 * u * u).mean(axis=1)
    return density / (bandwidth * math.sqrt(2 * math.pi))


def fixed_generator(seed, steps=300):
    """gan_1d after `steps` updates of its preset's optimiser: a generator that is near p_data."""
    import keras

    import zoo

    keras.utils.set_random_seed(seed)
    gan = zoo.create("gan_1d", noise_seed=seed)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
                g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5))
    data = zoo.get_dataset("gaussian_1d").loader(batch_size=256, seed=seed, repeat=True)
    gan.fit(data, epochs=1, steps_per_epoch=steps, verbose=0)
    return gan


def train_discriminator(real, fake, seed, steps=4000, batch_size=1024):
    """A fresh MLP discriminator (logits) trained with the GAN loss on real vs fixed fake pools."""
    import keras
    import tensorflow as tf

    from zoo.losses import gan_discriminator_loss
    from zoo.networks import mlp_discriminator

    keras.utils.set_random_seed(seed)
    discriminator = mlp_discriminator((1,), hidden=(64, 64), activation="tanh")
    optimizer = keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(3e-3, steps))
    real = tf.constant(real, tf.float32)
    fake = tf.constant(fake, tf.float32)

    @tf.function
    def step():
        pick_real = tf.random.uniform([batch_size], 0, real.shape[0], dtype=tf.int32)
        pick_fake = tf.random.uniform([batch_size], 0, fake.shape[0], dtype=tf.int32)
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(gan_discriminator_loss(
                discriminator(tf.gather(real, pick_real), training=True),
                discriminator(tf.gather(fake, pick_fake), training=True)))
        gradients = tape.gradient(loss, discriminator.trainable_variables)
        optimizer.apply_gradients(zip(gradients, discriminator.trainable_variables))

    for _ in range(steps):
        step()
    return discriminator


def jensen_shannon(p, q, x):
    """JSD(p || q) in nats, by the trapezoid rule on the grid x."""
    m = 0.5 * (p + q)

    def kl(a):
        terms = np.where(a > 0, a * np.log(np.where(a > 0, a, 1.0) / np.where(m > 0, m, 1.0)), 0.0)
        return np.trapezoid(terms, x)

    return 0.5 * kl(p) + 0.5 * kl(q)


def check(seed=0, pool=200_000, generator_steps=300, discriminator_steps=4000):
    """Run both checks once; return a dict of figures."""
    from zoo.data.toys import GAUSSIAN_1D_MEAN, GAUSSIAN_1D_STD

    rng = np.random.default_rng(seed)
    gan = fixed_generator(seed, generator_steps)
    fake = gan.generate(2 * pool, seed=seed).reshape(-1, 1)
    real = GAUSSIAN_1D_MEAN + GAUSSIAN_1D_STD * rng.standard_normal((2 * pool, 1))
    # One half trains D, the other half estimates V(D, G) and the KDE.
    discriminator = train_discriminator(real[:pool], fake[:pool], seed, discriminator_steps)

    p_data = data_density(GRID)
    p_g = kernel_density(fake[pool:pool + 50_000], GRID)
    d_star = p_data / np.maximum(p_data + p_g, 1e-300)
    d_trained = _sigmoid(discriminator.predict(GRID[:, None], batch_size=4096, verbose=0)[:, 0])
    mixture = 0.5 * (p_data + p_g)
    # Where the densities hold their mass: elsewhere D is never trained and D* is 0/0 in the limit.
    support = mixture >= 0.01 * mixture.max()
    error = np.abs(d_trained - d_star)
    mae = float(error[support].mean())
    # The same error weighted by where the samples are: E_{x ~ (p_data + p_g) / 2} |D - D*|.
    weighted_mae = float(np.sum(error * mixture) / np.sum(mixture))

    real_logits = discriminator.predict(real[pool:], batch_size=8192, verbose=0)[:, 0]
    fake_logits = discriminator.predict(fake[pool:], batch_size=8192, verbose=0)[:, 0]
    # log D = -softplus(-l), log(1 - D) = -softplus(l)
    value = float(-np.mean(np.logaddexp(0, -real_logits)) - np.mean(np.logaddexp(0, fake_logits)))
    jsd = float(jensen_shannon(p_data, p_g, GRID))
    return {"seed": seed, "generated_mean": float(fake.mean()), "generated_std": float(fake.std()),
            "d_star_mae": mae, "d_star_weighted_mae": weighted_mae,
            "grid_points": int(support.sum()),
            "value": value, "theory_value": -math.log(4) + 2 * jsd, "jsd": jsd,
            "value_gap": value - (-math.log(4) + 2 * jsd)}


def _sigmoid(logits):
    return 1.0 / (1.0 + np.exp(-logits))


def main(argv):
    del argv
    from absl import flags

    FLAGS = flags.FLAGS
    rows = ["| seed | G mean | G std | D vs D* MAE (grid) | MAE weighted by density | grid points | "
            "V(D, G) | -log 4 + 2 JSD | JSD | gap |", "|---|---|---|---|---|---|---|---|---|---|"]
    for seed in map(int, FLAGS.seeds):
        r = check(seed)
        rows.append(f"| {seed} | {r['generated_mean']:.3f} | {r['generated_std']:.3f} | "
                    f"{r['d_star_mae']:.4f} | {r['d_star_weighted_mae']:.4f} | {r['grid_points']} | "
                    f"{r['value']:.4f} | "
                    f"{r['theory_value']:.4f} | {r['jsd']:.4f} | {r['value_gap']:+.4f} |")
        print(rows[-1], flush=True)
    table = "\n".join(rows)
    emit(table, FLAGS.out)


if __name__ == "__main__":
    from absl import flags

    flags.DEFINE_list("seeds", ["0", "1", "2"], "seeds to run the checks with")
    flags.DEFINE_string("out", None, "also write the table to this file")
    from benchmarks import run_benchmark

    run_benchmark(main)
