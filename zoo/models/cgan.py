"""cGAN: Mirza & Osindero 2014, "Conditional Generative Adversarial Nets", with the
matching-aware discriminator of Reed et al. 2016, "Generative Adversarial Text to Image
Synthesis" (GAN-CLS).

G(z, c) draws an image of class c; D judges pairs (x, c). A plain cGAN's D sees two kinds of
pair: (real x, its c), positive, and (G(z, c), c), negative. It can then accept a realistic
image whatever label it comes with, and G is not pushed to honour c. The matching-aware D
sees a third: (real x, a mismatched c), negative too, so it must judge whether x matches c.

Two discriminator designs, as the seeds compare them:
- `discriminator="joint"`: one score s(x, c) for "real and matching". The label, one-hot,
  joins the DCGAN features before a hidden layer. GAN-CLS's loss, for any adversarial loss
  L_D(real, fake) of zoo.losses: (1 - w) L_D(s(x, c), s(G(z, c), c)) + w L_D(s(x, c), s(x, c')),
  w = `mismatch_weight` (1/2 in the paper, where the loss is log s_r + (log(1 - s_w) + log(1 - s_f)) / 2).
- `discriminator="projection"`: separate outputs for realness r(x) and for the match of x
  and c, m(x, c) = embed(c) . phi(x), the projection term of Miyato & Koyama 2018. r is trained
  on real against generated images; m on (x, c) against (x, c'), weighted 2w; G raises both
  r and m of its samples. A low realness and a low match can be told apart. The penalties
  read r + m, the projection discriminator's score.
"""

import keras
from keras import layers

from zoo import losses
from zoo.checks import check_choice
from zoo.choices import CGAN_DISCRIMINATORS
from zoo.core.conditional import ConditionalGAN
from zoo.errors import ZooError
from zoo.layers import dcgan_init
from zoo.networks import (dcgan_discriminator, dense_head, label_input,
                          matching_discriminator)
from zoo.registry import Preset, register_model, register_preset


def projection_discriminator(features, num_classes, spectral_norm=False):
    """[r(x), m(x, c)]: a realness logit and the projection embed(c) . phi(x)."""
    x_in, label = keras.Input(features.input.shape[1:], name="x"), label_input()
    phi = features(x_in)
    embedding = layers.Embedding(num_classes, phi.shape[-1], embeddings_initializer=dcgan_init())
    match = layers.Dot(axes=1)([embedding(label), phi])
    return keras.Model([x_in, label], [dense_head(1, spectral_norm)(phi), match],
                       name="discriminator")


@register_model("cgan")
class CGAN(ConditionalGAN):
    """Args (beyond ConditionalGAN's): discriminator ("joint" or "projection") and
    mismatch_weight (w above; 0 gives the plain cGAN without mismatched pairs)."""

    def __init__(self, discriminator="joint", mismatch_weight=0.5, **kwargs):
        check_choice("discriminator", discriminator, CGAN_DISCRIMINATORS)
        if not 0.0 <= mismatch_weight <= 1.0:
            raise ZooError(f"mismatch_weight must lie in [0, 1], got {mismatch_weight!r}")
        self.design = discriminator
        self.mismatch_weight = float(mismatch_weight)
        super().__init__(**kwargs)

    def build_discriminator(self):
        features = dcgan_discriminator(self.image_shape, self.base_filters, self.d_normalization,
                                       outputs=None, name="features",
                                       **self.discriminator_options())
        build = matching_discriminator if self.design == "joint" else projection_discriminator
        return build(features, self.num_classes, self.spectral_norm)

    def critic(self, d, inputs, training=True):
        """The one score of the joint design; the projection design's realness and match
        logits, summed."""
        outputs = d(inputs, training=training)
        return outputs[0] + outputs[1] if self.design == "projection" else outputs

    def discriminator_loss(self, d, real, fake):
        (images, labels), (fakes, _) = real, fake
        mismatched = self.mismatched_labels(labels)
        d_loss, w = self.adversarial_loss.discriminator, self.mismatch_weight
        target = 1.0 - self.label_smoothing
        if self.design == "joint":
            return losses.matching_aware_discriminator_loss(
                d_loss, d([images, labels]), d([fakes, labels]),
                d([images, mismatched]) if w else None, w, real_target=target)
        (realness, match), (fake_realness, _) = d([images, labels]), d([fakes, labels])
        loss = d_loss(realness, fake_realness, real_target=target)
        if w:
            _, mismatch = d([images, mismatched])
            loss += 2.0 * w * losses.gan_discriminator_loss(match, mismatch)
        return loss

    def generator_loss(self, d, fake):
        fakes, labels = fake
        if self.design == "joint":
            return self.adversarial_loss.generator(d([fakes, labels]))
        realness, match = d([fakes, labels])
        loss = self.adversarial_loss.generator(realness)
        if self.mismatch_weight:
            loss += 2.0 * self.mismatch_weight * losses.non_saturating_generator_loss(match)
        return loss

    def get_config(self):
        return {**super().get_config(), "discriminator": self.design,
                "mismatch_weight": self.mismatch_weight}


_PAPERS = dict(paper="Mirza & Osindero 2014, arXiv:1411.1784; matching-aware D: Reed et al. "
                     "2016, arXiv:1605.05396; projection: Miyato & Koyama 2018, arXiv:1802.05637")
# Shipped: cgan_mnist, the averaged generator stored as float16; scores from `python -m
# benchmarks.quality --preset=cgan_mnist` and `python -m benchmarks.conditional
# --shipped=cgan_mnist`. Its recipe adds to the DCGAN paper's rates the R1 penalty (Mescheder
# et al. 2018, its gamma of 10), rates decayed to 0 over the second half, and the generator's
# average: benchmarks/results/r1_mnist.md measures what R1 changed.
_SHIPPED = {"cgan_mnist": dict(
    weights="cgan_mnist", sha256="f134ce7a382b82331bad4de2e8b39299cc4d7f756745e13c21914ad870428618",
    trained_with="python train.py --preset=cgan_mnist --seed=0 --ema_decay=0.999 --r1_gamma=10 "
                 "--lr_decay=linear_second_half --eval_every=1 --epochs=20",
    hardware="2 CPU cores (no GPU): 20 epochs in 81 minutes on one thread, beside another run",
    limits="Recall 0.74 (real digits: 0.88): each digit's samples are less varied than the "
           "real ones of it. One seed's run.",
    scores=dict(classifier_fid=2.973, kid=0.245, precision=0.856, recall=0.737,
                classes_present=10, class_entropy=2.303, confident_share=0.999,
                label_accuracy=0.9998, worst_class_accuracy=0.999))}
# Both designs train on the shipped recipe, so benchmarks.conditional compares the designs alone
# (and clustered_gan_mnist trains on it too).
MNIST_RECIPE_MODEL = dict(r1_gamma=10.0, ema_decay=0.999)
MNIST_RECIPE_TRAIN = dict(batch_size=128, epochs=20, g_lr=2e-4, d_lr=2e-4, beta_1=0.5,
                          lr_decay="linear_second_half")
for _design, _suffix in (("joint", ""), ("projection", "_projection")):
    _name = f"cgan{_suffix}_mnist"
    _shipped = dict(_SHIPPED.get(_name, {}))
    register_preset(Preset(
        name=_name, model="cgan", dataset="mnist",
        model_kwargs=dict(image_shape=(28, 28, 1), latent_dim=100, num_classes=10,
                          discriminator=_design, **MNIST_RECIPE_MODEL),
        train=dict(MNIST_RECIPE_TRAIN),
        weights=_shipped.pop("weights", None), sha256=_shipped.pop("sha256", None),
        metadata=dict(_PAPERS, **_shipped)))
