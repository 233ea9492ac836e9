"""WGAN: Arjovsky, Chintala & Bottou 2017, "Wasserstein GAN".

The discriminator becomes a critic with a linear output whose difference of means on real
and generated data estimates the Wasserstein-1 distance, provided the critic stays
K-Lipschitz: here by clipping its weights into [-0.01, 0.01] after every update. The paper's
settings: n_critic = 5 critic updates per generator update, RMSprop with learning rate 5e-5,
minibatches of 64. Its loss keeps giving G useful gradients when the critic wins.
"""

from zoo.core import StandardGAN
from zoo.mixture_presets import MIXTURE_NETWORKS, register_mixture_presets
from zoo.registry import Preset, register_model, register_preset

PAPER = "Arjovsky et al. 2017, arXiv:1701.07875"


@register_model("wgan")
class WGAN(StandardGAN):
    def __init__(self, loss="wasserstein", d_steps=5, clip_value=0.01, **kwargs):
        super().__init__(loss=loss, d_steps=d_steps, clip_value=clip_value, **kwargs)


_RMSPROP = dict(optimizer="rmsprop", g_lr=5e-5, d_lr=5e-5)
register_preset(Preset(
    name="wgan_mnist", model="wgan", dataset="mnist",
    model_kwargs=dict(image_shape=(28, 28, 1), latent_dim=100),
    train=dict(batch_size=64, epochs=20, **_RMSPROP), metadata=dict(paper=PAPER)))
register_mixture_presets("wgan", MIXTURE_NETWORKS, _RMSPROP, paper=PAPER)
