"""Building blocks shared by the variants' networks."""

import keras
from keras import layers, ops

from zoo import replicas


def dcgan_init():
    """DCGAN (Radford et al. 2016): "all weights were initialized from a zero-centered Normal
    distribution with standard deviation 0.02".

    A new initializer per layer, made when the layer is: one shared instance would carry one
    seed, drawn when zoo.layers is imported, so every layer of a shape would start from the
    same values and `keras.utils.set_random_seed` would not reach them.
    """
    return keras.initializers.RandomNormal(stddev=0.02)


@keras.saving.register_keras_serializable(package="zoo")
class Maxout(layers.Layer):
    """Maxout units (Goodfellow et al. 2013): the max over `pieces` linear pieces per unit.

    The original GAN's MNIST discriminator is built from these.
    """

    def __init__(self, units, pieces, spectral_norm=False, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.pieces = pieces
        self.spectral_norm = spectral_norm
        self.linear = normalized(layers.Dense(units * pieces), spectral_norm)

    def build(self, input_shape):
        self.linear.build(input_shape)

    def call(self, x):
        y = self.linear(x)
        y = ops.reshape(y, (-1, self.units, self.pieces))
        return ops.max(y, axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "pieces": self.pieces,
                "spectral_norm": self.spectral_norm}


@keras.saving.register_keras_serializable(package="zoo")
class MinibatchStdDev(layers.Layer):
    """Appends the minibatch's mean standard deviation as one more feature (Karras et al. 2018).

    Lets the discriminator see the spread of a batch, so a generator that collapses to few
    modes, or shrinks its variance, is told apart from the data. The batch is the global one
    under a distribution strategy.
    """

    def call(self, x):
        mean = replicas.global_mean(x)
        std = ops.sqrt(replicas.global_mean(ops.square(x - mean)) + 1e-8)
        mean_std = ops.mean(std)
        feature = ops.ones_like(x[..., :1]) * mean_std
        return ops.concatenate([x, feature], axis=-1)

    def compute_output_shape(self, input_shape):
        return input_shape[:-1] + (input_shape[-1] + 1,)


@keras.saving.register_keras_serializable(package="zoo")
class WeightNormDense(layers.Layer):
    """A dense layer with weight normalization (Salimans & Kingma 2016): each unit's weights
    are a direction v / ||v|| times a length g, which train as separate variables.

    As in Improved-GAN's MNIST classifier (Salimans et al. 2016), g is set from data once,
    before training (`initialize`), and trains afterwards only when `train_scale` is on; the
    direction and the bias always train.
    """

    def __init__(self, units, activation=None, train_scale=False, **kwargs):
        super().__init__(**kwargs)
        self.units, self.train_scale = int(units), bool(train_scale)
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        self.direction = self.add_weight(
            shape=(input_shape[-1], self.units), name="direction",
            initializer=keras.initializers.RandomNormal(stddev=0.1))
        self.scale = self.add_weight(shape=(self.units,), initializer="ones", name="scale",
                                     trainable=self.train_scale)
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def _unbiased(self, x):
        lengths = ops.sqrt(ops.sum(ops.square(self.direction), axis=0) + 1e-12)
        return ops.matmul(x, self.direction) * (self.scale / lengths)

    def call(self, x):
        return self.activation(self._unbiased(x) + self.bias)

    def initialize(self, x):
        """Data-dependent initialization: set g and the bias so that each unit's
        pre-activation has mean 0 and standard deviation 1 over the batch `x`, and return the
        layer's output on `x` with them."""
        unbiased = self._unbiased(x)
        mean, std = ops.mean(unbiased, axis=0), ops.std(unbiased, axis=0) + 1e-8
        self.scale.assign(self.scale / std)
        self.bias.assign(-mean / std)
        return self(x)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "train_scale": self.train_scale,
                "activation": keras.activations.serialize(self.activation)}


def initialize_chain(network, examples):
    """Data-dependent initialization of a network whose layers form one chain (each takes the
    previous one's output): runs `examples` through the layers in order, each noise layer in
    its training mode, and initializes every WeightNormDense layer on what reaches it."""
    x = examples
    for layer in network.layers:
        if isinstance(layer, layers.InputLayer):
            continue
        x = layer.initialize(x) if isinstance(layer, WeightNormDense) else layer(x, training=True)
    return x


def batch_norm():
    """Batch norm with global batch statistics under a distribution strategy.

    `synchronized=True` makes replicas normalise by the statistics of the whole global
    batch, so N replicas train as one device would (and is plain batch norm on one device).
    momentum 0.9 / epsilon 1e-5 are the DCGAN reference settings (PyTorch's 0.1 / 1e-5).
    """
    return layers.BatchNormalization(momentum=0.9, epsilon=1e-5, synchronized=True)


def normalized(layer, spectral_norm):
    """`layer`, wrapped in spectral normalization (Miyato et al. 2018) when asked: its kernel is
    divided by its largest singular value (one power iteration per training call), which
    bounds the layer's Lipschitz constant by 1."""
    return layers.SpectralNormalization(layer) if spectral_norm else layer


@keras.saving.register_keras_serializable(package="zoo")
class ClipWeights(keras.constraints.Constraint):
    """WGAN's weight clipping (Arjovsky et al. 2017) as a keras constraint: the optimizer
    clips each variable into [-c, c] right after its update."""

    def __init__(self, clip_value):
        self.clip_value = float(clip_value)

    def __call__(self, w):
        return ops.clip(w, -self.clip_value, self.clip_value)

    def get_config(self):
        return {"clip_value": self.clip_value}


def up_block(filters):
    """x2 upsampling: transposed conv 4x4 stride 2, batch norm, ReLU (DCGAN generator)."""
    return [layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False,
                                   kernel_initializer=dcgan_init()),
            batch_norm(), layers.ReLU()]


def down_block(filters, normalize=True, spectral_norm=False):
    """/2 downsampling: conv 4x4 stride 2, batch norm, LeakyReLU 0.2 (DCGAN discriminator)."""
    block = [normalized(layers.Conv2D(filters, 4, strides=2, padding="same",
                                      use_bias=not normalize, kernel_initializer=dcgan_init()),
                        spectral_norm)]
    if normalize:
        block.append(batch_norm())
    return block + [layers.LeakyReLU(0.2)]


@keras.saving.register_keras_serializable(package="zoo")
class ReflectionPadding2D(layers.Layer):
    """Pads height and width by mirroring the border (CycleGAN's generators pad so, which keeps
    the edges of a translated image free of the dark frame zero padding leaves)."""

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = int(padding)

    def call(self, x):
        p = self.padding
        return ops.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="reflect")

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        grow = lambda side: None if side is None else side + 2 * self.padding  # noqa: E731
        return (n, grow(h), grow(w), c)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


def instance_norm():
    """Instance normalization (Ulyanov et al. 2016): each example's channels normalised over
    their own height and width; keras' GroupNormalization with one group per channel."""
    return layers.GroupNormalization(groups=-1, epsilon=1e-5)


def residual_block(x, filters):
    """Johnson et al. 2016's residual block, as CycleGAN's and UNIT's networks use it: two 3x3
    convs with reflection padding and instance norm, a ReLU between them, added to the input
    (which must have `filters` channels). New layers on each call: to share a block between
    two networks, call it once inside a keras.Model and call that model in both."""
    h = ReflectionPadding2D(1)(x)
    h = layers.Conv2D(filters, 3, kernel_initializer=dcgan_init())(h)
    h = layers.ReLU()(instance_norm()(h))
    h = ReflectionPadding2D(1)(h)
    h = instance_norm()(layers.Conv2D(filters, 3, kernel_initializer=dcgan_init())(h))
    return layers.Add()([x, h])


@keras.saving.register_keras_serializable(package="zoo")
class ClusterDraw(layers.Layer):
    """The cluster of each noise vector, drawn in the training data's cluster shares by
    inverse transform sampling: the prior's CDF of z's first coordinate (uniform on (0, 1)
    when z follows the prior) read against the clusters' cumulative shares.

    The cumulative shares are a non-trainable weight, set from the data before training
    (`set_shares`) and saved with the generator; equal shares until then."""

    def __init__(self, num_clusters, latent_distribution="normal", **kwargs):
        super().__init__(**kwargs)
        self.num_clusters = int(num_clusters)
        self.latent_distribution = latent_distribution

    def build(self, input_shape):
        equal = [(j + 1) / self.num_clusters for j in range(self.num_clusters)]
        self.cumulative_shares = self.add_weight(
            shape=(self.num_clusters,), initializer=keras.initializers.Constant(equal),
            trainable=False, name="cumulative_shares")

    def set_shares(self, shares):
        cumulative = ops.cumsum(ops.convert_to_tensor(shares, "float32"))
        self.cumulative_shares.assign(cumulative / cumulative[-1])

    def call(self, z):
        first = z[:, 0]
        if self.latent_distribution == "uniform":  # U(-1, 1)
            u = (first + 1.0) / 2.0
        else:
            u = 0.5 * (1.0 + ops.erf(first / 2.0 ** 0.5))
        index = ops.searchsorted(self.cumulative_shares, u, side="right")
        return ops.cast(ops.minimum(index, self.num_clusters - 1), "int32")

    def noise_of(self, clusters, z, position):
        """`z` with its first coordinate moved into each cluster's band of the prior, so that
        the draw gives `clusters`: `position` in (0, 1) says where in the band (the inverse of
        `call`; keep it off 0 and 1 so that rounding cannot cross into a neighbour)."""
        upper = self.cumulative_shares
        lower = ops.concatenate([ops.zeros((1,)), upper[:-1]])
        low, high = ops.take(lower, clusters), ops.take(upper, clusters)
        u = low + (high - low) * ops.cast(position, upper.dtype)
        if self.latent_distribution == "uniform":
            first = 2.0 * u - 1.0
        else:
            first = 2.0 ** 0.5 * ops.erfinv(2.0 * u - 1.0)
        return ops.concatenate([ops.cast(first, z.dtype)[:, None], z[:, 1:]], axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],)

    def get_config(self):
        return {**super().get_config(), "num_clusters": self.num_clusters,
                "latent_distribution": self.latent_distribution}
