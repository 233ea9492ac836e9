"""The remedies and regularisers a GAN may take, in one table.

Each row names an option of BaseGAN's constructor: its "off" value (the default), how a value
is checked, and its one-line help (train.py's flag reads it). A model declares the rows it
supports (`BaseGAN.remedies`); BaseGAN refuses any other that is switched on, in one line
that says why (`BaseGAN.remedies_refused_because`). A new regulariser is one row here plus
its term where D's loss is made (BaseGAN.penalty_terms).
"""

import dataclasses
from typing import Any, Callable

from zoo.checks import (check_fraction, check_positive_int, check_positive_or_none, check_switch,
                        check_weight)
from zoo.errors import ZooError


def _count(minimum):
    return lambda name, value: check_positive_int(name, value, minimum)


@dataclasses.dataclass(frozen=True)
class Remedy:
    name: str
    off: Any
    check: Callable[[str, Any], Any]
    help: str


REMEDIES = {remedy.name: remedy for remedy in (
    Remedy("pack", 1, _count(1), "PacGAN: the discriminator judges this many samples at once"),
    Remedy("minibatch_stddev", False, check_switch,
           "give the discriminator the batch's standard deviation as a feature"),
    Remedy("spectral_norm", False, check_switch,
           "spectral normalization of the discriminator's layers"),
    Remedy("label_smoothing", 0.0, check_fraction, "one-sided label smoothing of the real targets"),
    Remedy("gradient_penalty", 0.0, check_weight, "weight of WGAN-GP's gradient penalty (0: off)"),
    Remedy("r1_gamma", 0.0, check_weight, "weight of the R1 penalty on real data (0: off)"),
    Remedy("clip_value", None, check_positive_or_none,
           "clip the discriminator's weights into [-c, c] (WGAN)"),
    Remedy("unrolled_steps", 0, _count(0), "unrolled GAN: the generator's loss looks this many "
           "discriminator steps ahead"),
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
