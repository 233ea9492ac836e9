"""DTN, the Domain Transfer Network: Taigman, Polyak & Wolf 2017, "Unsupervised Cross-Domain
Image Generation".

One direction, source domain A to target domain B, through a pretrained encoder f that stays
frozen: G = g(f(x)), only the decoder g learns. f is what "keeping the content" means: a
translated source image must have the features of its source, ||f(x) - f(G(x))||^2 (the
f-constancy loss), while a discriminator on the target domain judges realism, and target
images must come through unchanged, ||t - G(t)||^2 (the identity loss). The paper's weights
for digits: alpha = beta = 15, no total-variation term.

The paper's discriminator is ternary (G(source), G(target), target); here it is the usual
binary one with both kinds of generated images as fakes, each half the weight, so that every
adversarial loss of zoo.losses applies.

f: `encoder="mnist"` is the zoo's MNIST classifier up to its 128-unit feature layer (digits
and digit-like domains such as mnist2bold); `encoder=None` a frozen, randomly initialised
DCGAN discriminator trunk (random conv features still carry much of an image; for tests and
for domains without a pretrained f). g is DCGAN's generator from f's features.
"""

import collections

import keras

from zoo import losses
from zoo.checks import check_choice, check_positive_int
from zoo.core.adversarial import AdversarialModel
from zoo.core.translation import TranslationGAN
from zoo.errors import ZooError
from zoo.networks import dcgan_discriminator, dcgan_generator
from zoo.registry import Preset, register_model, register_preset

ENCODERS = (None, "mnist")
RANDOM_FEATURES = 128  # the width of the random encoder's features

# A generated batch: the translation of source images and of target images (identity), with
# f of the source images (the translation computed it; the f-constancy term reads it again).
Transfers = collections.namedtuple("Transfers", ["from_source", "from_target", "source_features",
                                                 "target"])


def pretrained_encoder(name, image_shape):
    """f from a shipped classifier: images -> its penultimate features, frozen."""
    from zoo.metrics.classifier import FEATURE_LAYER, load_classifier

    classifier = load_classifier(name)
    if tuple(classifier.input.shape[1:]) != tuple(image_shape):
        raise ZooError(f"the {name} encoder takes images of shape {tuple(classifier.input.shape[1:])}, "
                       f"not {tuple(image_shape)}: pass encoder=None or a matching image_shape")
    encoder = keras.Model(classifier.input, classifier.get_layer(FEATURE_LAYER).output, name="encoder")
    encoder.trainable = False
    return encoder


@register_model("dtn")
class DTN(TranslationGAN):
    """Args (beyond TranslationGAN's): encoder (f: "mnist" or None), base_filters (of g and
    the discriminator), constancy_weight (alpha), identity_weight (beta)."""

    judged_domains = "b"  # one way: only the target domain has a discriminator

    def __init__(self, image_shape=(28, 28, 1), encoder="mnist", base_filters=64,
                 constancy_weight=15.0, identity_weight=15.0, pool_size=0, **kwargs):
        check_choice("encoder", encoder, ENCODERS)
        if not (constancy_weight >= 0 and identity_weight >= 0):
            raise ZooError("constancy_weight and identity_weight must be >= 0")
        self.encoder_name, self.base_filters = encoder, check_positive_int("base_filters", base_filters)
        self.constancy_weight, self.identity_weight = float(constancy_weight), float(identity_weight)
        super().__init__(image_shape=image_shape, pool_size=pool_size, **kwargs)

    def build_generator(self):
        if self.encoder_name is None:
            self.encoder = dcgan_discriminator(self.image_shape, self.base_filters,
                                               outputs=RANDOM_FEATURES, name="encoder")
            self.encoder.trainable = False
        else:
            self.encoder = pretrained_encoder(self.encoder_name, self.image_shape)
        self.decoder = dcgan_generator(self.encoder.output.shape[-1], self.image_shape,
                                       self.base_filters, name="decoder")
        images = keras.Input(self.image_shape, name="images")
        self.generator_ab = keras.Model(images, self.decoder(self.encoder(images)), name="generator_ab")
        return self.generator_ab

    def build_discriminator(self):
        self.discriminator_b = dcgan_discriminator(self.image_shape, self.base_filters,
                                                   name="discriminator_b", **self.discriminator_options())
        return self.discriminator_b

    def translators(self):
        return {"a2b": self.generator_ab}

    def get_config(self):
        return {**super().get_config(), "encoder": self.encoder_name,
                "base_filters": self.base_filters, "constancy_weight": self.constancy_weight,
                "identity_weight": self.identity_weight}

    # ----------------------------------------------------------------- training
    def fake_batch(self, real, training=True):
        source, target = real
        # G(x) = g(f(x)) taken in two parts, so that f(x) serves the constancy term as well.
        source_features = self.encoder(source, training=False)  # f is frozen
        return Transfers(from_source=self.decoder(source_features, training=training),
                         from_target=self.generator_ab(target, training=training),
                         source_features=source_features, target=target)

    @staticmethod
    def examples(batch):
        """The images the target domain's discriminator judges (what the penalties read): real
        target images, or the translated source images."""
        return batch.from_source if isinstance(batch, Transfers) else batch[1]

    # One discriminator, judging `examples`: the penalties of a one-network GAN.
    penalties = AdversarialModel.penalties

    def discriminator_loss(self, d, real, fake):
        target = d(real[1])
        real_target = 1.0 - self.label_smoothing
        shown = self.pools["b"].query(fake.from_source)
        return 0.5 * (self.adversarial_loss.discriminator(target, d(shown), real_target=real_target)
                      + self.adversarial_loss.discriminator(target, d(fake.from_target),
                                                            real_target=real_target))

    def generator_loss(self, d, fake):
        adversarial = (self.adversarial_loss.generator(d(fake.from_source))
                       + self.adversarial_loss.generator(d(fake.from_target)))
        constancy = losses.mean_squared_error(fake.source_features,
                                              self.encoder(fake.from_source, training=False))
        identity = losses.mean_squared_error(fake.target, fake.from_target)
        return adversarial + self.constancy_weight * constancy + self.identity_weight * identity


register_preset(Preset(
    name="dtn_mnist2bold", model="dtn", dataset="mnist2bold",
    model_kwargs=dict(image_shape=(28, 28, 1), encoder="mnist"),
    train=dict(batch_size=128, epochs=5, g_lr=2e-4, d_lr=2e-4, beta_1=0.5),
    metadata=dict(paper="Taigman et al. 2017, arXiv:1611.02200")))
