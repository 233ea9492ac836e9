"""Generator EMA: an exponential moving average of the generator's weights (Yazıcı et al.
2019, "The Unusual Effectiveness of Averaging in GAN Training"; ProGAN, BigGAN and StudioGAN
sample from such an average).

The raw generator trains; after each of its updates the average moves towards it. Sampling,
evaluation, saved models and exports read the average instead: a model swaps the averaged
values into its generator's variables for the length of an inference call and back again
(`GeneratorAverage.exchanged`), so every network call, export and weights file that reads
those variables reads the average, with no second copy of the networks to keep in step.

Only the trainable weights are averaged; the networks' own statistics (batch norm's moving
mean and variance) are the raw generator's, as StudioGAN's EMA copies its buffers.
"""

import contextlib

import tensorflow as tf
import keras

from zoo.errors import ZooError

# The warm-up: the decay of update n (from 0) is min(decay, (1 + n) / (10 + n)), the rule of
# tf.train.ExponentialMovingAverage with num_updates, so that the random start is forgotten
# within the first updates instead of weighing on the average for 1 / (1 - decay) of them.
WARMUP_OFFSET = 10.0


def check_ema_decay(value, name="ema_decay"):
    """`value` as a float in [0, 1) (0: no average), or one ZooError line."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
        raise ZooError(f"{name} must be a number in [0, 1) (e.g. 0.999; 0 turns the average "
                       f"off), got {value!r}")
    return float(value)


def warmed_up_decay(decay, updates, dtype=tf.float32):
    """The decay of update number `updates` (counted from 0) under the warm-up."""
    updates = tf.cast(updates, dtype)
    return tf.minimum(tf.constant(decay, dtype), (1.0 + updates) / (WARMUP_OFFSET + updates))


class GeneratorAverage(keras.layers.Layer):
    """One averaged copy of each variable in `sources` (the generator-side networks'
    trainable weights; sgan also averages its classifier's with one), starting from their
    values, and the count of updates made.

    The sources are handed to each call, not kept: the model owns them, and a reference here
    would have keras save them twice.
    """

    def __init__(self, sources, decay, name="generator_average"):
        super().__init__(name=name, trainable=False)
        self.decay = check_ema_decay(decay)
        # Under a distribution strategy every replica computes the same update from the same
        # (synchronised) generator weights; "mean" keeps the copies identical bit for bit.
        self.averages = [self.add_weight(shape=v.shape, dtype=v.dtype, initializer="zeros",
                                         trainable=False, autocast=False, aggregation="mean",
                                         name=v.name.replace("/", "_"))
                         for v in sources]
        self.updates = self.add_weight(shape=(), dtype="int64", initializer="zeros",
                                       trainable=False, autocast=False,
                                       aggregation="only_first_replica", name="updates")
        self.restart(sources)
        self.built = True

    def restart(self, sources):
        """The average becomes the sources' current values, and its warm-up starts again."""
        self._check(sources)
        for average, source in zip(self.averages, sources):
            average.assign(source)
        self.updates.assign(0)

    def update(self, sources):
        """Move each average towards its source: a <- d a + (1 - d) s, d warmed up."""
        self._check(sources)
        # One weight for the step (every average has the generator's variable dtype).
        weight = 1.0 - warmed_up_decay(self.decay, self.updates, self.averages[0].dtype)
        for average, source in zip(self.averages, sources):
            average.assign_sub(tf.cast(weight, average.dtype)
                               * (average - tf.cast(source, average.dtype)))
        self.updates.assign_add(1)

    @contextlib.contextmanager
    def exchanged(self, sources):
        """Within the block the sources hold the averages and the averages the sources' values;
        on leaving, they are exchanged back (whatever the block wrote into the sources is then
        the average: loading averaged weights goes through here)."""
        self._exchange(sources)
        try:
            yield
        finally:
            self._exchange(sources)

    def _exchange(self, sources):
        self._check(sources)
        held = [tf.identity(source.value) for source in sources]
        for average, source in zip(self.averages, sources):
            source.assign(average.value)
        for average, value in zip(self.averages, held):
            average.assign(value)

    def _check(self, sources):
        shapes = [tuple(v.shape) for v in sources]
        if shapes != [tuple(a.shape) for a in self.averages]:
            raise ZooError("the generator's weights no longer match their average (a network "
                           "was rebuilt after the model was made); make the model again")
