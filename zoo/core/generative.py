"""GenerativeModel: what every model of the zoo shares, adversarial or not.

A generative model draws samples from a latent code through its generator: it owns the
training noise, deterministic noise for seeds, `generate`, the picture of a run and the
signatures its export serves, and how a train step hands its logs to `fit`. BaseGAN adds the
discriminator and its adversarial step; the likelihood baselines (the VAE, the RBM) add their
own step to the same generation and serving.
"""

import contextlib
import functools

import numpy as np
import tensorflow as tf
import keras

from zoo import memory
from zoo.checks import check_choice, check_name, check_positive_int, check_seed
from zoo.core.averaging import GeneratorAverage, check_ema_decay
from zoo.errors import ZooError

LATENT_DISTRIBUTIONS = ("normal", "uniform")


def with_averaged_generator(method):
    """Run an inference method with the generator's averaged weights in place (EMA on)."""
    @functools.wraps(method)
    def averaged(self, *args, **kwargs):
        with self.averaged_weights():
            return method(self, *args, **kwargs)
    return averaged


def _across_workers(strategy):
    """Whether Keras reduces a step's logs across worker processes (its own test, on a private
    attribute of MultiWorkerMirroredStrategy)."""
    return (isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
            and strategy.extended._in_multi_worker_mode())


def sampling_seed(seed):
    """The seed `generate` draws with: `seed` checked, or a fresh one for None."""
    if seed is None:
        return int(np.random.default_rng().integers(0, 2**62))
    if (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
            or not -2**63 <= seed < 2**63):
        raise ZooError(f"seed must be a 64-bit integer or None, got {seed!r}")
    return int(seed)


class GenerativeModel(keras.Model):
    """A model that generates from noise: `compile(...)`, `fit(dataset)`, `generate(n, seed)`.

    A subclass supplies `build_generator()` (a functional keras Model named "generator") and
    its `train_step`, and names its optimizers in `optimizer_names` (`compile` takes them as
    keyword arguments: Adam(2e-4, beta_1=0.5) each by default).

    Args:
      latent_dim: size of the noise vector z.
      latent_distribution: "normal" (N(0, 1)) or "uniform" (U(-1, 1)).
      noise_seed: seed of the training noise stream (None: nondeterministic).
      ema_decay: keep an exponential moving average of the generator-side networks' weights
        with this decay (e.g. 0.999; 0: none), which sampling, evaluation, saving and export
        then use while the raw weights train (zoo.core.averaging).
    """

    registered_name = None  # set by @register_model
    # What training batches hold: "examples"; "labels" (x, y) for conditional models;
    # "labelled_subset" for semi-supervised ones (zoo.data.semi_supervised adds it).
    data_needs = "examples"
    # The optimizers compile() attaches, as attribute names (zoo.training gives each its
    # learning rate: "g_optimizer" takes --g_lr, "d_optimizer" --d_lr).
    optimizer_names = ("g_optimizer",)
    # Labelled training examples a semi-supervised model keeps (None: all labels, or none).
    labelled_examples = None
    # Test inputs each epoch's picture shows (a translation model's: it samples no noise).
    sample_inputs_count = 0

    def __init__(self, latent_dim=100, latent_distribution="normal", noise_seed=None,
                 ema_decay=0.0, name=None, **kwargs):
        default_name = self.registered_name or "model"
        super().__init__(name=check_name("name", default_name if name is None else name), **kwargs)
        check_positive_int("latent_dim", latent_dim)
        check_choice("latent_distribution", latent_distribution, LATENT_DISTRIBUTIONS)
        self.ema_decay = check_ema_decay(ema_decay)
        self.latent_dim = int(latent_dim)
        self.latent_distribution = latent_distribution
        self.noise_seed = check_seed("noise_seed", noise_seed)
        # A tf.random.Generator made under a distribution strategy's scope gives every
        # replica its own stream; keras' SeedGenerator would give them all the same noise.
        self.noise = (tf.random.Generator.from_seed(noise_seed) if noise_seed is not None
                      else tf.random.Generator.from_non_deterministic_state())
        self.generator = self.build_generator()
        self.generator_average = (GeneratorAverage(self.generator_variables, self.ema_decay)
                                  if self.ema_decay else None)
        self._averaged_depth = 0  # nested inference calls swap the averages in once
        self._sample_fn = None

    def build_generator(self):
        """The generator network; a model with more generator-side networks (an encoder) builds
        them here too, so that they exist before the average of their weights is made."""
        raise NotImplementedError

    def generator_networks(self):
        """The networks the generator's optimizer trains, by name: what inference needs, and
        what a shipped preset keeps. G here; BiGAN, VAE-GAN and the VAE add their encoder."""
        return {"generator": self.generator}

    @property
    def generator_variables(self):
        return [v for network in self.generator_networks().values()
                for v in network.trainable_variables]

    @property
    def sample_shape(self):
        """Shape of one generated example, without the batch axis."""
        return tuple(self.generator.output.shape[1:])

    @property
    def served_output_name(self):
        """The key of the exports' output: "images", or "samples" for points."""
        return "images" if len(self.sample_shape) == 3 else "samples"

    @property
    def minibatches_per_step(self):
        """How many minibatches of the training batch size one train step takes (fit hands it
        them as one batch): one here; a GAN's discriminator takes d_steps."""
        return 1

    def updates_per_step(self, optimizer_name):
        """How many updates the optimizer `optimizer_name` makes per train step (its learning
        rate's decay is laid out over them)."""
        del optimizer_name
        return 1

    def check_replica_batch(self, size):
        """Refuse, in one line, a batch per replica this model can't train on."""
        del size

    @property
    def trained_optimizers(self):
        """The attached optimizers (after compile)."""
        return [getattr(self, name) for name in self.optimizer_names]

    def get_config(self):
        return {
            "name": self.name,  # a trained model keeps its run's name (its export's name)
            "latent_dim": self.latent_dim,
            "latent_distribution": self.latent_distribution,
            "noise_seed": self.noise_seed,
            "ema_decay": self.ema_decay,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def compile(self, g_optimizer=None, **kwargs):
        """Attach the generator's optimizer (Adam(2e-4, beta_1=0.5) by default)."""
        super().compile(optimizer=None, **kwargs)
        self.g_optimizer = g_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)
        # Slot variables made lazily inside a replicated step fail under MirroredStrategy:
        # make them here, under the caller's strategy scope.
        self.g_optimizer.build(self.generator_variables)

    # ----------------------------------------------------------------- EMA
    def apply_generator_gradients(self, grads_and_variables):
        """The generator-side networks' update, then the average's (when EMA is on)."""
        self.g_optimizer.apply_gradients(grads_and_variables)
        if self.generator_average is not None:
            self.generator_average.update(self.generator_variables)

    @contextlib.contextmanager
    def averaged_weights(self):
        """Within this block the generator-side networks hold their averaged weights (EMA on;
        otherwise nothing changes). Inference methods run inside one; training must not."""
        swap = self.generator_average is not None and not self._averaged_depth
        with (self.generator_average.exchanged(self.generator_variables) if swap
              else contextlib.nullcontext()):
            self._averaged_depth += 1
            try:
                yield
            finally:
                self._averaged_depth -= 1

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Keras (3.15, TF backend) builds a model from a first batch before fit() trains it.
        # The networks are built when the model is made and compile() builds the optimizers,
        # so that build has nothing to do here; skipped, because on the way it reduces the
        # batch across replicas, which fails under MultiWorkerMirroredStrategy for a batch
        # that is a tuple or a dict. (A private Keras hook: tests/test_multiworker.py catches
        # a change.)
        del iterator, data_batch

    def real_batch(self, data):
        """The real batch a step trains on, from what `fit` hands over: `x`, `(x,)`, `(x, y)`
        or a dict with "image" give the examples alone."""
        if isinstance(data, dict):
            return data["image"]
        if isinstance(data, (tuple, list)):
            return data[0]
        return data

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

    # ----------------------------------------------------------------- steps
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
    @with_averaged_generator
    def generate(self, n, seed=None, batch_size=2048, **conditions):
        """`n` samples as a float32 numpy array; the same `seed` gives the same samples.

        Images are NHWC in [-1, 1]. Without a seed, the noise is drawn fresh. Conditional
        models take their condition as a keyword (`labels=`).
        """
        check_positive_int("n", n)
        batch_size = check_positive_int("batch_size", batch_size)
        sample_size = int(np.prod(self.sample_shape))
        # The noise, the chunks and their concatenation are held at once.
        memory.check_fits(f"generate({n})", n * (self.latent_dim + 2 * sample_size) * memory.FLOAT32_BYTES,
                          "generate fewer samples per call (in a loop, with a seed each)")
        inputs = self.generator_inputs(self.latent_from_seed(n, sampling_seed(seed)), **conditions)
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
