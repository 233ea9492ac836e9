"""BaseGAN: the alternating discriminator / generator training step shared by every variant.

A variant supplies `build_generator()` and `build_discriminator()` (functional keras
Models named "generator" and "discriminator") and, where its objective differs, overrides
`discriminator_loss` / `generator_loss`, which return one loss per example. The base class
owns the step, the noise, the loss reduction and generation, so that distribution
(`tf.distribute`), checkpoints and export work the same for every variant.
"""

import numpy as np
import tensorflow as tf
import keras

from zoo import losses
from zoo.errors import ZooError

LATENT_DISTRIBUTIONS = ("normal", "uniform")


def _check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ZooError(f"{name} must be a positive integer, got {value!r}")


class BaseGAN(keras.Model):
    """A GAN as one keras.Model: `compile(d_optimizer=..., g_optimizer=...)`, then `fit(dataset)`.

    Each batch that `fit` hands to `train_step` is split into `d_steps` equal minibatches:
    the discriminator takes one update on each (the paper's k steps, each on fresh data),
    then the generator takes one update on the noise of the last minibatch. Give `fit`
    batches of `d_steps * batch_size` examples (zoo.training does) for minibatches of
    `batch_size`.

    Args:
      latent_dim: size of the noise vector z.
      latent_distribution: "normal" (N(0, 1)) or "uniform" (U(-1, 1)).
      d_steps: discriminator updates per generator update (k in Goodfellow et al. 2014).
      loss: a name from `zoo.losses.ADVERSARIAL_LOSSES`.
      label_smoothing: one-sided label smoothing; real targets become 1 - label_smoothing.
      noise_seed: seed of the training noise stream (None: nondeterministic).
    """

    registered_name = None  # set by @register_model

    def __init__(self, latent_dim=100, latent_distribution="normal", d_steps=1,
                 loss="non_saturating", label_smoothing=0.0, noise_seed=None, name=None, **kwargs):
        super().__init__(name=name or self.registered_name or "gan", **kwargs)
        _check_positive_int("latent_dim", latent_dim)
        _check_positive_int("d_steps", d_steps)
        if latent_distribution not in LATENT_DISTRIBUTIONS:
            raise ZooError(f"latent_distribution must be one of {LATENT_DISTRIBUTIONS}, "
                           f"got {latent_distribution!r}")
        if not 0.0 <= float(label_smoothing) < 1.0:
            raise ZooError(f"label_smoothing must be in [0, 1), got {label_smoothing!r}")
        self.latent_dim = int(latent_dim)
        self.latent_distribution = latent_distribution
        self.d_steps = int(d_steps)
        self.loss_name = loss
        self.adversarial_loss = losses.get_adversarial_loss(loss)
        self.label_smoothing = float(label_smoothing)
        self.noise_seed = noise_seed
        # A tf.random.Generator made under a distribution strategy's scope gives every
        # replica its own stream; keras' SeedGenerator would give them all the same noise.
        self.noise = (tf.random.Generator.from_seed(noise_seed) if noise_seed is not None
                      else tf.random.Generator.from_non_deterministic_state())
        self.generator = self.build_generator()
        self.discriminator = self.build_discriminator()
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        # A GAN has no single forward pass for fit() to build the model with.
        self.built = True
        self._sample_fn = None

    # ----------------------------------------------------------------- networks
    def build_generator(self):
        raise NotImplementedError

    def build_discriminator(self):
        raise NotImplementedError

    @property
    def sample_shape(self):
        """Shape of one generated example, without the batch axis."""
        return tuple(self.generator.output.shape[1:])

    # ----------------------------------------------------------------- config
    def get_config(self):
        return {
            "name": self.name,  # a trained model keeps its run's name (its export's name)
            "latent_dim": self.latent_dim,
            "latent_distribution": self.latent_distribution,
            "d_steps": self.d_steps,
            "loss": self.loss_name,
            "label_smoothing": self.label_smoothing,
            "noise_seed": self.noise_seed,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # ----------------------------------------------------------------- compile
    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Attach one optimizer per network (Adam(2e-4, beta_1=0.5) each by default)."""
        super().compile(optimizer=None, **kwargs)
        self.d_optimizer = d_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)
        self.g_optimizer = g_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)
        # Slot variables made lazily inside a replicated step fail under MirroredStrategy:
        # make them here, under the caller's strategy scope.
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

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

    # ----------------------------------------------------------------- losses
    def discriminate(self, x, training=True):
        """The discriminator's output in float32, whatever the compute dtype: under mixed
        precision the losses and their reductions stay in full precision."""
        return tf.cast(self.discriminator(x, training=training), tf.float32)

    def discriminator_loss(self, real, fake):
        """Per-example discriminator loss on a real and a generated minibatch of equal size."""
        return self.adversarial_loss.discriminator(
            self.discriminate(real), self.discriminate(fake),
            real_target=1.0 - self.label_smoothing)

    def generator_loss(self, fake):
        """Per-example generator loss on generated examples (gradients flow into G)."""
        return self.adversarial_loss.generator(self.discriminate(fake))

    # ----------------------------------------------------------------- training
    @staticmethod
    def real_examples(data):
        """The examples of a batch: `x`, `(x,)`, `(x, y)` or a dict with "image"."""
        if isinstance(data, dict):
            return data["image"]
        if isinstance(data, (tuple, list)):
            return data[0]
        return data

    def _discriminator_update(self, real, fake):
        with tf.GradientTape() as tape:
            per_example = self.discriminator_loss(real, fake)
            loss = tf.nn.compute_average_loss(per_example)
            # Under float16 the optimizer is a LossScaleOptimizer: scale here, it unscales.
            scaled = self.d_optimizer.scale_loss(loss)
        grads = tape.gradient(scaled, self.discriminator.trainable_variables)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_variables))
        self.d_loss_tracker.update_state(tf.reduce_mean(per_example))

    def train_step(self, data):
        real = self.real_examples(data)
        minibatches = tf.split(real, self.d_steps) if self.d_steps > 1 else [real]
        for minibatch in minibatches[:-1]:
            fake = self.generator(self.sample_latent(tf.shape(minibatch)[0]), training=True)
            self._discriminator_update(minibatch, fake)

        # The last discriminator minibatch and the generator update share one generator
        # forward pass: it is recorded on the generator's tape, the discriminator trains on
        # it (without gradients into G), then the tape resumes for G's loss under the
        # updated discriminator. Alternating updates at the cost of one forward pass.
        last = minibatches[-1]
        with tf.GradientTape() as g_tape:
            fake = self.generator(self.sample_latent(tf.shape(last)[0]), training=True)
        self._discriminator_update(last, tf.stop_gradient(fake))
        with g_tape:
            per_example = self.generator_loss(fake)
            g_loss = tf.nn.compute_average_loss(per_example)
            scaled = self.g_optimizer.scale_loss(g_loss)
        grads = g_tape.gradient(scaled, self.generator.trainable_variables)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_variables))
        self.g_loss_tracker.update_state(tf.reduce_mean(per_example))
        return {m.name: m.result() for m in self.metrics}

    def call(self, z, training=False):
        """The generator: noise in, samples out. (The export serves the generator itself.)"""
        return self.generator(z, training=training)

    # ----------------------------------------------------------------- sampling
    def generate(self, n, seed=None, batch_size=2048):
        """`n` samples as a float32 numpy array; the same `seed` gives the same samples.

        Images are NHWC in [-1, 1]. Without a seed, the noise is drawn fresh.
        """
        _check_positive_int("n", n)
        if seed is None:
            seed = int(np.random.default_rng().integers(0, 2**62))
        elif (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
              or not -2**63 <= seed < 2**63):
            raise ZooError(f"seed must be a 64-bit integer or None, got {seed!r}")
        if self._sample_fn is None:
            self._sample_fn = tf.function(lambda z: self.generator(z, training=False),
                                          reduce_retracing=True)
        z = self.latent_from_seed(n, seed)
        chunks = [self._sample_fn(z[i:i + batch_size]) for i in range(0, n, batch_size)]
        return np.concatenate([c.numpy() for c in chunks], axis=0).astype(np.float32, copy=False)
