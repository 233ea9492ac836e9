"""The adversarial step: AdversarialModel (a discriminator, the alternating discriminator /
generator training step, the remedies and penalties), shared by every GAN of the zoo, and
BaseGAN, an AdversarialModel whose generator draws from a latent prior (GenerativeModel).
The translation models (zoo.core.translation) are AdversarialModels that sample no noise.

A variant supplies `build_generator()` and `build_discriminator()` (functional keras
Models named "generator" and "discriminator") and, where its objective differs, overrides
`discriminator_loss(d, real, fake)` / `generator_loss(d, fake)`, which read D through `d` (a
zoo.core.discriminator_pass.DiscriminatorPass the step chooses) and return one loss per
example. The base class owns the step and the loss reduction (GenerativeModel the latent prior,
generation and serving; TranslationGAN translation), so that distribution (`tf.distribute`), checkpoints and export work
the same for every variant.

It also owns the remedies against mode collapse and the discriminator's regularisers, so
that every variant has them: packing (PacGAN), unrolled discriminator steps (Metz et al.
2017), the gradient and R1 penalties and weight clipping. Those that live inside the
network (the minibatch standard deviation feature, spectral norm) reach the builders
through `discriminator_options()`; packing through `packed_shape()`.
"""

import tensorflow as tf
import keras

from zoo import losses
from zoo.core import unrolling
from zoo.checks import check_positive_int
from zoo.choices import UPDATES
from zoo.core.discriminator_pass import DiscriminatorPass
from zoo.core.generative import GenerativeModel
from zoo.core.model import ZooModel
from zoo.remedies import ALL_REMEDIES, REMEDIES, checked_remedies
from zoo.errors import ZooError
from zoo.layers import ClipWeights


def batch_size_of(batch):
    """The number of examples in a batch (a tensor or a structure of tensors)."""
    return tf.shape(tf.nest.flatten(batch)[0])[0]


class AdversarialModel(ZooModel):
    """A GAN as one keras.Model: `compile(d_optimizer=..., g_optimizer=...)`, then `fit(dataset)`.
    A subclass makes its generated batches (`fake_batch`); BaseGAN from noise.

    Each batch that `fit` hands to `train_step` is split into `d_steps` equal minibatches:
    the discriminator takes one update on each (the paper's k steps, each on fresh data),
    then the generator takes one update on the noise of the last minibatch. Give `fit`
    batches of `d_steps * batch_size` examples (zoo.training does) for minibatches of
    `batch_size`.

    Args (beyond ZooModel's noise_seed and ema_decay):
      d_steps: discriminator updates per generator update (k in Goodfellow et al. 2014).
      loss: a name from `zoo.losses.ADVERSARIAL_LOSSES`.
      label_smoothing: one-sided label smoothing; real targets become 1 - label_smoothing.
      updates: "alternating" (the paper's Algorithm 1: D's update, then G's loss under the
        updated D) or "simultaneous" (both losses read D as it stands and share its pass over
        the fakes, as the TensorFlow DCGAN tutorial's step and TF-GAN's joint updates do: one
        D forward pass fewer per step). With d_steps > 1 the earlier D steps alternate as ever.

    Remedies and regularisers (off by default; zoo.remedies holds their table, and
    `remedies` names those a variant supports: the others are refused when switched on):
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

    custom_loss = None  # the name of an objective a variant implements itself (EBGAN's "energy")
    remedies = ALL_REMEDIES  # the rows of zoo.remedies this variant supports
    remedies_refused_because = None  # why it refuses the others, for the error
    optimizer_names = ("d_optimizer", "g_optimizer")
    # True where generator_loss returns one loss per generator-side network.
    generator_loss_by_network = False

    def __init__(self, d_steps=1, loss="non_saturating", updates="alternating", name=None,
                 **kwargs):
        remedy_values = {key: kwargs.pop(key) for key in REMEDIES if key in kwargs}
        self.remedy_settings = checked_remedies(self.registered_name or type(self).__name__,
                                                self.remedies, self.remedies_refused_because,
                                                remedy_values)
        for key, value in self.remedy_settings.items():
            setattr(self, key, value)
        self.d_steps = check_positive_int("d_steps", d_steps)
        if updates not in UPDATES:
            raise ZooError(f"updates must be one of {', '.join(UPDATES)}, got {updates!r}")
        if updates == "simultaneous" and self.unrolled_steps:
            raise ZooError("unrolled_steps looks ahead from D's update, which simultaneous updates "
                           "do not take first: use updates='alternating' or drop unrolled_steps")
        self.adversarial_loss = None if loss == self.custom_loss else losses.get_adversarial_loss(loss)
        if self.label_smoothing and not (self.adversarial_loss and self.adversarial_loss.smoothable):
            raise ZooError(f"label_smoothing applies to targets, and the {loss} loss has none: "
                           "drop --label_smoothing")
        self.loss_name = loss
        self.updates = updates
        # The networks are built here (ZooModel builds the generator), after the settings
        # their builders read.
        super().__init__(name=(self.registered_name or "gan") if name is None else name, **kwargs)
        self.discriminator = self.build_discriminator()
        if self.clip_value is not None:
            # A keras constraint: the optimizer applies it right after each update.
            for variable in self.discriminator.trainable_variables:
                variable.constraint = ClipWeights(self.clip_value)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        # A GAN has no single forward pass for fit() to build the model with.
        self.built = True

    # ----------------------------------------------------------------- networks
    def build_discriminator(self):
        raise NotImplementedError

    @property
    def minibatches_per_step(self):
        return self.d_steps

    def updates_per_step(self, optimizer_name):
        return self.d_steps if optimizer_name == "d_optimizer" else 1

    def check_replica_batch(self, size):
        if size % self.pack:  # PacGAN: D judges packs of `pack` examples
            raise ZooError(f"pack={self.pack} must divide each replica's batch of {size}: change "
                           "--batch_size or --pack")

    def discriminator_options(self):
        """The remedies that live inside D, as keyword arguments of zoo.networks' builders."""
        return {"minibatch_stddev": self.minibatch_stddev, "spectral_norm": self.spectral_norm}

    def packed_shape(self, example_shape):
        """The shape D takes: `pack` examples concatenated along the last axis."""
        example_shape = tuple(example_shape)
        return example_shape[:-1] + (example_shape[-1] * self.pack,)

    # ----------------------------------------------------------------- config
    def get_config(self):
        return {
            **super().get_config(),
            "d_steps": self.d_steps,
            "loss": self.loss_name,
            "updates": self.updates,
            **{key: value for key, value in self.remedy_settings.items() if key in self.remedies},
        }

    # ----------------------------------------------------------------- compile
    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Attach one optimizer per network (Adam(2e-4, beta_1=0.5) each by default)."""
        super().compile(g_optimizer=g_optimizer, **kwargs)
        self.d_optimizer = d_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)
        self.d_optimizer.build(self.discriminator.trainable_variables)  # as g_optimizer's
        if self.unrolled_steps:
            unrolling.check_optimizer(self.d_optimizer)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

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

    def discriminator_pass(self, weights=None, share_scores=False):
        """D as the losses read it (zoo.core.discriminator_pass): its own variables, or
        `weights` in their place; with `share_scores`, each batch scored once."""
        return DiscriminatorPass(self.discriminator, weights, share_scores)

    def critic(self, d, packed, training=True):
        """The score the losses and penalties read, one per packed example: D's logit here;
        a variant whose D returns more (EBGAN's energy) overrides this. `d` is the
        DiscriminatorPass the step reads D through."""
        return d(packed, training=training)

    def discriminate(self, d, x, training=True):
        """The critic's score of a batch of examples, after packing (once per batch where
        `d` shares scores)."""
        return d.score_once(x, lambda: self.critic(d, self.pack_examples(x), training=training))

    def discriminator_loss(self, d, real, fake):
        """Per-example discriminator loss on a real and a generated minibatch of equal size,
        D read through the DiscriminatorPass `d`."""
        return self.adversarial_loss.discriminator(
            self.discriminate(d, real), self.discriminate(d, fake),
            real_target=1.0 - self.label_smoothing)

    def generator_loss(self, d, fake):
        """Per-example generator loss on generated examples (gradients flow into G), D read
        through the DiscriminatorPass `d`. A model
        whose generator-side networks minimise different objectives (VAE-GAN's encoder and
        decoder) sets `generator_loss_by_network` and returns {network name: per-example loss}."""
        return self.adversarial_loss.generator(self.discriminate(d, fake))

    # ----------------------------------------------------------------- training
    # A batch is what D judges: the examples alone here (ZooModel.real_batch); a
    # conditional model's batch is the structure (examples, condition), and real_batch and
    # these three methods are all it overrides.
    def fake_batch(self, real, training=True):
        """A generated batch of the same structure and size as `real`."""
        raise NotImplementedError

    @staticmethod
    def examples(batch):
        """The examples of a batch (what the penalties differentiate D with respect to)."""
        return batch

    def critic_for(self, d, batch):
        """The critic as a function of packed examples alone, anything else of `batch` (a
        condition) held fixed: what the input-gradient penalties differentiate."""
        del batch
        return lambda packed: self.critic(d, packed)

    def penalties(self, d, real, fake):
        """D's regularisers, per packed example (0 when none is on)."""
        return self.penalty_terms(self.critic_for(d, real), self.pack_examples(self.examples(real)),
                                  lambda: self.pack_examples(self.examples(fake)))

    def penalty_terms(self, critic, real_examples, fake_examples):
        """The input-gradient penalties of one critic (a function of examples), per example:
        at `real_examples`, and between them and `fake_examples()` (called only if needed)."""
        total = 0.0
        if self.gradient_penalty:
            weights = self.noise.uniform(tf.shape(real_examples)[:1])
            total += self.gradient_penalty * losses.gradient_penalty(
                critic, real_examples, fake_examples(), interpolation=weights)
        if self.r1_gamma:
            total += 0.5 * self.r1_gamma * losses.r1_penalty(critic, real_examples)
        return total

    def _discriminator_objective(self, d, real, fake):
        """(D's per-example loss, its batch mean scaled for the optimizer)."""
        per_example = self.discriminator_loss(d, real, fake) + self.penalties(d, real, fake)
        # Under float16 the optimizer is a LossScaleOptimizer: scale here, it unscales.
        return per_example, self.d_optimizer.scale_loss(tf.nn.compute_average_loss(per_example))

    def _apply_discriminator(self, grads, per_example):
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_variables))
        self.d_loss_tracker.update_state(tf.reduce_mean(per_example))

    def _discriminator_update(self, real, fake):
        with tf.GradientTape() as tape:
            per_example, scaled = self._discriminator_objective(
                self.discriminator_pass(), real, fake)
        self._apply_discriminator(
            tape.gradient(scaled, self.discriminator.trainable_variables), per_example)

    def _generator_objective(self, objective):
        """{network name or None: per-example loss} and the same, averaged and scaled."""
        # {network name: its loss}; one objective (None) trains every generator-side network.
        by_network = objective if self.generator_loss_by_network else {None: objective}
        return by_network, {name: self.g_optimizer.scale_loss(tf.nn.compute_average_loss(loss))
                            for name, loss in by_network.items()}

    def _generator_gradients(self, tape, scaled):
        """(variables, gradients) of the generator-side networks."""
        networks = self.generator_networks()
        variables, grads = [], []
        for name, loss in scaled.items():
            own = self.generator_variables if name is None else networks[name].trainable_variables
            variables += own
            grads += tape.gradient(loss, own)
        return variables, grads

    def _apply_generator(self, variables, grads, by_network):
        self.apply_generator_gradients(zip(grads, variables))
        self.g_loss_tracker.update_state(
            tf.add_n([tf.reduce_mean(loss) for loss in by_network.values()]))

    def _simultaneous_updates(self, real):
        """Both losses from D as it stands, D's pass over the fakes shared between them; both
        gradients are taken before either network changes."""
        with tf.GradientTape(persistent=self.generator_loss_by_network) as g_tape, \
                tf.GradientTape() as d_tape:
            fake = self.fake_batch(real)
            d = self.discriminator_pass(share_scores=True)
            d_per_example, d_scaled = self._discriminator_objective(d, real, fake)
            by_network, g_scaled = self._generator_objective(self.generator_loss(d, fake))
        d_grads = d_tape.gradient(d_scaled, self.discriminator.trainable_variables)
        variables, g_grads = self._generator_gradients(g_tape, g_scaled)
        self._apply_discriminator(d_grads, d_per_example)
        self._apply_generator(variables, g_grads, by_network)

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
        if self.updates == "simultaneous":
            self._simultaneous_updates(minibatches[-1])
            return self.step_logs()

        # The last discriminator minibatch and the generator update share one generator
        # forward pass: it is recorded on the generator's tape, the discriminator trains on
        # it (without gradients into G), then the tape resumes for G's loss under the
        # updated discriminator. Alternating updates at the cost of one forward pass.
        last = minibatches[-1]
        with tf.GradientTape(persistent=self.generator_loss_by_network) as g_tape:
            fake = self.fake_batch(last)
        self._discriminator_update(last, tf.nest.map_structure(tf.stop_gradient, fake))
        with g_tape:
            d = self.discriminator_pass()
            if self.unrolled_steps:
                # Metz et al. 2017: G answers D as it will be after k more steps on this batch,
                # differentiating through those steps (the nested tape records them).
                d = self.discriminator_pass(
                    unrolling.unrolled_weights(self, last, fake, self.unrolled_steps))
            by_network, scaled = self._generator_objective(self.generator_loss(d, fake))
        self._apply_generator(*self._generator_gradients(g_tape, scaled), by_network)
        return self.step_logs()



class BaseGAN(AdversarialModel, GenerativeModel):
    """A GAN whose generator draws from a latent prior: GenerativeModel's latent_dim,
    latent_distribution, `generate` and serving, AdversarialModel's step and remedies."""

    def fake_batch(self, real, training=True):
        """A generated batch of the same structure and size as `real`, drawn from fresh noise."""
        return self.generator(self.sample_latent(batch_size_of(real)), training=training)
