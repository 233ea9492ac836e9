"""DCGAN: Radford, Metz & Chintala 2016, "Unsupervised Representation Learning with Deep
Convolutional Generative Adversarial Networks".

The paper's guidelines: strided (transposed) convolutions instead of pooling, batch norm in
both networks (not on D's input layer nor G's output), ReLU in G with tanh output,
LeakyReLU(0.2) in D, weights from N(0, 0.02), Adam(2e-4, beta_1=0.5), batch 128. The
networks adapt to 28x28x1, 32x32x3, 64x64x3 and other sides of 4*2^n or 7*2^n.
"""

from zoo.core import StandardGAN
from zoo.networks import dcgan_geometry
from zoo.registry import Preset, register_model, register_preset


@register_model("dcgan")
class DCGAN(StandardGAN):
    """The DCGAN networks (zoo.core.StandardGAN's for images) with any adversarial loss,
    the paper's by default; `loss="hinge"` with `spectral_norm=True, d_normalization="none"`
    gives the SN-GAN objective and discriminator (Miyato et al. 2018)."""

    def __init__(self, image_shape=(64, 64, 3), latent_dim=100, base_filters=64, **kwargs):
        dcgan_geometry(tuple(image_shape))  # images only: points have zoo.models.gan
        super().__init__(image_shape=image_shape, latent_dim=latent_dim,
                         base_filters=base_filters, **kwargs)


_PAPER = dict(paper="Radford et al. 2016, arXiv:1511.06434")
_ADAM = dict(g_lr=2e-4, d_lr=2e-4, beta_1=0.5)
register_preset(Preset(
    name="dcgan_mnist", model="dcgan", dataset="mnist",
    # TF-GAN's unconditional MNIST learning rates (G 1e-3, D 1e-4) in place of the paper's 2e-4
    # for both, and the generator's moving average: see docs/presets.md for what each changed.
    model_kwargs=dict(image_shape=(28, 28, 1), latent_dim=100, ema_decay=0.999),
    train=dict(batch_size=128, epochs=20, g_lr=1e-3, d_lr=1e-4, beta_1=0.5),
    # Shipped: the averaged generator, stored as float16; scores from
    # `python -m benchmarks.quality --preset=dcgan_mnist` on the shipped weights (real-vs-real
    # floor: FID 1.169, precision 0.858, recall 0.884).
    weights="dcgan_mnist",
    sha256="44f706c0f539ab5123cc189384607ca887ebe1c369231d10fa30633fc154bc67",
    metadata=dict(**_PAPER, trained_with="python train.py --preset=dcgan_mnist --seed=0",
                  hardware="2 CPU cores (no GPU) shared with another run and tests: 20 epochs in "
                           "104 minutes",
                  limits="About a fifth of the samples sit between digit classes (78% are read "
                         "with p >= 0.9; benchmarks/results/cause_dcgan_mnist.md measures why), "
                         "the nines are over-represented (15.0% of samples), and the classifier "
                         "FID is far from the zoo's target of 3.5 (issue 21).",
                  scores=dict(classifier_fid=57.741, kid=12.814, precision=0.532, recall=0.821,
                              classes_present=10, class_entropy=2.280, confident_share=0.780))))
register_preset(Preset(
    name="dcgan_cifar10", model="dcgan", dataset="cifar10",
    model_kwargs=dict(image_shape=(32, 32, 3), latent_dim=100),
    train=dict(batch_size=128, epochs=50, **_ADAM), metadata=_PAPER))
register_preset(Preset(
    name="dcgan_celeb_a_64", model="dcgan", dataset="celeb_a",
    model_kwargs=dict(image_shape=(64, 64, 3), latent_dim=100),
    train=dict(batch_size=128, epochs=20, image_size=64, **_ADAM), metadata=_PAPER))
