"""InfoGAN: Chen et al. 2016, "InfoGAN: Interpretable Representation Learning by Information
Maximizing Generative Adversarial Nets".

G takes incompressible noise z and a structured code: one categorical code (10 values on
MNIST) and continuous codes (2, uniform in [-1, 1]). Nothing ties the code to the data's
labels; instead an auxiliary head Q on D's features predicts the code of a generated image,
and both G and Q minimise -L_I, a lower bound on the mutual information I(c; G(z, c)) (up to
the constant entropy of c): the categorical code's cross-entropy, plus the continuous codes'
Gaussian log-likelihood with unit variance, 0.5 ||c - mu||^2. G thus makes the code visible in
its images, and on MNIST the categorical code tends to pick up the digit.

The paper's MNIST setting: 62 noise dimensions, lambda 1 for the categorical code, a smaller
weight for the continuous ones (here 0.1), Q sharing D's convolutions with a 128-unit layer
of its own, Adam 2e-4 for D and 1e-3 for G, beta_1 0.5.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from zoo import losses
from zoo.core.conditional import check_labels, checked_in_graph
from zoo.core.generative import with_averaged_generator
from zoo.remedies import ALL_REMEDIES
from zoo.core.standard import StandardGAN
from zoo.errors import ZooError
from zoo.layers import batch_norm
from zoo.networks import dcgan_discriminator, dcgan_generator, dense_head, one_hot
from zoo.registry import Preset, register_model, register_preset

Q_HIDDEN_UNITS = 128


@register_model("infogan")
class InfoGAN(StandardGAN):
    """Args (beyond StandardGAN's): categories (values of the categorical code), continuous
    (number of continuous codes), info_weight (lambda of the categorical term) and
    continuous_weight (of the continuous term)."""

    remedies = ALL_REMEDIES - {"pack"}
    remedies_refused_because = "Q reads the code of each image"

    def __init__(self, image_shape=(28, 28, 1), latent_dim=62, categories=10, continuous=2,
                 info_weight=1.0, continuous_weight=0.1, **kwargs):
        if isinstance(categories, bool) or not isinstance(categories, (int, np.integer)) or categories < 2:
            raise ZooError(f"categories must be an integer >= 2, got {categories!r}")
        if isinstance(continuous, bool) or not isinstance(continuous, (int, np.integer)) or continuous < 0:
            raise ZooError(f"continuous must be an integer >= 0, got {continuous!r}")
        self.categories, self.continuous = int(categories), int(continuous)
        self.info_weight, self.continuous_weight = float(info_weight), float(continuous_weight)
        super().__init__(image_shape=image_shape, latent_dim=latent_dim, **kwargs)

    # ----------------------------------------------------------------- networks
    def build_generator(self):
        body = dcgan_generator(self.latent_dim + self.categories + self.continuous,
                               self.image_shape, self.base_filters, name="generator_body")
        z = keras.Input((self.latent_dim,), name="z")
        category = keras.Input((), dtype="int32", name="category")
        continuous = keras.Input((self.continuous,), name="continuous")
        inputs = layers.Concatenate()([z, one_hot(category, self.categories), continuous])
        return keras.Model([z, category, continuous], body(inputs), name="generator")

    def build_discriminator(self):
        """[source logit, Q's category logits, Q's continuous means], Q on D's features."""
        features = dcgan_discriminator(self.image_shape, self.base_filters, self.d_normalization,
                                       outputs=None, name="features",
                                       **self.discriminator_options())
        x_in = keras.Input(self.image_shape, name="x")
        phi = features(x_in)
        q = layers.LeakyReLU(0.2)(batch_norm()(layers.Dense(Q_HIDDEN_UNITS)(phi)))
        outputs = [dense_head(1, self.spectral_norm)(phi), layers.Dense(self.categories)(q),
                   layers.Dense(self.continuous)(q)]
        return keras.Model(x_in, outputs, name="discriminator")

    # ----------------------------------------------------------------- batches
    # Real batches are images alone; a generated batch carries its code: (images, category,
    # continuous).
    def sample_codes(self, batch_size):
        category = self.noise.uniform([batch_size], minval=0, maxval=self.categories, dtype=tf.int32)
        continuous = self.noise.uniform(tf.stack([batch_size, self.continuous]), minval=-1.0, maxval=1.0)
        return category, continuous

    def fake_batch(self, real, training=True):
        batch_size = tf.shape(real)[0]
        category, continuous = self.sample_codes(batch_size)
        images = self.generator([self.sample_latent(batch_size), category, continuous],
                                training=training)
        return images, category, continuous

    @staticmethod
    def examples(batch):
        return batch[0] if isinstance(batch, tuple) else batch

    def critic(self, d, images, training=True):
        return d(images, training=training)[0]

    def information_loss(self, fake, outputs):
        """-L_I per example, up to a constant: Q's cross-entropy on the category and the
        unit-variance Gaussian negative log-likelihood of the continuous codes."""
        _, category, continuous = fake
        _, category_logits, continuous_mean = outputs
        loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=category, logits=category_logits)
        loss = self.info_weight * loss
        if self.continuous:
            loss += self.continuous_weight * 0.5 * tf.reduce_sum(
                tf.square(losses.full_precision(continuous) - continuous_mean), axis=-1)
        return loss

    def discriminator_loss(self, d, real, fake):
        source = d(real)[0]
        fake_outputs = d(fake[0])
        return (self.adversarial_loss.discriminator(source, fake_outputs[0],
                                                    real_target=1.0 - self.label_smoothing)
                + self.information_loss(fake, fake_outputs))

    def generator_loss(self, d, fake):
        outputs = d(fake[0])
        return self.adversarial_loss.generator(outputs[0]) + self.information_loss(fake, outputs)

    def infer_codes(self, images, batch_size=1000):
        """Q's reading of images: (most likely category, continuous means), numpy arrays."""
        categories, means = [], []
        for i in range(0, len(images), batch_size):
            _, logits, mean = self.discriminator(images[i:i + batch_size], training=False)
            categories.append(np.argmax(logits, axis=-1))
            means.append(np.asarray(mean))
        return np.concatenate(categories), np.concatenate(means)

    # ----------------------------------------------------------------- sampling
    def generator_inputs(self, z, categories=None, continuous=None):
        """Categories default to 0, 1, ... in turn; continuous codes to 0 (their centre)."""
        n = int(z.shape[0])
        categories = check_labels(np.arange(n) % self.categories if categories is None
                                  else categories, n, self.categories, name="categories")
        continuous = np.zeros((n, self.continuous), np.float32) if continuous is None else \
            np.asarray(continuous, np.float32)
        if continuous.shape != (n, self.continuous):
            raise ZooError(f"continuous must have shape ({n}, {self.continuous}), got {continuous.shape}")
        return [z, tf.constant(categories), tf.constant(continuous)]

    @with_averaged_generator
    def sample_grid(self, count, seed):
        """InfoGAN's figure: a row per category, the first continuous code from -1 to 1 along
        each row, the same noise throughout."""
        columns = max(count // self.categories, 1)
        categories = np.repeat(np.arange(self.categories), columns)
        continuous = np.zeros((len(categories), self.continuous), np.float32)
        if self.continuous:
            continuous[:, 0] = np.tile(np.linspace(-1, 1, columns), self.categories)
        z = np.repeat(self.latent_from_seed(1, seed).numpy(), len(categories), axis=0)
        images = self.generator(self.generator_inputs(tf.constant(z), categories, continuous),
                                training=False)
        return np.asarray(images, np.float32), columns

    def serving_endpoints(self, serve):
        category = tf.TensorSpec([None], tf.int64, name="category")
        continuous = tf.TensorSpec([None, self.continuous], tf.float32, name="continuous")

        def inputs(z, c, u):
            return [z, checked_in_graph(c, self.categories, name="category"), u]

        return {
            "serving_default": (lambda z, category, continuous: serve(inputs(z, category, continuous)),
                                [tf.TensorSpec([None, self.latent_dim], tf.float32, name="z"),
                                 category, continuous]),
            "seeds": (lambda seeds, category, continuous: serve(inputs(
                self.latent_from_seeds(seeds), category, continuous)),
                      [tf.TensorSpec([None], tf.int64, name="seeds"), category, continuous]),
        }

    def get_config(self):
        return {**super().get_config(), "categories": self.categories,
                "continuous": self.continuous, "info_weight": self.info_weight,
                "continuous_weight": self.continuous_weight}


register_preset(Preset(
    name="infogan_mnist", model="infogan", dataset="mnist",
    model_kwargs=dict(image_shape=(28, 28, 1), latent_dim=62, categories=10, continuous=2),
    train=dict(batch_size=64, epochs=20, g_lr=1e-3, d_lr=2e-4, beta_1=0.5),
    metadata=dict(paper="Chen et al. 2016, arXiv:1606.03657")))
