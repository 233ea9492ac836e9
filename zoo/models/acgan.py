"""AC-GAN: Odena, Olah & Shlens 2017, "Conditional Image Synthesis with Auxiliary Classifier GANs".

G(z, c) as in the cGAN; the discriminator sees the image alone and has two heads on the same
features: the source (real or generated) and the class. With L_S the adversarial loss and
L_C the class cross-entropy (the seeds' L_CLS), D minimises L_S + L_C on real and generated
images, and G minimises its side of L_S plus L_C of its samples: it must draw images that D
classifies as the label they were made for. The paper trains with Adam(2e-4, beta_1=0.5).

`class_weight` scales L_C in both losses (1 in the paper).
"""

import keras
import tensorflow as tf

from zoo.core.conditional import ConditionalGAN
from zoo.errors import ZooError
from zoo.networks import dcgan_discriminator, dense_head
from zoo.registry import Preset, register_model, register_preset


def class_cross_entropy(class_logits, labels):
    """Softmax cross-entropy of integer labels, per example."""
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=class_logits)


@register_model("acgan")
class ACGAN(ConditionalGAN):
    def __init__(self, class_weight=1.0, **kwargs):
        if not class_weight >= 0:
            raise ZooError(f"class_weight must be >= 0, got {class_weight!r}")
        self.class_weight = float(class_weight)
        super().__init__(**kwargs)
        self.accuracy_tracker = keras.metrics.Mean(name="d_accuracy")

    def build_discriminator(self):
        features = dcgan_discriminator(self.image_shape, self.base_filters, self.d_normalization,
                                       outputs=None, name="features",
                                       **self.discriminator_options())
        x_in = keras.Input(self.image_shape, name="x")
        phi = features(x_in)
        heads = [dense_head(1, self.spectral_norm)(phi),
                 dense_head(self.num_classes, self.spectral_norm)(phi)]
        return keras.Model(x_in, heads, name="discriminator")

    @property
    def metrics(self):
        return super().metrics + [self.accuracy_tracker]

    def critic(self, d, inputs, training=True):
        """The source logit (what the penalties read); the label plays no part in it."""
        images = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
        return d(images, training=training)[0]

    def discriminator_loss(self, d, real, fake):
        (images, labels), (fakes, fake_labels) = real, fake
        source, class_logits = d(images)
        fake_source, fake_class_logits = d(fakes)
        if not d.unrolled:  # not the unrolled steps' evaluations
            predicted = tf.argmax(class_logits, axis=-1, output_type=tf.int32)
            self.accuracy_tracker.update_state(tf.cast(tf.equal(predicted, labels), tf.float32))
        return (self.adversarial_loss.discriminator(source, fake_source,
                                                    real_target=1.0 - self.label_smoothing)
                + self.class_weight * (class_cross_entropy(class_logits, labels)
                                       + class_cross_entropy(fake_class_logits, fake_labels)))

    def generator_loss(self, d, fake):
        fakes, labels = fake
        source, class_logits = d(fakes)
        return (self.adversarial_loss.generator(source)
                + self.class_weight * class_cross_entropy(class_logits, labels))

    def get_config(self):
        return {**super().get_config(), "class_weight": self.class_weight}


_PAPER = dict(paper="Odena et al. 2017, arXiv:1610.09585")
_ADAM = dict(g_lr=2e-4, d_lr=2e-4, beta_1=0.5)
register_preset(Preset(
    name="acgan_mnist", model="acgan", dataset="mnist",
    model_kwargs=dict(image_shape=(28, 28, 1), latent_dim=100, num_classes=10),
    train=dict(batch_size=100, epochs=20, **_ADAM), metadata=_PAPER))
register_preset(Preset(
    name="acgan_cifar10", model="acgan", dataset="cifar10",
    model_kwargs=dict(image_shape=(32, 32, 3), latent_dim=100, num_classes=10),
    train=dict(batch_size=100, epochs=50, **_ADAM), metadata=_PAPER))
