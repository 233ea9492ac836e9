"""GenerativeModel: a zoo model that draws samples from a latent code through its generator.

It owns the latent prior, deterministic noise for seeds, `generate`, the picture of a run and
the signatures its export serves (`z` and `seeds`). BaseGAN adds the discriminator and its
adversarial step; the likelihood baselines (the VAE, the RBM) add their own step to the same
generation and serving. What every model shares, noise or not, is zoo.core.model.ZooModel.
"""

import numpy as np
import tensorflow as tf

from zoo import memory
from zoo.checks import check_choice, check_positive_int
from zoo.core.model import ZooModel, with_averaged_generator
from zoo.errors import ZooError

LATENT_DISTRIBUTIONS = ("normal", "uniform")


def sampling_seed(seed):
    """The seed `generate` draws with: `seed` checked, or a fresh one for None."""
    if seed is None:
        return int(np.random.default_rng().integers(0, 2**62))
    if (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
            or not -2**63 <= seed < 2**63):
        raise ZooError(f"seed must be a 64-bit integer or None, got {seed!r}")
    return int(seed)


class GenerativeModel(ZooModel):
    """A model that generates from noise: `compile(...)`, `fit(dataset)`, `generate(n, seed)`.

    Args (beyond ZooModel's noise_seed and ema_decay):
      latent_dim: size of the noise vector z.
      latent_distribution: "normal" (N(0, 1)) or "uniform" (U(-1, 1)).
    """

    def __init__(self, latent_dim=100, latent_distribution="normal", **kwargs):
        # Set before ZooModel builds the generator, which reads them.
        self.latent_dim = check_positive_int("latent_dim", latent_dim)
        self.latent_distribution = check_choice("latent_distribution", latent_distribution,
                                                LATENT_DISTRIBUTIONS)
        super().__init__(**kwargs)
        self._sample_fn = None

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim,
                "latent_distribution": self.latent_distribution}

    # ----------------------------------------------------------------- noise
    def sample_latent(self, batch_size):
        """Training noise, [batch_size, latent_dim]. Tests override this to pin the noise."""
        shape = tf.stack([batch_size, self.latent_dim])
        if self.latent_distribution == "uniform":
            return self.noise.uniform(shape, minval=-1.0, maxval=1.0)
        return self.noise.normal(shape)

    def latent_from_seed(self, n, seed):
        """Deterministic noise [n, latent_dim] for an integer seed (stateless RNG)."""
        seed = tf.stack([tf.cast(seed, tf.int64), tf.constant(0, tf.int64)])
        shape = tf.stack([tf.cast(n, tf.int32), self.latent_dim])
        if self.latent_distribution == "uniform":
            return tf.random.stateless_uniform(shape, seed, minval=-1.0, maxval=1.0)
        return tf.random.stateless_normal(shape, seed)

    def latent_from_seeds(self, seeds):
        """One noise vector per integer seed: row i equals latent_from_seed(1, seeds[i])."""
        return tf.map_fn(lambda s: self.latent_from_seed(1, s)[0], tf.cast(seeds, tf.int64),
                         fn_output_signature=tf.float32)

    # ----------------------------------------------------------------- sampling
    @with_averaged_generator
    def generate(self, n, seed=None, batch_size=2048, **conditions):
        """`n` samples as a float32 numpy array; the same `seed` gives the same samples.

        Images are NHWC in [-1, 1]. Without a seed, the noise is drawn fresh. Conditional
        models take their condition as a keyword (`labels=`).
        """
        check_positive_int("n", n)
        batch_size = check_positive_int("batch_size", batch_size)
        sample_size = int(np.prod(self.sample_shape))
        # Held at once: the noise with a condition per sample (an int64 label counts as two
        # floats), the output filled in place, and one chunk in float32 and as computed.
        held = n * (self.latent_dim + 2 + sample_size) + 2 * min(n, batch_size) * sample_size
        memory.check_fits(f"generate({n})", held * memory.FLOAT32_BYTES,
                          "generate fewer samples per call (in a loop, with a seed each)")
        inputs = self.generator_inputs(self.latent_from_seed(n, sampling_seed(seed)), **conditions)
        if self._sample_fn is None:
            self._sample_fn = tf.function(lambda inputs: self.generator(inputs, training=False),
                                          reduce_retracing=True)
        samples = np.empty((n,) + tuple(self.sample_shape), np.float32)
        for i in range(0, n, batch_size):
            chunk = self._sample_fn(tf.nest.map_structure(lambda t: t[i:i + batch_size], inputs))
            samples[i:i + batch_size] = chunk.numpy()
        return samples

    def generator_inputs(self, z, **conditions):
        """What the generator takes for noise `z` (and a conditional model's condition)."""
        if conditions:
            raise ZooError(f"{self.registered_name or 'this model'} is unconditional: it takes no "
                           f"{', '.join(sorted(conditions))}")
        return z

    def sample_grid(self, count, seed):
        """The samples of a training run's per-epoch picture, and its columns (None: square)."""
        return self.generate(count, seed=seed), None

    # ----------------------------------------------------------------- serving
    def serving_endpoints(self, serve):
        """The exported signatures: name -> (function, input signature). `serve` maps the
        generator's inputs to the output dict."""
        return {
            "serving_default": (serve, [tf.TensorSpec([None, self.latent_dim], tf.float32, name="z")]),
            # One deterministic sample per seed: row i equals generate(1, seed=seeds[i]).
            "seeds": (lambda seeds: serve(self.latent_from_seeds(seeds)),
                      [tf.TensorSpec([None], tf.int64, name="seeds")]),
        }
