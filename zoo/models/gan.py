"""The original GAN: Goodfellow et al. 2014, "Generative Adversarial Nets".

MNIST networks as in the paper's experiments: a generator of rectified linear layers
(1200, 1200) and a discriminator of maxout layers (240 units x 5 pieces, twice) trained with
dropout. The output layer is tanh rather than the paper's sigmoid so that images share the
zoo's [-1, 1] range. Both generator objectives are available: the minimax
log(1 - D(G(z))) and the non-saturating -log D(G(z)) that the paper recommends in practice
(the default), plus one-sided label smoothing and k = d_steps.
"""

from zoo.core import BaseGAN
from zoo.networks import mlp_discriminator, mlp_generator
from zoo.registry import Preset, register_model, register_preset


@register_model("gan")
class GAN(BaseGAN):
    def __init__(self, image_shape=(28, 28, 1), latent_dim=100, g_hidden=(1200, 1200),
                 d_hidden=(240, 240), maxout_pieces=5, input_dropout=0.2, dropout=0.5, **kwargs):
        self.image_shape = tuple(image_shape)
        self.g_hidden = tuple(g_hidden)
        self.d_hidden = tuple(d_hidden)
        self.maxout_pieces = maxout_pieces
        self.input_dropout = input_dropout
        self.dropout = dropout
        super().__init__(latent_dim=latent_dim, **kwargs)

    def build_generator(self):
        return mlp_generator(self.latent_dim, self.image_shape, hidden=self.g_hidden)

    def build_discriminator(self):
        return mlp_discriminator(self.image_shape, hidden=self.d_hidden, activation="maxout",
                                 maxout_pieces=self.maxout_pieces,
                                 input_dropout=self.input_dropout, dropout=self.dropout)

    def get_config(self):
        return {**super().get_config(), "image_shape": self.image_shape,
                "g_hidden": self.g_hidden, "d_hidden": self.d_hidden,
                "maxout_pieces": self.maxout_pieces, "input_dropout": self.input_dropout,
                "dropout": self.dropout}


register_preset(Preset(
    name="gan_mnist", model="gan", dataset="mnist",
    model_kwargs=dict(image_shape=(28, 28, 1), latent_dim=100, label_smoothing=0.1),
    # The paper used SGD with momentum; this preset uses Adam(2e-4, beta_1=0.5), the DCGAN
    # paper's setting, which later GAN work adopted.
    train=dict(batch_size=100, epochs=30, g_lr=2e-4, d_lr=2e-4, beta_1=0.5),
    metadata=dict(paper="Goodfellow et al. 2014, arXiv:1406.2661"),
))
