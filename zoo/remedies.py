"""The remedies and regularisers a GAN may take, in one table.

Each row names an option of BaseGAN's constructor: its "off" value (the default), how a value
is checked, and its one-line help (train.py's flag reads it). A model declares the rows it
supports (`BaseGAN.remedies`); BaseGAN refuses any other that is switched on, in one line
that says why (`BaseGAN.remedies_refused_because`). A new regulariser is one row here plus
its term where D's loss is made (BaseGAN.penalty_terms).
"""

import dataclasses
from typing import Any, Callable

import numpy as np

from zoo.errors import ZooError


def _count(minimum):
    def check(name, value):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
            kind = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
            raise ZooError(f"{name} must be {kind}, got {value!r}")
        return int(value)
    return check


def _switch(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise ZooError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_weight(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < float("inf"):
        raise ZooError(f"{name} must be a number >= 0 (0 turns it off), got {value!r}")
    return float(value)


def _fraction(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
        raise ZooError(f"{name} must be in [0, 1), got {value!r}")
    return float(value)


def _bound(name, value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ZooError(f"{name} must be a positive number or None, got {value!r}")
    return float(value)


@dataclasses.dataclass(frozen=True)
class Remedy:
    name: str
    off: Any
    check: Callable[[str, Any], Any]
    help: str
    acts_on: str  # "discriminator" (its network or its update) or "generator" (G's update)


REMEDIES = {remedy.name: remedy for remedy in (
    Remedy("pack", 1, _count(1), "PacGAN: the discriminator judges this many samples at once",
           "discriminator"),
    Remedy("minibatch_stddev", False, _switch,
           "give the discriminator the batch's standard deviation as a feature", "discriminator"),
    Remedy("spectral_norm", False, _switch, "spectral normalization of the discriminator's layers",
           "discriminator"),
    Remedy("label_smoothing", 0.0, _fraction, "one-sided label smoothing of the real targets",
           "discriminator"),
    Remedy("gradient_penalty", 0.0, check_weight, "weight of WGAN-GP's gradient penalty (0: off)",
           "discriminator"),
    Remedy("r1_gamma", 0.0, check_weight, "weight of the R1 penalty on real data (0: off)",
           "discriminator"),
    Remedy("clip_value", None, _bound, "clip the discriminator's weights into [-c, c] (WGAN)",
           "discriminator"),
    Remedy("unrolled_steps", 0, _count(0), "unrolled GAN: the generator's loss looks this many "
           "discriminator steps ahead", "generator"),
)}
ALL_REMEDIES = frozenset(REMEDIES)


def checked_remedies(model_name, supported, refused_because, values):
    """{name: checked value} of every remedy, from `values` (the constructor's; missing ones
    off). A remedy switched on that the model does not support is refused in one line."""
    values = {name: values.get(name, remedy.off) for name, remedy in REMEDIES.items()}
    refused = [name for name, value in values.items()
               if name not in supported and value != REMEDIES[name].off]
    if refused:
        because = f" ({refused_because})" if refused_because else ""
        raise ZooError(f"{model_name} takes no {', '.join(refused)}{because}: drop "
                       f"{'it' if len(refused) == 1 else 'them'}")
    return {name: REMEDIES[name].check(name, value) for name, value in values.items()}
