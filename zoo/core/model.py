"""ZooModel: what every model of the zoo shares, whether it samples from noise or translates.

A model trains the networks of its `generator_networks()` with `g_optimizer` (and a GAN its
discriminator with `d_optimizer`), draws its training randomness from one seeded stream
(`noise`), may keep an average of its generator-side weights for inference, and hands
`fit` its step's logs. GenerativeModel adds the latent prior, `generate` and the seed
signatures; zoo.core.adversarial the discriminator and the adversarial step;
TranslationGAN samples nothing and translates images instead.
"""

import contextlib
import functools

import tensorflow as tf
import keras

from zoo.checks import check_name, check_seed
from zoo.core.averaging import GeneratorAverage, check_ema_decay
from zoo.internals import in_multi_worker_mode


def with_averaged_generator(method):
    """Run an inference method with the generator's averaged weights in place (EMA on)."""
    @functools.wraps(method)
    def averaged(self, *args, **kwargs):
        with self.averaged_weights():
            return method(self, *args, **kwargs)
    return averaged


def first_examples(batches, count, examples):
    """The first `count` examples of `batches` as one tensor (fewer if the batches run out);
    `examples(batch)` picks a batch's examples. What a data-dependent initialization reads."""
    taken, seen = [], 0
    for batch in batches:
        taken.append(examples(batch))
        seen += int(taken[-1].shape[0])
        if seen >= count:
            break
    return tf.concat(taken, axis=0)[:count]


class ZooModel(keras.Model):
    """A model of the zoo: `compile(...)`, then `fit(dataset)`.

    A subclass supplies `build_generator()` (a keras Model named "generator": the network, or
    the networks as one model, that inference runs), its `train_step`, its exported
    signatures (`serving_endpoints`) and the picture of a run (`sample_grid`), and names its
    optimizers in `optimizer_names` (`compile` takes them as keyword arguments: Adam(2e-4,
    beta_1=0.5) each by default).

    Args:
      noise_seed: seed of the training randomness (None: nondeterministic).
      ema_decay: keep an exponential moving average of the generator-side networks' weights
        with this decay (e.g. 0.999; 0: none), which sampling, evaluation, saving and export
        then use while the raw weights train (zoo.core.averaging).
    """

    registered_name = None  # set by @register_model
    # What training batches hold: "examples"; "labels" (x, y) for conditional models;
    # "labelled_subset" for semi-supervised ones (zoo.data.semi_supervised adds it); "pairs"
    # (a, b) of two unpaired domains.
    data_needs = "examples"
    # The optimizers compile() attaches, as attribute names (zoo.training gives each its
    # learning rate: "g_optimizer" takes --g_lr, "d_optimizer" --d_lr).
    optimizer_names = ("g_optimizer",)
    # Labelled training examples a semi-supervised model keeps (None: all labels, or none),
    # and the seed that draws them (None: the run's seed).
    labelled_examples = None
    labelled_seed = None
    # Test inputs each epoch's picture shows (a translation model's: it samples no noise).
    sample_inputs_count = 0
    # Whether an inference method reads the discriminator (a semi-supervised GAN's classifier):
    # a shipped preset then keeps it beside the generator.
    inference_needs_discriminator = False

    def __init__(self, noise_seed=None, ema_decay=0.0, name=None, **kwargs):
        default_name = self.registered_name or "model"
        super().__init__(name=check_name("name", default_name if name is None else name), **kwargs)
        self.ema_decay = check_ema_decay(ema_decay)
        self.noise_seed = check_seed("noise_seed", noise_seed)
        # A tf.random.Generator made under a distribution strategy's scope gives every
        # replica its own stream; keras' SeedGenerator would give them all the same noise.
        self.noise = (tf.random.Generator.from_seed(noise_seed) if noise_seed is not None
                      else tf.random.Generator.from_non_deterministic_state())
        self.generator = self.build_generator()
        self.generator_average = (GeneratorAverage(self.generator_variables, self.ema_decay)
                                  if self.ema_decay else None)
        self._averaged_depth = 0  # nested inference calls swap the averages in once

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

    def initialize_from_data(self, batches):
        """Set what the networks initialize from data (e.g. the scales of weight
        normalization) from the training `batches` (a tf.data.Dataset), once, before training
        and before a checkpoint is restored. Nothing by default."""
        del batches

    @property
    def trained_optimizers(self):
        """The attached optimizers (after compile)."""
        return [getattr(self, name) for name in self.optimizer_names]

    def get_config(self):
        return {
            "name": self.name,  # a trained model keeps its run's name (its export's name)
            "noise_seed": self.noise_seed,
            "ema_decay": self.ema_decay,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_compile_config(self):
        """The attached optimizers, so that keras.saving.load_model gives back a compiled
        model (their states travel with the weights). None before compile()."""
        if not self.compiled:
            return None
        return {name: keras.optimizers.serialize(getattr(self, name)) for name in self.optimizer_names}

    def compile_from_config(self, config):
        self.compile(**{name: keras.optimizers.deserialize(optimizer)
                        for name, optimizer in config.items()})

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

    def averaged_discriminator(self):
        """A block in which the discriminator holds its averaged weights, for a model that
        keeps an average of them (sgan's classifier); here nothing changes."""
        return contextlib.nullcontext()

    @contextlib.contextmanager
    def raw_weights(self):
        """Within this block inference methods use the raw (trained) generator weights, EMA on
        or off: what the model would give without the average. Not inside averaged_weights."""
        if self._averaged_depth:
            raise RuntimeError("raw_weights() cannot be entered inside averaged_weights()")
        self._averaged_depth += 1  # an inference method's own averaged_weights swaps nothing
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

    # ----------------------------------------------------------------- steps
    def step_logs(self):
        """What a train step returns: the metrics' results. Across workers Keras (3.15) takes
        their mean along a batch axis that scalars lack (tensorflow/tensorflow#72388): there
        they get one."""
        logs = {m.name: m.result() for m in self.metrics}
        if in_multi_worker_mode(self.distribute_strategy):
            logs = {name: tf.reshape(value, [1]) for name, value in logs.items()}
        return logs

    def call(self, inputs, training=False):
        """The generator. (The export serves it through `serving_endpoints`.)"""
        return self.generator(inputs, training=training)

    # ----------------------------------------------------------------- use
    def sample_grid(self, count, seed):
        """The samples of a training run's per-epoch picture, and its columns (None: square)."""
        raise NotImplementedError

    def serving_endpoints(self, serve):
        """The exported signatures: name -> (function, input signature). `serve` maps the
        generator's inputs to the output dict."""
        raise NotImplementedError
