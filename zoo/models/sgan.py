"""Semi-supervised GAN: Salimans et al. 2016, "Improved Techniques for Training GANs" (section
5), and Odena 2016, "Semi-Supervised Learning with Generative Adversarial Networks".

The discriminator is a classifier over K + 1 classes: the K of the data and "generated". With
K logits l_k and the generated class's logit fixed at 0 (the K + 1 logits are over-complete),
D(x) = Z / (Z + 1), Z = sum_k exp(l_k): the probability that x is real is sigmoid(logsumexp(l)),
so the usual GAN loss on logsumexp(l) trains the unsupervised part, and the K logits' softmax
cross-entropy on the few labelled examples the supervised part. G is trained by feature
matching: the squared distance between the mean features (D's last hidden layer) of a real
and a generated batch; it makes G produce what the classifier needs, not the best samples.

Networks of the paper's MNIST experiment: D of dense ReLU layers (1000, 500, 250, 250, 250)
with Gaussian noise on the input (std 0.3) and after each layer (0.5); G of two softplus
layers of 500 with batch norm. (The paper's weight normalization is left out.) Training
data: `labelled_examples` labelled images (100, ten per digit) beside the whole unlabelled
training set (zoo.data.semi_supervised). `classify(x)` is the classifier the method is for.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from zoo import replicas
from zoo.core.adversarial import BaseGAN
from zoo.remedies import ALL_REMEDIES
from zoo.errors import ZooError
from zoo.networks import mlp_generator
from zoo.registry import Preset, register_model, register_preset


def noisy_classifier(input_shape, num_classes, hidden, input_noise, hidden_noise):
    """[K class logits, the last hidden layer's features] from dense ReLU layers with Gaussian
    noise (active in training only)."""
    x_in = keras.Input(input_shape, name="x")
    x = layers.GaussianNoise(input_noise)(layers.Flatten()(x_in))
    for units in hidden:
        x = layers.GaussianNoise(hidden_noise)(layers.Dense(units, activation="relu")(x))
    return keras.Model(x_in, [layers.Dense(num_classes)(x), x], name="discriminator")


@register_model("sgan")
class SemiSupervisedGAN(BaseGAN):
    """Args: image_shape, latent_dim, num_classes, labelled_examples (N), the networks'
    g_hidden / d_hidden and noise levels, supervised_weight (of the labelled cross-entropy)."""

    data_needs = "labelled_subset"
    remedies = ALL_REMEDIES - {"pack", "spectral_norm", "minibatch_stddev"}
    remedies_refused_because = "its discriminator is the paper's classifier of single images"

    def __init__(self, image_shape=(28, 28, 1), latent_dim=100, num_classes=10,
                 labelled_examples=100, g_hidden=(500, 500), d_hidden=(1000, 500, 250, 250, 250),
                 input_noise=0.3, hidden_noise=0.5, supervised_weight=1.0, **kwargs):
        if isinstance(labelled_examples, bool) or not isinstance(labelled_examples, (int, np.integer)) \
                or labelled_examples < num_classes:
            raise ZooError(f"labelled_examples must be an integer >= num_classes ({num_classes}), "
                           f"got {labelled_examples!r}")
        self.image_shape = tuple(image_shape)
        self.num_classes, self.labelled_examples = int(num_classes), int(labelled_examples)
        self.g_hidden, self.d_hidden = tuple(g_hidden), tuple(d_hidden)
        self.input_noise, self.hidden_noise = float(input_noise), float(hidden_noise)
        self.supervised_weight = float(supervised_weight)
        super().__init__(latent_dim=latent_dim, **kwargs)

    def build_generator(self):
        return mlp_generator(self.latent_dim, self.image_shape, hidden=self.g_hidden,
                             activation="softplus", normalize=True)

    def build_discriminator(self):
        return noisy_classifier(self.image_shape, self.num_classes, self.d_hidden,
                                self.input_noise, self.hidden_noise)

    # ----------------------------------------------------------------- batches
    # Real: (unlabelled images, labelled images, their labels); generated: (images, the real
    # unlabelled images that feature matching compares them with).
    def real_batch(self, data):
        if not (isinstance(data, dict) and "labelled_image" in data):
            raise ZooError("sgan trains on unlabelled batches beside labelled ones: train it with "
                           "zoo.training (which adds them: zoo.data.training_batches)")
        return data["image"], data["labelled_image"], tf.cast(data["label"], tf.int32)

    def fake_batch(self, real, training=True):
        unlabelled = real[0]
        return self.generator(self.sample_latent(tf.shape(unlabelled)[0]), training=training), unlabelled

    @staticmethod
    def examples(batch):
        return batch[0]

    def critic(self, d, images, training=True):
        """logsumexp of the K logits: the logit of "real" against the generated class."""
        return tf.reduce_logsumexp(d(images, training=training)[0], axis=-1)

    def discriminator_loss(self, d, real, fake):
        unlabelled, labelled, labels = real
        unsupervised = self.adversarial_loss.discriminator(
            self.critic(d, unlabelled), self.critic(d, fake[0]),
            real_target=1.0 - self.label_smoothing)
        logits, _ = d(labelled)
        supervised = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
        # The labelled batch is a batch of its own: its mean joins each example's loss.
        return unsupervised + self.supervised_weight * tf.reduce_mean(supervised)

    def generator_loss(self, d, fake):
        """Feature matching, ||E f(x) - E f(G(z))||^2 over the batch (the global batch under a
        distribution strategy), given to every example."""
        images, unlabelled = fake
        _, fake_features = d(images)
        _, real_features = d(unlabelled)
        gap = tf.reduce_sum(tf.square(replicas.global_mean(tf.stop_gradient(real_features))
                                      - replicas.global_mean(fake_features)))
        return tf.fill(tf.shape(images)[:1], gap)

    def classify(self, images, batch_size=1000):
        """The K-class prediction for each image (numpy int array)."""
        return np.concatenate([
            np.argmax(self.discriminator(images[i:i + batch_size], training=False)[0], axis=-1)
            for i in range(0, len(images), batch_size)])

    def get_config(self):
        return {**super().get_config(), "image_shape": self.image_shape,
                "num_classes": self.num_classes, "labelled_examples": self.labelled_examples,
                "g_hidden": self.g_hidden, "d_hidden": self.d_hidden,
                "input_noise": self.input_noise, "hidden_noise": self.hidden_noise,
                "supervised_weight": self.supervised_weight}


register_preset(Preset(
    name="sgan_mnist", model="sgan", dataset="mnist",
    model_kwargs=dict(image_shape=(28, 28, 1), latent_dim=100, num_classes=10, labelled_examples=100),
    train=dict(batch_size=100, epochs=50, g_lr=1e-3, d_lr=1e-3, beta_1=0.5, lr_decay="linear"),
    metadata=dict(paper="Salimans et al. 2016, arXiv:1606.03498; Odena 2016, arXiv:1606.01583",
                  published="Improved-GAN: 0.93% test error with 100 labels (feature matching)")))
