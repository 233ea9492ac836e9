"""UNIT: Liu, Breuel & Kautz 2017, "Unsupervised Image-to-Image Translation Networks"
(arXiv:1703.00848).

Two VAE-GANs, one per domain, tied by the shared-latent assumption: an image a of domain A and
its counterpart b of domain B have the same code z. Each domain has an encoder (E_a, E_b) and
a generator, its decoder (G_a, G_b). The assumption is built into the networks by sharing
weights: E_a and E_b share their last residual block(s), where the code is made, and G_a and
G_b their first, where it is read; the private layers before and after handle what is
particular to a domain (textures, colours). Translation is decoding in the other domain:
a -> G_b(E_a(a)), b -> G_a(E_b(b)).

The encoder outputs the mean of q(z | x) = N(E(x), I); training draws z = E(x) + eta,
eta ~ N(0, I), while translation (and the export) use the mean, so it is deterministic. With
the variance fixed, KL(q(z | x) || N(0, I)) is 0.5 |E(x)|^2.

Generator-side objective (the paper's eq. 1-5), for domain A, and the same with A and B swapped:
  GAN    lambda_0 = 10   D_a judges G_a(z_b), the translation of b ~ B, against real a.
  VAE    lambda_1 = 0.1  KL of q(z_a | a)
         lambda_2 = 100  |G_a(z_a) - a|_1, the reconstruction (a Laplacian likelihood)
  cycle  lambda_3 = 0.1  KL of q(z | a') for the translation a' = G_b(z_a), re-encoded by E_b
         lambda_4 = 100  |G_a(z) - a|_1 with z ~ q(z | a'): a, back from its translation
The discriminators' loss is the two domains' adversarial losses summed, on generated images
from a history pool, exactly as CycleGAN's.

Scales. Every term is an average per value, as in the authors' release: the L1 terms per
pixel, the KL per code value (0.5 mean E(x)^2) and the adversarial terms per patch score.
The code is a feature map (a quarter of the image's height and width, 4 * generator_filters
channels: a million values at 256x256), so a KL summed over it would swamp every other term and
change its meaning with the image size; per value, the paper's lambdas keep their balance.
The adversarial loss is least squares by default, as in the release (the paper writes the log
loss); zoo.losses' least-squares terms carry Mao et al.'s factor 1/2, which the release's do
not, so they are weighted 2 lambda_0 here and lambda_0 means what it means there.

Networks, after the paper's appendix, with `generator_filters` f: encoder conv 7x7 f, conv
3x3 2f stride 2, conv 3x3 4f stride 2 (each followed by a LeakyReLU, slope 0.2 here, and
unnormalised, as the paper lists them), then `residual_blocks` private residual blocks and
`shared_blocks` shared ones (3 + 1 in the paper); decoder the shared block(s), the private
ones, transposed convs 3x3 2f and f stride 2 (LeakyReLU), a 1x1 conv to the image's channels
and tanh. The residual blocks are CycleGAN's (zoo.layers.residual_block: reflection padding,
instance norm, ReLU inside).

What differs from the paper:
- the discriminators are CycleGAN's 70x70 PatchGAN, reused (the paper specifies its own
  stack of stride-2 convs), and see translations through CycleGAN's history pool, which the
  paper doesn't use (pool_size=0 turns it off);
- the least-squares adversarial loss (above), and reflection padding in place of zero padding;
- the paper's cycle loss also repeats the KL of the first code, lambda_3 KL(q(z_a | a)),
  which only raises that term's weight from lambda_1 to lambda_1 + lambda_3: it is left out,
  as in the release;
- the release's weight decay of 1e-4 is not applied (the zoo trains with plain Adam), and
  the presets train at 64 and 128 pixels rather than 256.
"""

import collections

import keras
import tensorflow as tf
from keras import layers

from zoo import losses
from zoo.checks import check_positive_int, check_weight
from zoo.core.translation import TranslationGAN
from zoo.errors import ZooError
from zoo.layers import ReflectionPadding2D, dcgan_init, residual_block
from zoo.models.cyclegan import patch_discriminator
from zoo.registry import Preset, register_model, register_preset

# zoo.losses halves the least-squares terms (Mao et al.); UNIT's release does not.
ADVERSARIAL_SCALE = {"least_squares": 2.0}

# A generated batch. Beside the translations (fake_a = G_a(z_b), fake_b = G_b(z_a)) and the
# real images: the codes' means E_a(a), E_b(b); the reconstructions G_a(z_a), G_b(z_b); the
# means of the translations' codes, code_fake_b = E_b(fake_b), code_fake_a = E_a(fake_a); and
# the images back from them, cycled_a = G_a(z ~ q(z | fake_b)), cycled_b likewise.
UnitBatch = collections.namedtuple("UnitBatch", [
    "fake_a", "fake_b", "real_a", "real_b", "code_a", "code_b",
    "reconstructed_a", "reconstructed_b", "code_fake_a", "code_fake_b", "cycled_a", "cycled_b"])


def shared_blocks_network(code_shape, blocks, name):
    """`blocks` residual blocks on the code, as one network: called in two encoders (or two
    decoders), its layers, and so its weights, are the same objects in both."""
    code = keras.Input(code_shape, name="code")
    x = code
    for _ in range(blocks):
        x = residual_block(x, code_shape[-1])
    return keras.Model(code, x, name=name)


def encoder(image_shape, filters, private_blocks, shared, name):
    """Images -> the mean of their code, [h/4, w/4, 4 filters]; `shared` makes the last layers."""
    images = keras.Input(image_shape, name="images")
    x = layers.Conv2D(filters, 7, kernel_initializer=dcgan_init())(ReflectionPadding2D(3)(images))
    x = layers.LeakyReLU(0.2)(x)
    for multiple in (2, 4):
        x = layers.Conv2D(filters * multiple, 3, strides=2, padding="same",
                          kernel_initializer=dcgan_init())(x)
        x = layers.LeakyReLU(0.2)(x)
    for _ in range(private_blocks):
        x = residual_block(x, filters * 4)
    return keras.Model(images, shared(x), name=name)


def decoder(code_shape, channels, filters, private_blocks, shared, name):
    """A code -> an image in [-1, 1]; `shared` makes the first layers."""
    code = keras.Input(code_shape, name="code")
    x = shared(code)
    for _ in range(private_blocks):
        x = residual_block(x, filters * 4)
    for multiple in (2, 1):
        x = layers.Conv2DTranspose(filters * multiple, 3, strides=2, padding="same",
                                   kernel_initializer=dcgan_init())(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Conv2D(channels, 1, kernel_initializer=dcgan_init())(x)
    return keras.Model(code, layers.Activation("tanh")(x), name=name)


def code_kl(mean):
    """KL(N(mean, I) || N(0, I)) per example, averaged over the code's values: 0.5 mean(mean^2)."""
    flat = tf.reshape(losses.full_precision(mean), [tf.shape(mean)[0], -1])
    size = tf.cast(tf.shape(flat)[1], flat.dtype)
    return losses.gaussian_kl(flat, tf.zeros_like(flat)) / size


@register_model("unit")
class UNIT(TranslationGAN):
    """Args (beyond TranslationGAN's): the weights gan_weight (lambda_0), kl_weight
    (lambda_1), reconstruction_weight (lambda_2), cycle_kl_weight (lambda_3), cycle_weight
    (lambda_4) (0 turns a term off); generator_filters, discriminator_filters; residual_blocks
    (private, in each encoder and each decoder) and shared_blocks (shared by the two
    encoders, and by the two decoders; at least 1)."""

    def __init__(self, image_shape=(256, 256, 3), gan_weight=10.0, kl_weight=0.1,
                 reconstruction_weight=100.0, cycle_kl_weight=0.1, cycle_weight=100.0,
                 generator_filters=64, discriminator_filters=64, residual_blocks=3,
                 shared_blocks=1, loss="least_squares", **kwargs):
        shape = tuple(image_shape)
        if len(shape) == 3 and (shape[0] % 4 or shape[1] % 4):  # other shapes: the base says
            raise ZooError(f"unit's encoders halve the image twice: height and width must be "
                           f"multiples of 4, got {shape}")
        weights = dict(gan_weight=gan_weight, kl_weight=kl_weight,
                       reconstruction_weight=reconstruction_weight,
                       cycle_kl_weight=cycle_kl_weight, cycle_weight=cycle_weight)
        for weight_name, value in weights.items():
            setattr(self, weight_name, check_weight(weight_name, value))
        self.generator_filters = check_positive_int("generator_filters", generator_filters, 1)
        self.discriminator_filters = check_positive_int("discriminator_filters", discriminator_filters, 1)
        self.residual_blocks = check_positive_int("residual_blocks", residual_blocks, 0)
        # Without a shared block the two domains' codes are tied by nothing.
        self.shared_blocks = check_positive_int("shared_blocks", shared_blocks, 1)
        super().__init__(image_shape=image_shape, loss=loss, **kwargs)

    # ----------------------------------------------------------------- networks
    @property
    def code_shape(self):
        height, width, _ = self.image_shape
        return (height // 4, width // 4, 4 * self.generator_filters)

    def build_generator(self):
        """E_a, E_b, G_a, G_b, with their shared blocks; then the translators composed of them."""
        code, shared = self.code_shape, self.shared_blocks
        self.shared_encoder = shared_blocks_network(code, shared, "shared_encoder")
        self.shared_decoder = shared_blocks_network(code, shared, "shared_decoder")
        f, blocks, channels = self.generator_filters, self.residual_blocks, self.image_shape[-1]
        self.encoder_a = encoder(self.image_shape, f, blocks, self.shared_encoder, "encoder_a")
        self.encoder_b = encoder(self.image_shape, f, blocks, self.shared_encoder, "encoder_b")
        self.decoder_a = decoder(code, channels, f, blocks, self.shared_decoder, "decoder_a")
        self.decoder_b = decoder(code, channels, f, blocks, self.shared_decoder, "decoder_b")
        return super().build_generator()  # generator_ab, generator_ba from build_translator

    def build_translator(self, name):
        """One direction on the mean code, without noise: what translation and the export use."""
        encode, decode = {"generator_ab": (self.encoder_a, self.decoder_b),
                          "generator_ba": (self.encoder_b, self.decoder_a)}[name]
        images = keras.Input(self.image_shape, name="images")
        return keras.Model(images, decode(encode(images)), name=name)

    def build_domain_discriminator(self, name):
        return patch_discriminator(self.image_shape, self.discriminator_filters, name,
                                   **self.discriminator_options())

    def get_config(self):
        return {**super().get_config(), "gan_weight": self.gan_weight, "kl_weight": self.kl_weight,
                "reconstruction_weight": self.reconstruction_weight,
                "cycle_kl_weight": self.cycle_kl_weight, "cycle_weight": self.cycle_weight,
                "generator_filters": self.generator_filters,
                "discriminator_filters": self.discriminator_filters,
                "residual_blocks": self.residual_blocks, "shared_blocks": self.shared_blocks}

    # ----------------------------------------------------------------- training
    def sample_code(self, mean):
        """A draw of q(z | x) = N(mean, I). Tests override this to pin the noise."""
        return mean + self.noise.normal(tf.shape(mean), dtype=mean.dtype)

    def fake_batch(self, real, training=True):
        """Everything the generator's loss reads, all drawn here, on the generator's tape."""
        a, b = real
        code_a = self.encoder_a(a, training=training)
        code_b = self.encoder_b(b, training=training)
        z_a, z_b = self.sample_code(code_a), self.sample_code(code_b)
        fake_b = self.decoder_b(z_a, training=training)
        fake_a = self.decoder_a(z_b, training=training)
        code_fake_b = self.encoder_b(fake_b, training=training)
        code_fake_a = self.encoder_a(fake_a, training=training)
        return UnitBatch(
            fake_a=fake_a, fake_b=fake_b, real_a=a, real_b=b, code_a=code_a, code_b=code_b,
            reconstructed_a=self.decoder_a(z_a, training=training),
            reconstructed_b=self.decoder_b(z_b, training=training),
            code_fake_a=code_fake_a, code_fake_b=code_fake_b,
            cycled_a=self.decoder_a(self.sample_code(code_fake_b), training=training),
            cycled_b=self.decoder_b(self.sample_code(code_fake_a), training=training))

    def generator_loss(self, d, fake):
        fake = tf.nest.map_structure(losses.full_precision, fake)
        score_a, score_b = d([fake.fake_a, fake.fake_b])
        adversarial = (self.adversarial_loss.generator(score_a)
                       + self.adversarial_loss.generator(score_b))
        kl = code_kl(fake.code_a) + code_kl(fake.code_b)
        reconstruction = (losses.mean_absolute_error(fake.reconstructed_a, fake.real_a)
                          + losses.mean_absolute_error(fake.reconstructed_b, fake.real_b))
        cycle_kl = code_kl(fake.code_fake_b) + code_kl(fake.code_fake_a)
        cycle = (losses.mean_absolute_error(fake.cycled_a, fake.real_a)
                 + losses.mean_absolute_error(fake.cycled_b, fake.real_b))
        return (self.gan_weight * ADVERSARIAL_SCALE.get(self.loss_name, 1.0) * adversarial
                + self.kl_weight * kl + self.reconstruction_weight * reconstruction
                + self.cycle_kl_weight * cycle_kl + self.cycle_weight * cycle)


_PAPER = dict(paper="Liu, Breuel & Kautz 2017, arXiv:1703.00848",
              epochs="200, as cyclegan's horse2zebra presets (the paper has no horse2zebra "
                     "run), at a constant learning rate")
for _side in (128, 64):  # smaller than the paper's 256, for machines without a GPU
    register_preset(Preset(
        name=f"unit_horse2zebra_{_side}", model="unit", dataset="horse2zebra",
        model_kwargs=dict(image_shape=(_side, _side, 3)),
        train=dict(epochs=200, image_size=_side, batch_size=1, g_lr=1e-4, d_lr=1e-4, beta_1=0.5),
        metadata=_PAPER))
