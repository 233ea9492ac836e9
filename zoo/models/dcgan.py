"""DCGAN: Radford, Metz & Chintala 2016, "Unsupervised Representation Learning with Deep
Convolutional Generative Adversarial Networks".

The paper's guidelines: strided (transposed) convolutions instead of pooling, batch norm in
both networks (not on D's input layer nor G's output), ReLU in G with tanh output,
LeakyReLU(0.2) in D, weights from N(0, 0.02), Adam(2e-4, beta_1=0.5), batch 128. The
networks adapt to 28x28x1, 32x32x3, 64x64x3 and other sides of 4*2^n or 7*2^n.
"""

from zoo.core import BaseGAN
from zoo.networks import dcgan_discriminator, dcgan_generator, dcgan_geometry
from zoo.registry import Preset, register_model, register_preset


@register_model("dcgan")
class DCGAN(BaseGAN):
    def __init__(self, image_shape=(64, 64, 3), latent_dim=100, base_filters=64, **kwargs):
        self.image_shape = tuple(image_shape)
        dcgan_geometry(self.image_shape)  # refuse an unbuildable shape before building anything
        self.base_filters = base_filters
        super().__init__(latent_dim=latent_dim, **kwargs)

    def build_generator(self):
        return dcgan_generator(self.latent_dim, self.image_shape, self.base_filters)

    def build_discriminator(self):
        return dcgan_discriminator(self.image_shape, self.base_filters)

    def get_config(self):
        return {**super().get_config(), "image_shape": self.image_shape,
                "base_filters": self.base_filters}


_PAPER = dict(paper="Radford et al. 2016, arXiv:1511.06434")
_ADAM = dict(g_lr=2e-4, d_lr=2e-4, beta_1=0.5)
register_preset(Preset(
    name="dcgan_mnist", model="dcgan", dataset="mnist",
    model_kwargs=dict(image_shape=(28, 28, 1), latent_dim=100),
    train=dict(batch_size=128, epochs=20, **_ADAM),
    # Shipped: trained here (2 CPU cores, 20 epochs in 21 minutes alongside other jobs),
    # generator stored as float16; scores from `python -m benchmarks.quality --preset=dcgan_mnist`
    # on the shipped weights (real-vs-real floor: FID 1.169, precision 0.858, recall 0.884).
    weights="dcgan_mnist",
    sha256="c175e47269f000d4c5aaf4d4f61c2ebffe71ecc379957fafe33fa636a8985d81",
    metadata=dict(**_PAPER, trained_with="python train.py --preset=dcgan_mnist --seed=0",
                  scores=dict(classifier_fid=79.918, kid=16.458, precision=0.525, recall=0.79,
                              classes_present=10, class_entropy=2.262, confident_share=0.755))))
register_preset(Preset(
    name="dcgan_cifar10", model="dcgan", dataset="cifar10",
    model_kwargs=dict(image_shape=(32, 32, 3), latent_dim=100),
    train=dict(batch_size=128, epochs=50, **_ADAM), metadata=_PAPER))
register_preset(Preset(
    name="dcgan_celeb_a_64", model="dcgan", dataset="celeb_a",
    model_kwargs=dict(image_shape=(64, 64, 3), latent_dim=100),
    train=dict(batch_size=128, epochs=20, image_size=64, **_ADAM), metadata=_PAPER))
