"""The names a setting chooses from, in one place that imports nothing heavy.

The modules that act on a setting check it against these tuples, and train.py builds its enum
flags from them, so a new choice is added once and `train.py --help` stays free of TensorFlow.
"""

OPTIMIZERS = ("adam", "rmsprop", "sgd")
# None: constant; "linear": down to 0 over the run; "linear_second_half": constant, then down
# to 0 over the second half (CycleGAN's).
LR_DECAYS = (None, "linear", "linear_second_half")
STRATEGIES = ("none", "mirrored", "multiworker")
PRECISIONS = ("float32", "bfloat16", "float16")
# Normalization of the DCGAN discriminator's hidden layers. Batch norm (the DCGAN paper's)
# couples the examples of a batch, which breaks per-example input gradients: the WGAN-GP
# critic uses layer norm instead (Gulrajani et al. 2017), and spectrally normalized
# discriminators none (Miyato et al. 2018).
D_NORMALIZATIONS = ("batch", "layer", "none")
# How D's and G's updates follow each other within a step (see BaseGAN's `updates`).
UPDATES = ("alternating", "simultaneous")
# cgan's discriminator: one joint score, or separate realness and projection-match outputs.
CGAN_DISCRIMINATORS = ("joint", "projection")
