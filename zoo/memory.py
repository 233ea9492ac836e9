"""What fits in memory: checked before an allocation large enough to take the machine, so
that a request too big gets one line instead of a swapping machine or a killed process."""

import math
import os

import keras

from zoo.errors import ZooError

# The share of the memory the system reports free that one request may plan to take.
USABLE_SHARE = 0.8
FLOAT32_BYTES = 4


def available_bytes():
    """The memory the system can still give (Linux's MemAvailable), or None where unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _gigabytes(count):
    return f"{count / 2 ** 30:,.1f} GB"


def check_fits(what, needed_bytes, advice):
    """ZooError when `what` needs more than USABLE_SHARE of the free memory; `advice` says
    how to ask for less."""
    available = available_bytes()
    if available is not None and needed_bytes > USABLE_SHARE * available:
        raise ZooError(f"{what} needs about {_gigabytes(needed_bytes)} of memory and this machine "
                       f"has {_gigabytes(available)} free: {advice}")


def activation_floats_per_example(networks):
    """The floats one example's pass through `networks` holds: every layer's output, each
    layer counted once however many networks nest it. Layers whose output is unknown (not
    called in a functional graph) add nothing."""
    seen, total, waiting = set(), 0, list(networks)
    while waiting:
        layer = waiting.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        if isinstance(layer, keras.Model):
            waiting.extend(layer.layers)
            continue
        try:
            outputs = keras.tree.flatten(layer.output)
        except (AttributeError, ValueError):
            continue
        total += sum(math.prod(int(d) for d in output.shape[1:] if d is not None)
                     for output in outputs)
    return total
