"""EBGAN: Zhao, Mathieu & LeCun 2017, "Energy-based Generative Adversarial Network".

The discriminator is an autoencoder and its reconstruction error is an energy, low on the
data and high elsewhere (the seeds' "cost network"): L_D = C(x) + [m - C(G(z))]^+ with a
margin m, and L_G = C(G(z)). The pull-away term, weighted 0.1 in the paper, pushes the
encoder's codes of a generated batch apart from each other, against mode collapse.

Energies here are mean squared errors per example (per coordinate), so a margin means the
same for images in [-1, 1] and for points. The encoder is the variant's discriminator
network with `code_dim` outputs and the decoder its generator network from the code.
"""

import tensorflow as tf

from zoo import losses
from zoo.core import StandardGAN
from zoo.errors import ZooError
from zoo.networks import autoencoder, dcgan_generator, mlp_generator
from zoo.mixture_presets import MIXTURE_NETWORKS, register_mixture_presets
from zoo.registry import Preset, register_model, register_preset
from zoo.remedies import ALL_REMEDIES

PAPER = "Zhao et al. 2017, arXiv:1609.03126"


@register_model("ebgan")
class EBGAN(StandardGAN):
    custom_loss = "energy"
    remedies = ALL_REMEDIES - {"label_smoothing"}
    remedies_refused_because = "the energy loss has no targets to smooth"

    def __init__(self, margin=1.0, pull_away=0.1, code_dim=32, loss="energy", **kwargs):
        if loss != "energy":
            raise ZooError(f"ebgan trains on its own energy loss, not {loss!r}: drop --loss")
        if not margin > 0:
            raise ZooError(f"margin must be positive, got {margin!r}")
        self.margin = float(margin)
        self.pull_away = float(pull_away)
        self.code_dim = int(code_dim)
        super().__init__(loss=loss, **kwargs)

    def build_discriminator(self):
        encoder = super().build_discriminator(outputs=self.code_dim, name="encoder")
        shape = self.packed_shape(self.image_shape)
        if self.for_points:
            decoder = mlp_generator(self.code_dim, shape, hidden=self.d_hidden[::-1],
                                    output_activation=None, name="decoder")
        else:
            decoder = dcgan_generator(self.code_dim, shape, self.base_filters, name="decoder")
        return autoencoder(encoder, decoder)

    def energy_and_code(self, d, packed, training=True):
        reconstruction, code = d(packed, training=training)
        return losses.per_example(tf.square(reconstruction - losses.full_precision(packed))), code

    def critic(self, d, packed, training=True):
        """The energy: what the penalties (and the unrolled steps) read of this D."""
        return self.energy_and_code(d, packed, training)[0]

    def discriminator_loss(self, d, real, fake):
        return losses.ebgan_discriminator_loss(self.discriminate(d, real),
                                               self.discriminate(d, fake), self.margin)

    def generator_loss(self, d, fake):
        energy, code = self.energy_and_code(d, self.pack_examples(fake))
        loss = losses.ebgan_generator_loss(energy)
        if self.pull_away:
            loss += self.pull_away * losses.pull_away_term(code)
        return loss

    def get_config(self):
        return {**super().get_config(), "margin": self.margin, "pull_away": self.pull_away,
                "code_dim": self.code_dim}


register_preset(Preset(
    name="ebgan_mnist", model="ebgan", dataset="mnist",
    # A margin of 0.1 (mean squared error per pixel): at 1.0 D pushes every generated image to
    # that energy within a few hundred steps and G collapses onto one grey image for good
    # (benchmarks/results/loss_family_full_mnist.md measures margins 0.03 to 3).
    model_kwargs=dict(image_shape=(28, 28, 1), latent_dim=100, margin=0.1),
    train=dict(batch_size=64, epochs=20, g_lr=2e-4, d_lr=2e-4, beta_1=0.5),
    metadata=dict(paper=PAPER)))
register_mixture_presets("ebgan", dict(MIXTURE_NETWORKS, margin=1.0),
                         dict(g_lr=1e-4, d_lr=1e-4, beta_1=0.8), paper=PAPER)
