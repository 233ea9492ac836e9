"""RBM: a Bernoulli-Bernoulli restricted Boltzmann machine (Smolensky 1986; Hinton 2002),
trained by contrastive divergence — the energy-based baseline beside the GANs.

Binary visible units v (the pixels, binarised: grey level above the middle) and hidden units h,
energy E(v, h) = -b'v - c'h - v'Wh, so p(h_j = 1 | v) = sigmoid(c_j + v'W_j) and
p(v_i = 1 | h) = sigmoid(b_i + W_i h). The free energy F(v) = -b'v - sum_j softplus(c_j + v'W_j)
gives p(v) proportional to exp(-F(v)).

The log-likelihood's gradient is a difference of two expectations, E_data[v h'] - E_model[v h'],
and the model's has no closed form, so this step is not a tape over a loss: it writes the
contrastive-divergence statistics out and hands their difference to the optimizer as the
gradient. The positive phase takes p(h | v) on the data; the negative phase runs `cd_steps` (k)
block-Gibbs steps, from the data (CD-k, Hinton 2002) or, with `persistent=True`, from chains
kept across steps (PCD, Tieleman 2008), and takes the statistics of where the chains end (the
probabilities, not the samples, of the last step's units: less noise, as Hinton's practical
guide advises).

Logged: the mean free energy of the data batch (it falls as the model puts mass on the data)
and the reconstruction error (squared, per pixel, of p(v | h) after one Gibbs step from the data).
`generate(n, seed, gibbs_steps=...)` runs n chains from uniform random binary images and returns
p(v | h) of their last step in [-1, 1].
"""

import keras
import numpy as np
import tensorflow as tf

from zoo import memory
from zoo.core import GenerativeModel
from zoo.core.generative import sampling_seed
from zoo.core.model import first_examples, with_averaged_generator
from zoo.checks import check_positive_int, check_switch, check_weight
from zoo.errors import ZooError
from zoo.registry import Preset, register_model, register_preset


# Up to this many hidden units the partition function is summed exactly (2^20 terms).
MAX_EXACT_HIDDEN_UNITS = 20
# Training images whose pixel on-rates set the visible biases before training.
BASE_RATE_EXAMPLES = 10_000


class BernoulliRBMWeights(keras.layers.Layer):
    """W, the visible biases b and the hidden biases c; called on visible units, it gives
    p(h | v) (what the exported model tracks)."""

    def __init__(self, visible_units, hidden_units, **kwargs):
        super().__init__(**kwargs)
        self.visible_units, self.hidden_units = visible_units, hidden_units
        self.kernel = self.add_weight(
            name="kernel", shape=(visible_units, hidden_units),
            initializer=keras.initializers.RandomNormal(stddev=0.01))  # the practical guide's
        self.visible_bias = self.add_weight(name="visible_bias", shape=(visible_units,),
                                            initializer="zeros")
        self.hidden_bias = self.add_weight(name="hidden_bias", shape=(hidden_units,),
                                           initializer="zeros")

    def hidden_probabilities(self, visible, beta=1.0):
        """p(h = 1 | v), at inverse temperature `beta` (1: the model itself)."""
        return tf.sigmoid(beta * (tf.matmul(visible, self.kernel) + self.hidden_bias))

    def visible_probabilities(self, hidden, beta=1.0, base_logits=0.0):
        """p(v = 1 | h), at inverse temperature `beta` on the path from independent pixels of
        logits `base_logits` (beta 0) to the model (beta 1): Salakhutdinov & Murray 2008's
        annealing path for an RBM."""
        logits = tf.matmul(hidden, self.kernel, transpose_b=True) + self.visible_bias
        return tf.sigmoid(beta * logits + (1.0 - beta) * base_logits)

    def free_energy(self, visible):
        """F(v) per example: -b'v - sum_j softplus(c_j + v'W_j)."""
        return (-tf.linalg.matvec(visible, self.visible_bias)
                - tf.reduce_sum(tf.nn.softplus(tf.matmul(visible, self.kernel) + self.hidden_bias),
                                axis=1))

    def log_partition(self):
        """log Z, exactly, by summing over every hidden configuration h (2^hidden_units):
        log Z = logsumexp_h [c'h + sum_i softplus(b_i + W_i h)]."""
        if self.hidden_units > MAX_EXACT_HIDDEN_UNITS:
            raise ZooError(f"the exact partition function sums 2^{self.hidden_units} terms; it is "
                           f"offered up to {MAX_EXACT_HIDDEN_UNITS} hidden units")
        codes = np.arange(2 ** self.hidden_units)[:, None] >> np.arange(self.hidden_units) & 1
        hidden = tf.constant(codes, tf.float32)
        terms = (tf.linalg.matvec(hidden, self.hidden_bias)
                 + tf.reduce_sum(tf.nn.softplus(tf.matmul(hidden, self.kernel, transpose_b=True)
                                                + self.visible_bias), axis=1))
        return tf.reduce_logsumexp(terms)

    def call(self, visible):
        return self.hidden_probabilities(visible)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.hidden_units,)


def _batch_seed(seed, batch):
    """The seed of generate's `batch`-th batch of chains: `seed` for the first, then a step
    of the golden-ratio Weyl sequence each (distinct seeds for any realistic count)."""
    return seed if batch == 0 else (seed + batch * 0x9E3779B97F4A7C15) % 2**63


def bernoulli_sample(probabilities, uniform):
    """Binary units that are on with the given probabilities, from uniform draws."""
    return tf.cast(tf.cast(uniform, probabilities.dtype) < probabilities, probabilities.dtype)


@register_model("rbm")
class RBM(GenerativeModel):
    """Args (beyond GenerativeModel's noise_seed):
      image_shape: shape of the images; their pixels are the visible units.
      hidden_units: number of binary hidden units (the model's latent_dim).
      cd_steps: Gibbs steps k of the negative phase.
      persistent: keep the negative chains across steps (PCD) instead of starting them at the data.
      chains: how many persistent chains PCD keeps (None: as many as the first batch has
        examples, started at its reconstructions); a number of its own starts them from the
        pixels' base rates. More chains than examples measure the model's side of the gradient
        with less noise (Tieleman 2008 kept 100; the guide, one per example).
      weight_decay: L2 penalty on W, that fraction of the weights added to their gradient
        (Hinton's guide, section 10, takes 1e-5 to 1e-2): smaller weights, fewer deep
        spurious modes, better mixing.
      gibbs_steps: Gibbs steps of `generate` (and of the export) from random images.
    """

    def __init__(self, image_shape=(28, 28, 1), hidden_units=500, cd_steps=1, persistent=False,
                 chains=None, weight_decay=0.0, gibbs_steps=1000, latent_dim=None,
                 latent_distribution="normal", **kwargs):
        if latent_dim not in (None, hidden_units):
            raise ZooError("an RBM's latent size is its hidden_units: drop latent_dim")
        self.image_shape = tuple(image_shape)
        self.cd_steps = check_positive_int("cd_steps", cd_steps)
        self.gibbs_steps = check_positive_int("gibbs_steps", gibbs_steps)
        self.persistent = check_switch("persistent", persistent)
        self.chains = None if chains is None else check_positive_int("chains", chains)
        if self.chains is not None and not self.persistent:
            raise ZooError("chains is the number of persistent chains: set persistent=True with it")
        self.weight_decay = check_weight("weight_decay", weight_decay)
        self.visible_units = int(np.prod(self.image_shape))
        super().__init__(latent_dim=check_positive_int("hidden_units", hidden_units),
                         latent_distribution=latent_distribution, **kwargs)
        self.rbm = self.generator.get_layer("rbm")
        # PCD's negative chains: as many as the first batch has examples (empty until then;
        # their number is not known before). Each replica keeps its own (on-read
        # synchronisation, no aggregation). Set past keras' tracking, which would save them
        # with the weights: a resumed run starts them again from its first batch.
        object.__setattr__(self, "_chains", tf.Variable(
            tf.zeros([0, self.visible_units], keras.config.floatx()),
            shape=tf.TensorShape([None, self.visible_units]),
            trainable=False, synchronization=tf.VariableSynchronization.ON_READ,
            aggregation=tf.VariableAggregation.NONE, name="chains"))
        self.free_energy_tracker = keras.metrics.Mean(name="free_energy")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction_error")
        self.built = True

    @property
    def hidden_units(self):
        return self.latent_dim

    def build_generator(self):
        """The RBM's weights as a keras Model (visible units in, p(h | v) out): the network
        that is saved, shipped and exported. Sampling is `gibbs_chain`, not a forward pass."""
        visible = keras.Input((self.visible_units,), name="visible")
        weights = BernoulliRBMWeights(self.visible_units, self.latent_dim, name="rbm")
        return keras.Model(visible, weights(visible), name="generator")

    @property
    def sample_shape(self):
        return self.image_shape

    def get_config(self):
        config = super().get_config()
        for unused in ("latent_dim", "latent_distribution"):  # hidden_units; no prior to draw
            del config[unused]
        return {**config, "image_shape": self.image_shape, "hidden_units": self.hidden_units,
                "cd_steps": self.cd_steps, "persistent": self.persistent,
                "chains": self.chains, "weight_decay": self.weight_decay,
                "gibbs_steps": self.gibbs_steps}

    @property
    def metrics(self):
        return [self.free_energy_tracker, self.reconstruction_tracker]

    # ----------------------------------------------------------------- training
    def negative_log_likelihood(self, images):
        """-log p(v) per image, F(v) + log Z with Z summed exactly: small RBMs only (up to
        MAX_EXACT_HIDDEN_UNITS hidden units). The free energy alone is known up to log Z, which
        training moves too, so it can rise while the likelihood of the data rises as well."""
        return self.rbm.free_energy(self.binarise(images)) + self.rbm.log_partition()

    def binarise(self, images):
        """[-1, 1] images -> binary visible units: on where the grey level is above the middle."""
        flat = tf.reshape(images, [-1, self.visible_units])
        return tf.cast(flat > 0.0, keras.config.floatx())

    def gibbs_step(self, visible, draw, beta=1.0, base_logits=0.0):
        """One block-Gibbs step v -> h -> v'; `draw(shape)` gives uniforms (called for h, then
        for v'). `beta` and `base_logits` move the step along the annealing path of the
        layer's conditionals (beta 1: the model itself). Returns (v' sampled, p(v' | h),
        p(h | v))."""
        hidden_probabilities = self.rbm.hidden_probabilities(visible, beta)
        hidden = bernoulli_sample(hidden_probabilities, draw(tf.shape(hidden_probabilities)))
        visible_probabilities = self.rbm.visible_probabilities(hidden, beta, base_logits)
        visible = bernoulli_sample(visible_probabilities, draw(tf.shape(visible_probabilities)))
        return visible, visible_probabilities, hidden_probabilities

    def initialize_from_data(self, batches):
        """The visible biases start at the log-odds of each pixel's on-rate in the first
        training batches (Hinton's guide, section 8), clipped to [0.01, 0.99]: the model starts
        as the pixels' independent base rates, from which `chains` start too."""
        images = first_examples(batches, BASE_RATE_EXAMPLES,
                                lambda batch: self.binarise(self.real_batch(batch)))
        rates = tf.clip_by_value(tf.reduce_mean(images, 0), 0.01, 0.99)
        self.rbm.visible_bias.assign(tf.math.log(rates / (1.0 - rates)))

    def _chain_start(self, visible):
        """Where PCD's negative phase starts: the persistent chains, which the first step fills
        with `visible` (its batch's first Gibbs step), or with `chains` draws from the pixels'
        independent base rates (sigmoid of the visible biases)."""
        chains = self._chains.read_value()

        def fresh():
            if self.chains is None:
                return visible
            shape = [self.chains, self.visible_units]
            return bernoulli_sample(tf.broadcast_to(tf.sigmoid(self.rbm.visible_bias), shape),
                                    self.noise.uniform(shape))

        return tf.cond(tf.shape(chains)[0] > 0, lambda: chains, fresh)

    def train_step(self, data):
        visible = self.binarise(self.real_batch(data))
        rbm, draw = self.rbm, self.noise.uniform
        # One Gibbs step from the data gives the positive phase's p(h | v), the reconstruction
        # that is logged, and CD's first negative step.
        chain, reconstruction, positive_hidden = self.gibbs_step(visible, draw)
        negative_visible, steps_left = reconstruction, self.cd_steps - 1
        if self.persistent:
            chain, steps_left = self._chain_start(chain), self.cd_steps
        for _ in range(steps_left):
            chain, negative_visible, _ = self.gibbs_step(chain, draw)
        if self.persistent:
            self._chains.assign(chain)
        negative_hidden = rbm.hidden_probabilities(negative_visible)

        # E_data - E_model of each parameter's statistic: the log-likelihood's ascent direction,
        # as means over the global batch (each replica adds its share, as
        # tf.nn.compute_average_loss has a loss do).
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        rows = tf.cast(tf.shape(visible)[0] * replicas, visible.dtype)
        negative_rows = tf.cast(tf.shape(negative_visible)[0] * replicas, visible.dtype)

        def phase_difference(positive, negative):
            return positive / rows - negative / negative_rows

        ascent = [
            phase_difference(tf.matmul(visible, positive_hidden, transpose_a=True),
                             tf.matmul(negative_visible, negative_hidden, transpose_a=True))
            - self.weight_decay / replicas * rbm.kernel,  # each replica adds its share
            phase_difference(tf.reduce_sum(visible, 0), tf.reduce_sum(negative_visible, 0)),
            phase_difference(tf.reduce_sum(positive_hidden, 0), tf.reduce_sum(negative_hidden, 0)),
        ]
        # The optimizer descends: the gradient it is handed is the ascent direction's negative.
        self.apply_generator_gradients(
            [(-direction, variable) for direction, variable
             in zip(ascent, [rbm.kernel, rbm.visible_bias, rbm.hidden_bias])])

        self.free_energy_tracker.update_state(tf.reduce_mean(rbm.free_energy(visible)))
        self.reconstruction_tracker.update_state(tf.reduce_mean(tf.square(visible - reconstruction)))
        return self.step_logs()

    # ----------------------------------------------------------------- sampling
    def gibbs_chain(self, n, seed, steps):
        """p(v | h) after `steps` block-Gibbs steps of n chains started from uniform random
        binary images; the same seed gives the same images (stateless draws)."""
        seed = tf.cast(seed, tf.int64)

        def draws(stream):
            """Uniforms of one seeded stream (a Gibbs step's two draws: 2 * step, + 1)."""
            calls = iter(range(2))
            return lambda shape: tf.random.stateless_uniform(
                shape, tf.stack([seed, 2 * stream + next(calls)]))

        start = draws(tf.constant(-1, tf.int64))([n, self.visible_units])
        visible = tf.cast(start < 0.5, keras.config.floatx())
        probabilities = tf.zeros_like(visible)

        def body(step, visible, probabilities):
            visible, probabilities, _ = self.gibbs_step(visible, draws(tf.cast(step, tf.int64)))
            return step + 1, visible, probabilities

        _, _, probabilities = tf.while_loop(lambda step, *_: step < steps, body,
                                            (tf.constant(0), visible, probabilities))
        return tf.reshape(probabilities * 2.0 - 1.0, (-1,) + self.image_shape)

    @with_averaged_generator
    def generate(self, n, seed=None, batch_size=2048, gibbs_steps=None, **conditions):
        """`n` images in [-1, 1]: p(v | h) at the end of `gibbs_steps` (default: the model's)
        Gibbs steps of chains from random images, `batch_size` chains at a time. The same
        seed gives the same images; past the first `batch_size`, each batch of chains draws
        from a seed of its own, so a different batch_size gives other (equally distributed)
        images there."""
        check_positive_int("n", n)
        batch_size = check_positive_int("batch_size", batch_size)
        steps = check_positive_int("gibbs_steps", self.gibbs_steps if gibbs_steps is None
                                   else gibbs_steps)
        self.generator_inputs(None, **conditions)  # refuses any condition: it has none
        # Held at once: the output, and a batch's chains in their three states.
        memory.check_fits(f"generate({n})", (n + 3 * min(n, batch_size)) * self.visible_units
                          * memory.FLOAT32_BYTES, "generate fewer samples per call")
        seed = sampling_seed(seed)
        if self._sample_fn is None:
            self._sample_fn = tf.function(self.gibbs_chain, reduce_retracing=True)
        images = np.empty((n,) + self.image_shape, np.float32)
        for batch, start in enumerate(range(0, n, batch_size)):
            rows = min(batch_size, n - start)
            images[start:start + rows] = self._sample_fn(
                tf.constant(rows), tf.constant(_batch_seed(seed, batch), tf.int64),
                tf.constant(steps)).numpy()
        return images

    def call(self, visible, training=False):
        return self.generator(visible, training=training)

    def serving_endpoints(self, serve):
        """One signature, `seeds` (also the default): one image per seed, row i equal to
        generate(1, seed=seeds[i]), after the model's gibbs_steps."""
        del serve  # no forward pass makes an RBM's samples

        def by_seeds(seeds):
            images = tf.map_fn(lambda s: self.gibbs_chain(1, s, self.gibbs_steps)[0],
                               tf.cast(seeds, tf.int64), fn_output_signature=tf.float32)
            return {self.served_output_name: images}

        signature = [tf.TensorSpec([None], tf.int64, name="seeds")]
        return {"serving_default": (by_seeds, signature), "seeds": (by_seeds, signature)}


register_preset(Preset(
    name="rbm_mnist", model="rbm", dataset="mnist",
    # PCD with 1,000 chains (ten times the batch) and weight decay, SGD with momentum decayed
    # linearly to 0: the model's side of the gradient is measured with less noise, and the
    # small weights and the final low rates keep the chains' basins balanced. The earlier
    # recipe (Adam 1e-4, 100 chains, no decay) left ones and sixes out of its samples (0.1%
    # and 0.4%; benchmarks/results/rbm_mixing_mnist.md). A sample takes 3,000 Gibbs steps
    # from a random image: the chains first fall into a few digits' basins and need that long
    # to spread over all ten (ones 2.1% of the samples after 1,000 steps, 6.1% after 3,000;
    # eights fall under 5% after 5,000 as the chains move on).
    model_kwargs=dict(image_shape=(28, 28, 1), hidden_units=500, cd_steps=1, persistent=True,
                      chains=1000, weight_decay=2e-4, gibbs_steps=3000),
    train=dict(batch_size=100, epochs=30, g_lr=0.02, optimizer="sgd", lr_decay="linear"),
    # Shipped: the weights stored as float16.
    weights="rbm_mnist",
    sha256="f17b176c2134df8408d0da69a60d30382a81c07a17f4f68c967d1d2c7f4ec880",
    metadata=dict(paper="Hinton 2002 (CD); Tieleman 2008 (PCD); Hinton 2010, "
                        "A Practical Guide to Training RBMs",
                  trained_with="python train.py --preset=rbm_mnist --seed=0 --eval_samples=0",
                  hardware="2 CPU cores (no GPU), one thread, beside two other single-thread "
                           "jobs: 30 epochs in 29 minutes",
                  limits="Every digit is at least 6% of the samples (ones 6.1%, sevens 6.2%) "
                         "and threes the most (17.0%); 3,000 Gibbs steps a sample (1,000 left "
                         "ones at 2.1%: benchmarks/results/rbm_mixing_mnist.md).",
                  scores=dict(classifier_fid=36.703, kid=5.585, precision=0.828, recall=0.580,
                              classes_present=10, class_entropy=2.239, confident_share=0.914))))
