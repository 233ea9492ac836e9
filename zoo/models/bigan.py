"""BiGAN: Donahue, Krähenbühl & Darrell 2017, "Adversarial Feature Learning" (ALI, Dumoulin
et al. 2017, is the same model found independently).

Beside the generator G: z -> x, an encoder E: x -> z maps data back to the latent space, and
the discriminator judges pairs: (x, E(x)) for real data against (G(z), z) for generated. At
the optimum E inverts G (the paper's Theorem 2), so E learns features of the data without a
label. G and E are trained together, as one player, on the discriminator's loss with the two
sides swapped (the paper's "inverted labels", the non-saturating form for both networks).

Networks: DCGAN's generator; the encoder is DCGAN's discriminator with `latent_dim` linear
outputs; the discriminator joins DCGAN's discriminator features of x with a dense layer on z
(zoo.networks.joint_discriminator). `encode(x)` and `reconstruct(x)` = G(E(x)) are the
model's uses beside `generate`.
"""

import collections

import keras
import tensorflow as tf
from keras import layers

from zoo.core import StandardGAN
from zoo.core.encoding import ENCODING_REMEDIES, EncodingMixin
from zoo.networks import dcgan_discriminator, dense_head, joint_discriminator
from zoo.registry import Preset, register_model, register_preset

LATENT_HIDDEN_UNITS = 512  # D's dense layer on z before it meets x's features

# A generated batch: G's side, (G(z), z), and E's side, (x, E(x)).
Pairs = collections.namedtuple("Pairs", ["generated", "noise", "real", "encoded"])


@register_model("bigan")
class BiGAN(EncodingMixin, StandardGAN):
    """Args: StandardGAN's (images only). The input-gradient penalties, packing and unrolling
    have no meaning for a discriminator of pairs and are refused."""

    remedies = ENCODING_REMEDIES
    remedies_refused_because = "its discriminator judges (image, code) pairs"

    def __init__(self, image_shape=(28, 28, 1), latent_dim=50, **kwargs):
        self.check_image_shape(image_shape)
        super().__init__(image_shape=image_shape, latent_dim=latent_dim, **kwargs)

    def build_generator(self):
        self.encoder = dcgan_discriminator(self.image_shape, self.base_filters,
                                           outputs=self.latent_dim, name="encoder")
        return super().build_generator()

    def build_discriminator(self):
        features = dcgan_discriminator(self.image_shape, self.base_filters,
                                       normalization=self.d_normalization, outputs=None,
                                       name="image_features", **self.discriminator_options())
        z = keras.Input((self.latent_dim,), name="z")
        z_features = layers.LeakyReLU(0.2)(dense_head(LATENT_HIDDEN_UNITS, self.spectral_norm)(z))
        return joint_discriminator(features, z, z_features, self.spectral_norm)

    def generator_networks(self):
        return {"generator": self.generator, "encoder": self.encoder}

    # ----------------------------------------------------------------- training
    def fake_batch(self, real, training=True):
        z = self.sample_latent(tf.shape(real)[0])
        return Pairs(generated=self.generator(z, training=training), noise=z, real=real,
                     encoded=self.encoder(real, training=training))

    def discriminator_loss(self, d, real, fake):
        del real  # the real pair (x, E(x)) is in `fake`, with the encoder's output
        return self.adversarial_loss.discriminator(
            d([fake.real, fake.encoded]), d([fake.generated, fake.noise]),
            real_target=1.0 - self.label_smoothing)

    def generator_loss(self, d, fake):
        """The discriminator's loss with the pairs swapped: G wants (G(z), z) taken for data,
        E wants (x, E(x)) taken for generated."""
        return self.adversarial_loss.discriminator(
            d([fake.generated, fake.noise]), d([fake.real, fake.encoded]))

    def encode_batch(self, images):
        return self.encoder(images, training=False)


register_preset(Preset(
    name="bigan_mnist", model="bigan", dataset="mnist",
    model_kwargs=dict(image_shape=(28, 28, 1), latent_dim=50, latent_distribution="uniform"),
    # Donahue et al.'s MNIST settings: a 50-d uniform latent, Adam 2e-4, beta_1 0.5, batch 128.
    train=dict(batch_size=128, epochs=20, g_lr=2e-4, d_lr=2e-4, beta_1=0.5),
    metadata=dict(paper="Donahue et al. 2017, arXiv:1605.09782; Dumoulin et al. 2017, arXiv:1606.00704")))
