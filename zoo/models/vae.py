"""VAE: Kingma & Welling 2014, "Auto-Encoding Variational Bayes" — the likelihood baseline that
the GANs are set against (no critic: the decoder learns from a reconstruction term).

The encoder gives q(z | x) = N(mu, sigma^2); a reparameterised sample z = mu + sigma * eps is
decoded; the step minimises the negative ELBO per example,
    -log p(x | z) + KL(q(z | x) || N(0, I)),
with one tape over both networks. The likelihood p(x | z):
  "bernoulli": each pixel's grey level (x + 1) / 2 in [0, 1] is the target of a Bernoulli whose
               mean is the decoder's output mapped to [0, 1] (the paper's MNIST setting);
  "gaussian":  N(x; decoder output, sigma^2 I) with a fixed `gaussian_sigma` in the [-1, 1] scale.
`generate` decodes samples of the prior N(0, I) (the decoder's mean image, as for the GANs'
samples), `encode` gives mu and `reconstruct` decodes it.

Networks: VAE-GAN's (zoo.networks.gaussian_encoder and DCGAN's generator as the decoder), so
the two differ in their objective alone.
"""

import keras
import tensorflow as tf

from zoo import losses
from zoo.checks import check_choice, check_positive
from zoo.core import GenerativeModel
from zoo.core.encoding import EncodingMixin
from zoo.errors import ZooError
from zoo.networks import checked_dcgan_width, dcgan_generator, dcgan_geometry, gaussian_encoder
from zoo.registry import Preset, register_model, register_preset

LIKELIHOODS = ("bernoulli", "gaussian")


@register_model("vae")
class VAE(EncodingMixin, GenerativeModel):
    """Args (beyond GenerativeModel's latent_dim, latent_distribution, noise_seed):
      image_shape: (height, width, channels), a DCGAN side (28, 32, 64, ...).
      base_filters: width of the encoder (DCGAN's discriminator body) and the decoder.
      likelihood: "bernoulli" or "gaussian" (see the module docstring).
      gaussian_sigma: the Gaussian likelihood's standard deviation.
    """

    def __init__(self, image_shape=(28, 28, 1), latent_dim=16, base_filters=32,
                 likelihood="bernoulli", gaussian_sigma=0.1, latent_distribution="normal", **kwargs):
        self.check_image_shape(image_shape)
        dcgan_geometry(tuple(image_shape))
        check_choice("likelihood", likelihood, LIKELIHOODS)
        check_positive("gaussian_sigma", gaussian_sigma)
        if latent_distribution != "normal":
            raise ZooError("the VAE's prior is N(0, I), which its KL term assumes: drop "
                           f"latent_distribution={latent_distribution!r}")
        self.image_shape = tuple(image_shape)
        self.base_filters = checked_dcgan_width(latent_dim, self.image_shape, base_filters)
        self.likelihood = likelihood
        self.gaussian_sigma = float(gaussian_sigma)
        super().__init__(latent_dim=latent_dim, **kwargs)
        self.loss_tracker = keras.metrics.Mean(name="loss")  # the negative ELBO
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")
        self.built = True

    def build_generator(self):
        self.encoder = gaussian_encoder(self.image_shape, self.latent_dim, self.base_filters)
        return dcgan_generator(self.latent_dim, self.image_shape, self.base_filters)

    def generator_networks(self):
        return {"generator": self.generator, "encoder": self.encoder}

    def get_config(self):
        config = super().get_config()
        del config["latent_distribution"]  # always the N(0, I) prior
        return {**config, "image_shape": self.image_shape, "base_filters": self.base_filters,
                "likelihood": self.likelihood, "gaussian_sigma": self.gaussian_sigma}

    @property
    def metrics(self):
        return [self.loss_tracker, self.reconstruction_tracker, self.kl_tracker]

    # ----------------------------------------------------------------- training
    def negative_log_likelihood(self, images, decoded):
        """-log p(x | z) per example, summed over the pixels, for images and decoder outputs in
        [-1, 1]."""
        if self.likelihood == "gaussian":
            # The constant (log of the normaliser) is left out: it moves no weight.
            return losses.half_squared_error(images, decoded) / self.gaussian_sigma ** 2
        return losses.bernoulli_negative_log_likelihood((images + 1.0) / 2.0, (decoded + 1.0) / 2.0)

    def train_step(self, data):
        images = self.real_batch(data)
        with tf.GradientTape() as tape:
            mean, log_variance = self.encoder(images, training=True)
            z = losses.reparameterize(mean, log_variance, self.noise.normal(tf.shape(mean)))
            decoded = losses.full_precision(self.generator(z, training=True))
            reconstruction = self.negative_log_likelihood(images, decoded)
            kl = losses.gaussian_kl(losses.full_precision(mean), losses.full_precision(log_variance))
            per_example = reconstruction + kl
            scaled = self.g_optimizer.scale_loss(tf.nn.compute_average_loss(per_example))
        variables = self.generator_variables
        self.apply_generator_gradients(zip(tape.gradient(scaled, variables), variables))
        self.loss_tracker.update_state(tf.reduce_mean(per_example))
        self.reconstruction_tracker.update_state(tf.reduce_mean(reconstruction))
        self.kl_tracker.update_state(tf.reduce_mean(kl))
        return self.step_logs()

    def encode_batch(self, images):
        """The mean of q(z | x)."""
        return self.encoder(images, training=False)[0]


register_preset(Preset(
    name="vae_mnist", model="vae", dataset="mnist",
    model_kwargs=dict(image_shape=(28, 28, 1), latent_dim=16, base_filters=32,
                      likelihood="bernoulli"),
    train=dict(batch_size=128, epochs=20, g_lr=1e-3, beta_1=0.9),
    # Shipped: decoder and encoder stored as float16.
    weights="vae_mnist",
    sha256="b015c5ae557b3c3620a4fdd33d7f69f69f71c1dca28de097186e87e96ac9def3",
    metadata=dict(paper="Kingma & Welling 2014, arXiv:1312.6114",
                  trained_with="python train.py --preset=vae_mnist --seed=0 --time_budget=1200 "
                               "--epochs=1000",
                  hardware="2 CPU cores (no GPU) beside another job: 52 epochs in the 20-minute "
                           "budget",
                  limits="Samples are the decoder's mean, so strokes are blurred; a third are "
                         "read with p < 0.9.",
                  scores=dict(classifier_fid=139.913, kid=26.994, precision=0.834, recall=0.646,
                              classes_present=10, class_entropy=2.262, confident_share=0.663))))
