"""StackGAN: Zhang et al. 2017, "StackGAN: Text to Photo-realistic Image Synthesis with Stacked
Generative Adversarial Networks", conditioned on class labels.

Two stages. Stage I draws a low-resolution image (a quarter of the side: 7x7 for MNIST's 28x28)
from z and the condition; stage II takes that image and the condition and draws the full-size
one, correcting and adding detail. Each stage has its own discriminator, matching-aware as in
GAN-CLS (zoo.losses.matching_aware_discriminator_loss): (real image, its label) against (the
stage's generated image, its label) and (real image, a mismatched label); the real images of
stage I are the data average-pooled to its size.

Conditioning augmentation: the condition embedding e (here a learnt embedding of the label,
standing in for the paper's text embedding; the stage networks take any embedding vector)
gives mu(e) and sigma(e), and the generator sees c = mu + sigma * eps, eps ~ N(0, I), with
KL(N(mu, sigma^2) || N(0, I)) added to G's loss (weight 1 in the paper). eps is the last
`condition_dim` entries of the model's noise vector, so a seed fixes the whole sample.

The paper trains stage I, then stage II with stage I fixed. Here both train together, in one
step (as StackGAN++ does), stage II on stage I's output with its gradient stopped, so stage
II never pulls stage I away from its own objective; both stages share the augmented
condition c.
"""

import keras
import tensorflow as tf
from keras import layers

from zoo import losses
from zoo.core.conditional import ConditionalGAN
from zoo.errors import ZooError
from zoo.layers import batch_norm, dcgan_init
from zoo.networks import dcgan_discriminator, label_input, matching_discriminator
from zoo.registry import Preset, register_model, register_preset

UPSCALE = 4  # stage II draws images of 4 times stage I's side


def _conv(filters, kernel=3, strides=1):
    return layers.Conv2D(filters, kernel, strides=strides, padding="same", use_bias=False,
                         kernel_initializer=dcgan_init())


def _residual_block(x):
    filters = x.shape[-1]
    h = layers.ReLU()(batch_norm()(_conv(filters)(x)))
    h = batch_norm()(_conv(filters)(h))
    return layers.ReLU()(layers.Add()([x, h]))


def stage_one_generator(noise_dim, embedding_dim, condition_dim, low_shape, filters):
    """[noise z + eps, embedding e] -> [low-resolution image, mu, log sigma^2, c]."""
    noise, embedding = keras.Input((noise_dim + condition_dim,), name="z"), keras.Input((embedding_dim,), name="e")
    z, eps = noise[:, :noise_dim], noise[:, noise_dim:]
    moments = layers.LeakyReLU(0.2)(layers.Dense(2 * condition_dim)(embedding))
    mu, log_var = moments[:, :condition_dim], moments[:, condition_dim:]
    c = layers.Add()([mu, layers.Multiply()([layers.Activation("exponential")(0.5 * log_var), eps])])
    side = low_shape[0]
    x = layers.Dense(side * side * filters, use_bias=False, kernel_initializer=dcgan_init())(
        layers.Concatenate()([z, c]))
    x = layers.Reshape((side, side, filters))(layers.ReLU()(batch_norm()(x)))
    x = layers.ReLU()(batch_norm()(_conv(filters // 2)(x)))
    low = layers.Conv2D(low_shape[-1], 3, padding="same", activation="tanh",
                        kernel_initializer=dcgan_init())(x)
    return keras.Model([noise, embedding], [low, mu, log_var, c], name="stage_one")


def stage_two_generator(low_shape, condition_dim, image_channels, filters, residual_blocks):
    """[low-resolution image, c] -> the full-size image: encode, join c, residual blocks, x4."""
    low, c = keras.Input(low_shape, name="low"), keras.Input((condition_dim,), name="c")
    x = layers.ReLU()(_conv(filters)(low))
    tiled = layers.Reshape((1, 1, condition_dim))(c)
    tiled = layers.UpSampling2D(low_shape[:2])(tiled)  # c at every position
    x = layers.ReLU()(batch_norm()(_conv(filters)(layers.Concatenate()([x, tiled]))))
    for _ in range(residual_blocks):
        x = _residual_block(x)
    for step in (1, 2):  # two x2 steps: UPSCALE = 4
        x = layers.Conv2DTranspose(filters // 2 ** step, 4, strides=2, padding="same",
                                   use_bias=False, kernel_initializer=dcgan_init())(x)
        x = layers.ReLU()(batch_norm()(x))
    image = layers.Conv2D(image_channels, 3, padding="same", activation="tanh",
                          kernel_initializer=dcgan_init())(x)
    return keras.Model([low, c], image, name="stage_two")


def low_resolution_features(low_shape, filters, name="features"):
    """Stage I's discriminator body for small images: a conv, a strided conv, flattened."""
    x_in = keras.Input(low_shape, name="x")
    x = layers.LeakyReLU(0.2)(_conv(filters)(x_in))
    x = layers.LeakyReLU(0.2)(batch_norm()(_conv(2 * filters, 4, 2)(x)))
    return keras.Model(x_in, layers.Flatten()(x), name=name)


@register_model("stackgan")
class StackGAN(ConditionalGAN):
    """Args (beyond ConditionalGAN's): latent_dim (z, without eps), condition_dim (c),
    embedding_dim (the label's embedding e), kl_weight, mismatch_weight (GAN-CLS's w), and the
    stages' widths: stage_one_filters, stage_two_filters, residual_blocks."""

    def __init__(self, image_shape=(28, 28, 1), latent_dim=100, condition_dim=32,
                 embedding_dim=64, kl_weight=1.0, mismatch_weight=0.5, stage_one_filters=128,
                 stage_two_filters=64, residual_blocks=2, **kwargs):
        side = tuple(image_shape)[0]
        if side % UPSCALE or side // UPSCALE < 4:
            raise ZooError(f"stackgan's stage I draws a quarter of the side: the side must be a "
                           f"multiple of {UPSCALE} and at least 16, got {side}")
        self.noise_dim, self.condition_dim = int(latent_dim), int(condition_dim)
        self.embedding_dim, self.kl_weight = int(embedding_dim), float(kl_weight)
        self.mismatch_weight = float(mismatch_weight)
        self.stage_one_filters, self.stage_two_filters = int(stage_one_filters), int(stage_two_filters)
        self.residual_blocks = int(residual_blocks)
        # The model's noise vector is z followed by the augmentation's eps.
        super().__init__(image_shape=image_shape, latent_dim=latent_dim + condition_dim, **kwargs)

    @property
    def low_shape(self):
        side = self.image_shape[0] // UPSCALE
        return (side, side, self.image_shape[-1])

    def build_generator(self):
        self.label_embedding = layers.Embedding(self.num_classes, self.embedding_dim,
                                                name="label_embedding")
        self.stage_one = stage_one_generator(self.noise_dim, self.embedding_dim,
                                             self.condition_dim, self.low_shape,
                                             self.stage_one_filters)
        self.stage_two = stage_two_generator(self.low_shape, self.condition_dim,
                                             self.image_shape[-1], self.stage_two_filters,
                                             self.residual_blocks)
        noise, label = keras.Input((self.latent_dim,), name="z"), label_input()
        low, _, _, c = self.stage_one([noise, self.label_embedding(label)])
        return keras.Model([noise, label], self.stage_two([low, c]), name="generator")

    def build_discriminator(self):
        """[stage I's score of (low, c), stage II's score of (image, c)], matching-aware both."""
        options = self.discriminator_options()
        self.stage_one_discriminator = matching_discriminator(
            low_resolution_features(self.low_shape, self.base_filters), self.num_classes,
            self.spectral_norm, name="stage_one_discriminator")
        self.stage_two_discriminator = matching_discriminator(
            dcgan_discriminator(self.image_shape, self.base_filters, self.d_normalization,
                                outputs=None, name="features", **options),
            self.num_classes, self.spectral_norm, name="stage_two_discriminator")
        low, image, label = (keras.Input(self.low_shape, name="low"),
                             keras.Input(self.image_shape, name="x"), label_input())
        return keras.Model([low, image, label], [self.stage_one_discriminator([low, label]),
                                                 self.stage_two_discriminator([image, label])],
                           name="discriminator")

    def downsample(self, images):
        """Real images at stage I's size: the mean of each UPSCALE x UPSCALE block."""
        return tf.nn.avg_pool2d(images, UPSCALE, UPSCALE, "VALID")

    # A generated batch: (image, labels, stage I's image, KL of the augmentation per example).
    def fake_batch(self, real, training=True):
        labels = real[1]
        noise = self.sample_latent(tf.shape(labels)[0])
        low, mu, log_var, c = self.stage_one([noise, self.label_embedding(labels)], training=training)
        image = self.stage_two([tf.stop_gradient(low), c], training=training)
        return image, labels, low, losses.gaussian_kl(mu, log_var)

    def critic(self, d, inputs, training=True):
        """Both stages' scores of an image (and its labels), summed: what the penalties read."""
        image, labels = inputs
        scores = d([self.downsample(image), image, labels], training=training)
        return scores[0] + scores[1]

    def discriminator_loss(self, d, real, fake):
        (images, labels), (fakes, _, fake_lows, _) = real, fake
        lows = self.downsample(images)
        real_scores = d([lows, images, labels])
        fake_scores = d([fake_lows, fakes, labels])
        mismatched_scores = d([lows, images, self.mismatched_labels(labels)])
        return sum(losses.matching_aware_discriminator_loss(
            self.adversarial_loss.discriminator, real_scores[stage], fake_scores[stage],
            mismatched_scores[stage], self.mismatch_weight, 1.0 - self.label_smoothing)
            for stage in (0, 1))

    def generator_loss(self, d, fake):
        image, labels, low, kl = fake
        scores = d([low, image, labels])
        return (self.adversarial_loss.generator(scores[0]) + self.adversarial_loss.generator(scores[1])
                + self.kl_weight * kl)

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.noise_dim,
                "condition_dim": self.condition_dim, "embedding_dim": self.embedding_dim,
                "kl_weight": self.kl_weight, "mismatch_weight": self.mismatch_weight,
                "stage_one_filters": self.stage_one_filters,
                "stage_two_filters": self.stage_two_filters, "residual_blocks": self.residual_blocks}


register_preset(Preset(
    name="stackgan_mnist", model="stackgan", dataset="mnist",
    model_kwargs=dict(image_shape=(28, 28, 1), latent_dim=100, num_classes=10),
    train=dict(batch_size=64, epochs=20, g_lr=2e-4, d_lr=2e-4, beta_1=0.5),
    metadata=dict(paper="Zhang et al. 2017, arXiv:1612.03242", stages="7x7 -> 28x28")))
