"""BaseGAN: the alternating discriminator / generator training step shared by every variant.

A variant supplies `build_generator()` and `build_discriminator()` (functional keras
Models named "generator" and "discriminator") and, where its objective differs, overrides
`discriminator_loss` / `generator_loss`, which return one loss per example. The base class
owns the step, the noise, the loss reduction and generation, so that distribution
(`tf.distribute`), checkpoints and export work the same for every variant.

It also owns the remedies against mode collapse and the discriminator's regularisers, so
that every variant has them: packing (PacGAN), unrolled discriminator steps (Metz et al.
2017), the gradient and R1 penalties and weight clipping. Those that live inside the
network (the minibatch standard deviation feature, spectral norm) reach the builders
through `discriminator_options()`; packing through `packed_shape()`.
"""

import numpy as np
import tensorflow as tf
import keras

from zoo import losses
from zoo.core import unrolling
from zoo.errors import ZooError
from zoo.layers import ClipWeights

LATENT_DISTRIBUTIONS = ("normal", "uniform")


def batch_size_of(batch):
    """The number of examples in a batch (a tensor or a structure of tensors)."""
    return tf.shape(tf.nest.flatten(batch)[0])[0]


def _across_workers(strategy):
    """Whether Keras reduces a step's logs across worker processes (its own test, on a private
    attribute of MultiWorkerMirroredStrategy)."""
    return (isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
            and strategy.extended._in_multi_worker_mode())


def refuse_options(reason, **options):
    """Raise one ZooError naming the options that are on (truthy) where `reason` (what the
    model is, that rules them out) applies; nothing when none is on."""
    on = [name for name, value in options.items() if value]
    if on:
        raise ZooError(f"{reason}, which {', '.join(on)} can't handle: drop "
                       f"{'it' if len(on) == 1 else 'them'}")


def check_positive_int(name, value, minimum=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        kind = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ZooError(f"{name} must be {kind}, got {value!r}")
    return int(value)


def check_weight(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < float("inf"):
        raise ZooError(f"{name} must be a number >= 0 (0 turns it off), got {value!r}")
    return float(value)


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

    Remedies and regularisers (off by default):
      pack: PacGAN (Lin et al. 2018): D judges `pack` samples at once, all real or all
        generated, concatenated along the last axis. The batch must divide by it.
      minibatch_stddev: D sees the batch's standard deviation as a feature (Karras et al. 2018).
      spectral_norm: spectral normalization of D's layers (Miyato et al. 2018).
      unrolled_steps: G's loss is taken against D after this many further (differentiable)
        Adam steps on the current batch (Metz et al. 2017).
      gradient_penalty: lambda of WGAN-GP's (||grad D(x_hat)|| - 1)^2 (Gulrajani et al. 2017).
      r1_gamma: gamma of the R1 penalty gamma/2 ||grad D(x)||^2 on real data (Mescheder et al. 2018).
      clip_value: clip D's weights into [-c, c] after each update (WGAN).
    """

    registered_name = None  # set by @register_model
    own_loss = None  # the name of an objective a variant implements itself (EBGAN's "energy")
    # What training batches hold: "examples"; "labels" (x, y) for conditional models;
    # "labelled_subset" for semi-supervised ones (zoo.data.semi_supervised adds it).
    data_needs = "examples"
    # True where generator_loss returns one loss per generator-side network.
    losses_per_network = False

    def __init__(self, latent_dim=100, latent_distribution="normal", d_steps=1,
                 loss="non_saturating", label_smoothing=0.0, noise_seed=None, pack=1,
                 minibatch_stddev=False, spectral_norm=False, unrolled_steps=0,
                 gradient_penalty=0.0, r1_gamma=0.0, clip_value=None, name=None, **kwargs):
        super().__init__(name=name or self.registered_name or "gan", **kwargs)
        check_positive_int("latent_dim", latent_dim)
        check_positive_int("d_steps", d_steps)
        check_positive_int("pack", pack)
        check_positive_int("unrolled_steps", unrolled_steps, minimum=0)
        if latent_distribution not in LATENT_DISTRIBUTIONS:
            raise ZooError(f"latent_distribution must be one of {LATENT_DISTRIBUTIONS}, "
                           f"got {latent_distribution!r}")
        if not 0.0 <= float(label_smoothing) < 1.0:
            raise ZooError(f"label_smoothing must be in [0, 1), got {label_smoothing!r}")
        self.adversarial_loss = None if loss == self.own_loss else losses.get_adversarial_loss(loss)
        if label_smoothing and not (self.adversarial_loss and self.adversarial_loss.smoothable):
            raise ZooError(f"label_smoothing applies to targets, and the {loss} loss has none: "
                           "drop --label_smoothing")
        if clip_value is not None and not (isinstance(clip_value, (int, float)) and clip_value > 0):
            raise ZooError(f"clip_value must be a positive number or None, got {clip_value!r}")
        for flag_name, flag in (("minibatch_stddev", minibatch_stddev), ("spectral_norm", spectral_norm)):
            if not isinstance(flag, (bool, np.bool_)):
                raise ZooError(f"{flag_name} must be True or False, got {flag!r}")
        self.latent_dim = int(latent_dim)
        self.latent_distribution = latent_distribution
        self.d_steps = int(d_steps)
        self.loss_name = loss
        self.label_smoothing = float(label_smoothing)
        self.noise_seed = noise_seed
        self.pack = int(pack)
        self.minibatch_stddev = bool(minibatch_stddev)
        self.spectral_norm = bool(spectral_norm)
        self.unrolled_steps = int(unrolled_steps)
        self.gradient_penalty = check_weight("gradient_penalty", gradient_penalty)
        self.r1_gamma = check_weight("r1_gamma", r1_gamma)
        self.clip_value = None if clip_value is None else float(clip_value)
        self._unrolled_weights = None  # D's weights for G's loss while unrolling
        # A tf.random.Generator made under a distribution strategy's scope gives every
        # replica its own stream; keras' SeedGenerator would give them all the same noise.
        self.noise = (tf.random.Generator.from_seed(noise_seed) if noise_seed is not None
                      else tf.random.Generator.from_non_deterministic_state())
        self.generator = self.build_generator()
        self.discriminator = self.build_discriminator()
        if self.clip_value is not None:
            # A keras constraint: the optimizer applies it right after each update.
            for variable in self.discriminator.trainable_variables:
                variable.constraint = ClipWeights(self.clip_value)
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

    def generator_networks(self):
        """The networks the generator's optimizer trains, by name: what inference needs, and
        what a shipped preset keeps. G here; BiGAN and VAE-GAN add their encoder."""
        return {"generator": self.generator}

    @property
    def generator_variables(self):
        return [v for network in self.generator_networks().values()
                for v in network.trainable_variables]

    def discriminator_options(self):
        """The remedies that live inside D, as keyword arguments of zoo.networks' builders."""
        return {"minibatch_stddev": self.minibatch_stddev, "spectral_norm": self.spectral_norm}

    def packed_shape(self, example_shape):
        """The shape D takes: `pack` examples concatenated along the last axis."""
        example_shape = tuple(example_shape)
        return example_shape[:-1] + (example_shape[-1] * self.pack,)

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
            "pack": self.pack,
            "minibatch_stddev": self.minibatch_stddev,
            "spectral_norm": self.spectral_norm,
            "unrolled_steps": self.unrolled_steps,
            "gradient_penalty": self.gradient_penalty,
            "r1_gamma": self.r1_gamma,
            "clip_value": self.clip_value,
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
        self.g_optimizer.build(self.generator_variables)
        if self.unrolled_steps:
            unrolling.check_optimizer(self.d_optimizer)

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Keras (3.15, TF backend) builds a model from a first batch before fit() trains it.
        # A GAN's networks are built when it is made and compile() builds both optimizers, so
        # that build has nothing to do here; skipped, because on the way it reduces the batch
        # across replicas, which fails under MultiWorkerMirroredStrategy for a batch that is a
        # tuple or a dict. (A private Keras hook: tests/test_multiworker.py catches a change.)
        del iterator, data_batch

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
    def pack_examples(self, x):
        """[batch, ..., c] -> [batch / pack, ..., pack * c]: consecutive examples side by side."""
        if self.pack == 1:
            return x
        shape = tf.shape(x)
        rank = len(x.shape)
        grouped = tf.reshape(x, tf.concat([[-1, self.pack], shape[1:]], 0))
        # Move the pack axis next to the channels, then merge the two.
        order = [0] + list(range(2, rank)) + [1, rank]
        grouped = tf.transpose(grouped, order)
        return tf.reshape(grouped, tf.concat([[-1], shape[1:-1], [self.pack * shape[-1]]], 0))

    def run_discriminator(self, packed, training=True):
        """D's outputs on packed input in float32, whatever the compute dtype (under mixed
        precision the losses and their reductions stay in full precision). While G's loss is
        unrolled, D runs with the unrolled weights instead of its variables."""
        if self._unrolled_weights is None:
            outputs = self.discriminator(packed, training=training)
        else:
            outputs, _ = self.discriminator.stateless_call(
                self._unrolled_weights, [v.value for v in self.discriminator.non_trainable_variables],
                packed, training=training)
        return tf.nest.map_structure(lambda t: tf.cast(t, tf.float32), outputs)

    def critic(self, packed, training=True):
        """The score the losses and penalties read, one per packed example: D's logit here;
        a variant whose D returns more (EBGAN's energy) overrides this."""
        return self.run_discriminator(packed, training=training)

    def discriminate(self, x, training=True):
        """The critic's score of a batch of examples, after packing."""
        return self.critic(self.pack_examples(x), training=training)

    def discriminator_loss(self, real, fake):
        """Per-example discriminator loss on a real and a generated minibatch of equal size."""
        return self.adversarial_loss.discriminator(
            self.discriminate(real), self.discriminate(fake),
            real_target=1.0 - self.label_smoothing)

    def generator_loss(self, fake):
        """Per-example generator loss on generated examples (gradients flow into G). A model
        whose generator-side networks minimise different objectives (VAE-GAN's encoder and
        decoder) sets `losses_per_network` and returns {network name: per-example loss}."""
        return self.adversarial_loss.generator(self.discriminate(fake))

    # ----------------------------------------------------------------- training
    # A batch is what D judges: the examples alone here; a conditional model's batch is the
    # structure (examples, condition), and these four methods are all it overrides.
    def real_batch(self, data):
        """The real batch D judges, from what `fit` hands over: `x`, `(x,)`, `(x, y)` or a dict
        with "image" give the examples alone."""
        if isinstance(data, dict):
            return data["image"]
        if isinstance(data, (tuple, list)):
            return data[0]
        return data

    def fake_batch(self, real, training=True):
        """A generated batch of the same structure and size as `real`, drawn from fresh noise."""
        return self.generator(self.sample_latent(batch_size_of(real)), training=training)

    @staticmethod
    def examples(batch):
        """The examples of a batch (what the penalties differentiate D with respect to)."""
        return batch

    def critic_for(self, batch):
        """The critic as a function of packed examples alone, anything else of `batch` (a
        condition) held fixed: what the input-gradient penalties differentiate."""
        del batch
        return self.critic

    def penalties(self, real, fake):
        """D's regularisers, per packed example (0 when none is on)."""
        total = 0.0
        critic = self.critic_for(real)
        real_packed = self.pack_examples(self.examples(real))
        if self.gradient_penalty:
            fake_packed = self.pack_examples(self.examples(fake))
            weights = self.noise.uniform(tf.shape(real_packed)[:1])
            total += self.gradient_penalty * losses.gradient_penalty(
                critic, real_packed, fake_packed, interpolation=weights)
        if self.r1_gamma:
            total += 0.5 * self.r1_gamma * losses.r1_penalty(critic, real_packed)
        return total

    def _discriminator_update(self, real, fake):
        with tf.GradientTape() as tape:
            per_example = self.discriminator_loss(real, fake) + self.penalties(real, fake)
            loss = tf.nn.compute_average_loss(per_example)
            # Under float16 the optimizer is a LossScaleOptimizer: scale here, it unscales.
            scaled = self.d_optimizer.scale_loss(loss)
        grads = tape.gradient(scaled, self.discriminator.trainable_variables)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_variables))
        self.d_loss_tracker.update_state(tf.reduce_mean(per_example))

    def train_step(self, data):
        real = self.real_batch(data)
        if self.d_steps > 1:
            parts = [tf.split(t, self.d_steps) for t in tf.nest.flatten(real)]
            minibatches = [tf.nest.pack_sequence_as(real, [p[i] for p in parts])
                           for i in range(self.d_steps)]
        else:
            minibatches = [real]
        for minibatch in minibatches[:-1]:
            self._discriminator_update(minibatch, self.fake_batch(minibatch))

        # The last discriminator minibatch and the generator update share one generator
        # forward pass: it is recorded on the generator's tape, the discriminator trains on
        # it (without gradients into G), then the tape resumes for G's loss under the
        # updated discriminator. Alternating updates at the cost of one forward pass.
        last = minibatches[-1]
        with tf.GradientTape(persistent=self.losses_per_network) as g_tape:
            fake = self.fake_batch(last)
        self._discriminator_update(last, tf.nest.map_structure(tf.stop_gradient, fake))
        with g_tape:
            if self.unrolled_steps:
                # Metz et al. 2017: G answers D as it will be after k more steps on this batch,
                # differentiating through those steps (the nested tape records them).
                self._unrolled_weights = unrolling.unrolled_weights(
                    self, last, fake, self.unrolled_steps)
            objective = self.generator_loss(fake)
            self._unrolled_weights = None
            # {network name: its loss}; one objective (None) trains every generator-side network.
            by_network = objective if self.losses_per_network else {None: objective}
            scaled = {name: self.g_optimizer.scale_loss(tf.nn.compute_average_loss(loss))
                      for name, loss in by_network.items()}
        networks = self.generator_networks()
        variables, grads = [], []
        for name, loss in scaled.items():
            own = self.generator_variables if name is None else networks[name].trainable_variables
            variables += own
            grads += g_tape.gradient(loss, own)
        self.g_optimizer.apply_gradients(zip(grads, variables))
        self.g_loss_tracker.update_state(
            tf.add_n([tf.reduce_mean(loss) for loss in by_network.values()]))
        return self.step_logs()

    def step_logs(self):
        """What a train step returns: the metrics' results. Across workers Keras (3.15) takes
        their mean along a batch axis that scalars lack (tensorflow/tensorflow#72388): there
        they get one."""
        logs = {m.name: m.result() for m in self.metrics}
        if _across_workers(self.distribute_strategy):
            logs = {name: tf.reshape(value, [1]) for name, value in logs.items()}
        return logs

    def call(self, z, training=False):
        """The generator: noise in, samples out. (The export serves the generator itself.)"""
        return self.generator(z, training=training)

    # ----------------------------------------------------------------- sampling
    def generate(self, n, seed=None, batch_size=2048, **conditions):
        """`n` samples as a float32 numpy array; the same `seed` gives the same samples.

        Images are NHWC in [-1, 1]. Without a seed, the noise is drawn fresh. Conditional
        models take their condition as a keyword (`labels=`).
        """
        check_positive_int("n", n)
        if seed is None:
            seed = int(np.random.default_rng().integers(0, 2**62))
        elif (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
              or not -2**63 <= seed < 2**63):
            raise ZooError(f"seed must be a 64-bit integer or None, got {seed!r}")
        inputs = self.generator_inputs(self.latent_from_seed(n, seed), **conditions)
        if self._sample_fn is None:
            self._sample_fn = tf.function(lambda inputs: self.generator(inputs, training=False),
                                          reduce_retracing=True)
        chunks = [self._sample_fn(tf.nest.map_structure(lambda t: t[i:i + batch_size], inputs))
                  for i in range(0, n, batch_size)]
        return np.concatenate([c.numpy() for c in chunks], axis=0).astype(np.float32, copy=False)

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
