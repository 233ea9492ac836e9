"""VAE-GAN: Larsen, Sønderby, Larochelle & Winther 2016, "Autoencoding beyond pixels using a
learned similarity metric".

A VAE whose decoder is also a GAN's generator: the encoder gives q(z | x) = N(mu, sigma^2),
the decoder reconstructs x from a sample of it, and the reconstruction is measured in the
discriminator's feature space (its last hidden layer, a Gaussian likelihood there) instead of
pixel by pixel. The discriminator tells data from both reconstructions and samples of the
prior. The three networks minimise different objectives (the paper's Algorithm 1):
  encoder:        KL(q(z | x) || N(0, I)) + L_feature
  decoder (G):    gamma * L_feature + the GAN generator loss on reconstructions and samples
  discriminator:  the GAN loss, data against reconstructions and against samples (each fake
                  set half the weight, so data and fakes weigh alike)
The discriminator does not minimise L_feature (the paper found it collapses the features).

Networks: the encoder of zoo.networks (shared with the VAE), DCGAN's generator as decoder,
DCGAN's discriminator returning its features beside the logit.
"""

import collections

import keras
import tensorflow as tf

from zoo import losses
from zoo.core import StandardGAN
from zoo.core.encoding import ENCODING_REMEDIES, EncodingMixin
from zoo.errors import ZooError
from zoo.networks import dcgan_discriminator, dense_head, gaussian_encoder
from zoo.registry import Preset, register_model, register_preset

# A generated batch: the decoder's two kinds of fakes and what the encoder made of the data.
Decoded = collections.namedtuple("Decoded", ["reconstruction", "sample", "mean", "log_variance", "real"])


@register_model("vaegan")
class VAEGAN(EncodingMixin, StandardGAN):
    """Args (beyond StandardGAN's, images only): feature_weight (gamma, the decoder's weight
    of the feature reconstruction against its adversarial loss)."""

    generator_loss_by_network = True
    remedies = ENCODING_REMEDIES
    remedies_refused_because = "its discriminator also measures reconstructions"

    def __init__(self, image_shape=(28, 28, 1), latent_dim=32, feature_weight=1e-2, **kwargs):
        self.check_image_shape(image_shape)
        if not feature_weight >= 0:
            raise ZooError(f"feature_weight must be >= 0, got {feature_weight!r}")
        self.feature_weight = float(feature_weight)
        super().__init__(image_shape=image_shape, latent_dim=latent_dim, **kwargs)

    def build_generator(self):
        self.encoder = gaussian_encoder(self.image_shape, self.latent_dim, self.base_filters)
        return super().build_generator()

    def build_discriminator(self):
        features = dcgan_discriminator(self.image_shape, self.base_filters,
                                       normalization=self.d_normalization, outputs=None,
                                       name="features", **self.discriminator_options())
        x_in = keras.Input(self.image_shape, name="x")
        h = features(x_in)
        return keras.Model(x_in, [dense_head(1, self.spectral_norm)(h), h], name="discriminator")

    def generator_networks(self):
        return {"generator": self.generator, "encoder": self.encoder}

    def get_config(self):
        return {**super().get_config(), "feature_weight": self.feature_weight}

    # ----------------------------------------------------------------- training
    def fake_batch(self, real, training=True):
        mean, log_variance = self.encoder(real, training=training)
        z = losses.reparameterize(mean, log_variance, self.noise.normal(tf.shape(mean)))
        prior = self.sample_latent(tf.shape(real)[0])
        return Decoded(reconstruction=self.generator(z, training=training),
                       sample=self.generator(prior, training=training),
                       mean=mean, log_variance=log_variance, real=real)

    def critic(self, d, images, training=True):
        return d(images, training=training)[0]

    def discriminator_loss(self, d, real, fake):
        target = 1.0 - self.label_smoothing
        real_scores = self.critic(d, real)
        return 0.5 * (self.adversarial_loss.discriminator(
                          real_scores, self.critic(d, fake.reconstruction), real_target=target)
                      + self.adversarial_loss.discriminator(
                          real_scores, self.critic(d, fake.sample), real_target=target))

    def generator_loss(self, d, fake):
        reconstruction_score, reconstruction_features = d(fake.reconstruction)
        _, real_features = d(fake.real)
        feature_loss = losses.half_squared_error(real_features, reconstruction_features)
        adversarial = (self.adversarial_loss.generator(reconstruction_score)
                       + self.adversarial_loss.generator(self.critic(d, fake.sample)))
        return {"encoder": losses.gaussian_kl(fake.mean, fake.log_variance) + feature_loss,
                "generator": self.feature_weight * feature_loss + adversarial}

    def encode_batch(self, images):
        """The mean of q(z | x)."""
        return self.encoder(images, training=False)[0]


register_preset(Preset(
    name="vaegan_mnist", model="vaegan", dataset="mnist",
    model_kwargs=dict(image_shape=(28, 28, 1), latent_dim=32, feature_weight=1e-2),
    train=dict(batch_size=64, epochs=20, g_lr=3e-4, d_lr=3e-4, beta_1=0.5),
    metadata=dict(paper="Larsen et al. 2016, arXiv:1512.09300")))
