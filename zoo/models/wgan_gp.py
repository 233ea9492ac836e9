"""WGAN-GP: Gulrajani et al. 2017, "Improved Training of Wasserstein GANs".

Weight clipping biases the critic towards simple functions and explodes or vanishes its
gradients; WGAN-GP keeps the critic 1-Lipschitz softly instead, with the penalty
lambda (||grad f(x_hat)|| - 1)^2 at random interpolates x_hat between real and generated
examples (zoo.losses.gradient_penalty). The paper's settings: lambda = 10, n_critic = 5,
Adam(1e-4, beta_1=0, beta_2=0.9), and no batch norm in the critic (the penalty is per
example, and batch norm couples the examples): layer norm in its place.
"""

from zoo.core import StandardGAN
from zoo.mixture_presets import MIXTURE_NETWORKS, register_mixture_presets
from zoo.registry import Preset, register_model, register_preset

PAPER = "Gulrajani et al. 2017, arXiv:1704.00028"


@register_model("wgan_gp")
class WGANGP(StandardGAN):
    default_d_normalization = "layer"  # no batch norm in the critic (see above)

    def __init__(self, loss="wasserstein", d_steps=5, gradient_penalty=10.0, **kwargs):
        super().__init__(loss=loss, d_steps=d_steps, gradient_penalty=gradient_penalty, **kwargs)


_ADAM = dict(g_lr=1e-4, d_lr=1e-4, beta_1=0.0, beta_2=0.9)
register_preset(Preset(
    name="wgan_gp_mnist", model="wgan_gp", dataset="mnist",
    model_kwargs=dict(image_shape=(28, 28, 1), latent_dim=100),
    train=dict(batch_size=64, epochs=20, **_ADAM), metadata=dict(paper=PAPER)))
register_mixture_presets("wgan_gp", MIXTURE_NETWORKS, _ADAM, paper=PAPER)
