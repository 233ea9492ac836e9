"""LSGAN: Mao et al. 2017, "Least Squares Generative Adversarial Networks".

Least-squares losses in place of the log loss (zoo.losses, the 0-1 coding a=0, b=c=1):
samples on the right side of the decision boundary but far from the data are still
penalised, so G's gradients do not vanish when D wins, and minimising the objective
minimises a Pearson chi^2 divergence. The paper trains with Adam(2e-4, beta_1=0.5).
"""

from zoo.core import StandardGAN
from zoo.mixture_presets import MIXTURE_NETWORKS, register_mixture_presets
from zoo.registry import Preset, register_model, register_preset

PAPER = "Mao et al. 2017, arXiv:1611.04076"


@register_model("lsgan")
class LSGAN(StandardGAN):
    def __init__(self, loss="least_squares", **kwargs):
        super().__init__(loss=loss, **kwargs)


register_preset(Preset(
    name="lsgan_mnist", model="lsgan", dataset="mnist",
    model_kwargs=dict(image_shape=(28, 28, 1), latent_dim=100),
    train=dict(batch_size=64, epochs=20, g_lr=2e-4, d_lr=2e-4, beta_1=0.5),
    metadata=dict(paper=PAPER)))
register_mixture_presets("lsgan", MIXTURE_NETWORKS, dict(g_lr=1e-4, d_lr=1e-4, beta_1=0.8),
                         paper=PAPER)
