"""The original GAN: Goodfellow et al. 2014, "Generative Adversarial Nets".

MNIST networks as in the paper's experiments: a generator of rectified linear layers
(1200, 1200) and a discriminator of maxout layers (240 units x 5 pieces, twice) trained with
dropout. The output layer is tanh rather than the paper's sigmoid so that images share the
zoo's [-1, 1] range (None for points, such as the 2-D mixtures); G's batch norm is an option (the
2-D mixture presets use it, as PacGAN did). Both generator objectives are available: the minimax
log(1 - D(G(z))) and the non-saturating -log D(G(z)) that the paper recommends in practice
(the default), plus one-sided label smoothing and k = d_steps.
"""

from zoo.core import BaseGAN
from zoo.networks import mlp_discriminator, mlp_generator
from zoo.mixture_presets import MIXTURE_NETWORKS, MIXTURE_REMEDIES, register_mixture_presets
from zoo.registry import Preset, register_model, register_preset


@register_model("gan")
class GAN(BaseGAN):
    def __init__(self, image_shape=(28, 28, 1), latent_dim=100, g_hidden=(1200, 1200),
                 d_hidden=(240, 240), maxout_pieces=5, input_dropout=0.2, dropout=0.5,
                 output_activation="tanh", g_batch_norm=False, **kwargs):
        self.image_shape = tuple(image_shape)
        self.g_batch_norm = g_batch_norm
        self.output_activation = output_activation
        self.g_hidden = tuple(g_hidden)
        self.d_hidden = tuple(d_hidden)
        self.maxout_pieces = maxout_pieces
        self.input_dropout = input_dropout
        self.dropout = dropout
        super().__init__(latent_dim=latent_dim, **kwargs)

    def build_generator(self):
        return mlp_generator(self.latent_dim, self.image_shape, hidden=self.g_hidden,
                             output_activation=self.output_activation,
                             normalize=self.g_batch_norm)

    def build_discriminator(self):
        return mlp_discriminator(self.packed_shape(self.image_shape), hidden=self.d_hidden,
                                 activation="maxout", maxout_pieces=self.maxout_pieces,
                                 input_dropout=self.input_dropout, dropout=self.dropout,
                                 **self.discriminator_options())

    def get_config(self):
        return {**super().get_config(), "image_shape": self.image_shape,
                "g_hidden": self.g_hidden, "d_hidden": self.d_hidden,
                "maxout_pieces": self.maxout_pieces, "input_dropout": self.input_dropout,
                "dropout": self.dropout, "output_activation": self.output_activation,
                "g_batch_norm": self.g_batch_norm}


register_preset(Preset(
    name="gan_mnist", model="gan", dataset="mnist",
    model_kwargs=dict(image_shape=(28, 28, 1), latent_dim=100, label_smoothing=0.1),
    # The paper used SGD with momentum; this preset uses Adam(2e-4, beta_1=0.5), the DCGAN
    # paper's setting, which later GAN work adopted.
    train=dict(batch_size=100, epochs=30, g_lr=2e-4, d_lr=2e-4, beta_1=0.5),
    # Shipped: the generator stored as float16; scores from `python -m benchmarks.quality
    # --preset=gan_mnist` on the shipped weights.
    weights="gan_mnist",
    sha256="eb1f1a6b76338c0a6c39ad3545b28a93037b7e99db323722a56c54394a2c55ba",
    metadata=dict(paper="Goodfellow et al. 2014, arXiv:1406.2661",
                  trained_with="python train.py --preset=gan_mnist --seed=0",
                  hardware="2 CPU cores (no GPU) alongside other jobs: 30 epochs in 11 minutes",
                  limits="The paper's MLPs draw speckled strokes; recall 0.46: the samples cover "
                         "less than half of the real digits' variety.",
                  scores=dict(classifier_fid=58.032, kid=12.253, precision=0.794, recall=0.462,
                              classes_present=10, class_entropy=2.289, confident_share=0.81)),
))

# The 2-D mixtures, with the maxout D (no dropout) and Adam(1e-4, beta_1=0.8) of PacGAN's
# setting. Without G's batch norm, G collapsed here to one point between two modes in every
# run tried. The remedies' presets (gan_pack4_grid25, ...) add one option each.
_MIXTURE_GAN = dict(MIXTURE_NETWORKS, input_dropout=0.0, dropout=0.0, output_activation=None)
_MIXTURE_ADAM = dict(g_lr=1e-4, d_lr=1e-4, beta_1=0.8)
for _suffix, _remedy in MIXTURE_REMEDIES.items():
    register_mixture_presets("gan", dict(_MIXTURE_GAN, **_remedy), _MIXTURE_ADAM,
                             paper="Goodfellow et al. 2014, arXiv:1406.2661", suffix=_suffix)

# The zoo's recommendation against mode collapse on the mixtures: the R1 penalty on D (Mescheder
# et al. 2018) with ten times PacGAN's learning rate, Adam's beta_1 at 0.5, decayed linearly
# to 0 over 120,000 generator steps on both mixtures (under a third of PacGAN's; the samples
# keep sharpening with length), chosen from the search in docs/mode_collapse.md.
register_mixture_presets(
    "gan", dict(_MIXTURE_GAN, r1_gamma=1.0),
    dict(g_lr=1e-3, d_lr=1e-3, beta_1=0.5, lr_decay="linear", epochs=480),
    paper="Goodfellow et al. 2014, arXiv:1406.2661; Mescheder et al. 2018, arXiv:1801.04406 (R1)",
    suffix="_r1_decay", metadata=dict(recommended=True))
