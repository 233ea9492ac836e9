"""Preset families that several variants register alike."""

from zoo.registry import Preset, register_preset

# The 2-D mixtures in the setting of VEEGAN (Srivastava et al. 2017) and PacGAN (Lin et al.
# 2018, Table 1): 2-D Gaussian noise, G with four ReLU layers of 400 units and batch norm, D
# with three maxout layers of 200 units x 5 pieces, minibatches of 100 (of 100 packs under
# PacGAN, as in its code: 100 x k points). PacGAN's code trains 400,000 steps; these presets
# take 10,000 generator updates on the ring and 20,000 on the grid, what 2 CPU cores afford
# for the survey's trials (a family's `train` may set its own `epochs`).
MIXTURE_NETWORKS = dict(image_shape=(2,), latent_dim=2, g_hidden=(400,) * 4, d_hidden=(200,) * 3,
                        maxout_pieces=5, g_batch_norm=True)
MIXTURE_EPOCHS = {"ring8": 40, "grid25": 80}
MIXTURE_STEPS_PER_EPOCH = 250
MIXTURE_PAPER = "Lin et al. 2018, arXiv:1712.04086 (PacGAN), Table 1 setting"


def register_mixture_presets(model, model_kwargs, train, paper, suffix="", metadata=None):
    """`<model><suffix>_ring8` and `<model><suffix>_grid25`, in the PacGAN setting."""
    for dataset, epochs in MIXTURE_EPOCHS.items():
        register_preset(Preset(
            name=f"{model}{suffix}_{dataset}", model=model, dataset=dataset,
            model_kwargs=dict(model_kwargs),
            train=dict(dict(batch_size=100 * model_kwargs.get("pack", 1), epochs=epochs, steps_per_epoch=MIXTURE_STEPS_PER_EPOCH,
                            steps_per_execution=50), **train),
            metadata=dict(paper=paper, setting=MIXTURE_PAPER, **(metadata or {}))))

# One option each, for the mode-collapse benchmark (preset suffix -> model options).
MIXTURE_REMEDIES = {
    "": {},
    "_pack2": dict(pack=2),  # PacGAN2
    "_pack4": dict(pack=4),  # PacGAN4, the paper's best on the grid
    "_mbstd": dict(minibatch_stddev=True),
    "_unrolled5": dict(unrolled_steps=5),  # Metz et al. used 5 to 10 steps on their mixture
    "_sn": dict(spectral_norm=True),
    "_r1": dict(r1_gamma=1.0),
}
