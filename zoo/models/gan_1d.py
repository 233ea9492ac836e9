"""The 1-D toy: a GAN learns N(4, 1.25^2) from uniform noise with small MLPs.

The classic first experiment (the setting of Goodfellow et al.'s Figure 1, popularised by
many tutorials): one-dimensional data, so the generated distribution can be read off as a
mean, a standard deviation and a Kolmogorov-Smirnov distance. A plain discriminator that
judges one sample at a time lets G match the mean and collapse the spread; the minibatch
standard deviation feature (Karras et al. 2018) shows D the spread of each batch, which is
what makes the standard deviation come out right.

The noise is 4-D uniform, U(-1, 1)^4. From 1-D uniform noise G has to learn the Gaussian's
inverse CDF, whose steep ends (the tails) the adversarial signal barely reaches: mean and
spread come out right but the tails stay clipped (KS distance ~0.07). With a few uniform
inputs the MLP has an easier map to learn and the KS distance drops to ~0.02. The learning
rate decays linearly to 0 over the run, which settles the oscillation of the last steps.
"""

from zoo.core import BaseGAN
from zoo.networks import mlp_discriminator, mlp_generator
from zoo.registry import Preset, register_model, register_preset


@register_model("gan_1d")
class GAN1D(BaseGAN):
    def __init__(self, latent_dim=4, hidden=(32, 32), minibatch_stddev=True,
                 latent_distribution="uniform", **kwargs):
        self.hidden = tuple(hidden)
        super().__init__(latent_dim=latent_dim, latent_distribution=latent_distribution,
                         minibatch_stddev=minibatch_stddev, **kwargs)

    def build_generator(self):
        return mlp_generator(self.latent_dim, (1,), hidden=self.hidden,
                             activation="tanh", output_activation=None)

    def build_discriminator(self):
        return mlp_discriminator(self.packed_shape((1,)), hidden=self.hidden, activation="tanh",
                                 **self.discriminator_options())

    def get_config(self):
        return {**super().get_config(), "hidden": self.hidden}


register_preset(Preset(
    name="gan_1d_gaussian_1d", model="gan_1d", dataset="gaussian_1d",
    model_kwargs=dict(latent_dim=4, hidden=(32, 32)),
    train=dict(batch_size=256, epochs=20, steps_per_epoch=400, g_lr=1e-3, d_lr=1e-3, beta_1=0.5,
               lr_decay="linear", steps_per_execution=50),
    metadata=dict(target="mean 4, std 1.25")))
