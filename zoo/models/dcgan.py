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
    # for both, the generator's moving average, and 100 epochs: see docs/presets.md for what
    # each changed.
    model_kwargs=dict(image_shape=(28, 28, 1), latent_dim=100, ema_decay=0.999),
    train=dict(batch_size=128, epochs=100, g_lr=1e-3, d_lr=1e-4, beta_1=0.5),
    # Shipped: the averaged generator, stored as float16; scores from
    # `python -m benchmarks.quality --preset=dcgan_mnist` on the shipped weights.
    weights="dcgan_mnist",
    sha256="24bae752a865e272be83270b369c81f78d5f116208037a4971d6016d9eb428ff",
    metadata=dict(**_PAPER, trained_with="python train.py --preset=dcgan_mnist --seed=0",
                  hardware="2 CPU cores (no GPU), often shared with tests or another run: 100 "
                           "epochs in 80 minutes of epoch time, across three sessions (stopped "
                           "and continued with --resume at epochs 20 and 72)",
                  limits="About a sixth of the samples sit between digit classes (82.8% are read "
                         "with p >= 0.9; benchmarks/results/cause_dcgan_mnist.md measures why), "
                         "the digit shares run from 7.8% (twos) to 12.8% (nines), and the "
                         "classifier FID is far from the zoo's target of 3.5 (issue 21).",
                  scores=dict(classifier_fid=27.895, kid=6.024, precision=0.599, recall=0.831,
                              classes_present=10, class_entropy=2.294, confident_share=0.828))))
register_preset(Preset(
    name="dcgan_cifar10", model="dcgan", dataset="cifar10",
    model_kwargs=dict(image_shape=(32, 32, 3), latent_dim=100),
    train=dict(batch_size=128, epochs=50, **_ADAM), metadata=_PAPER))
register_preset(Preset(
    name="dcgan_celeb_a_64", model="dcgan", dataset="celeb_a",
    model_kwargs=dict(image_shape=(64, 64, 3), latent_dim=100),
    train=dict(batch_size=128, epochs=20, image_size=64, **_ADAM), metadata=_PAPER))
