"""Checks of option values: each returns the value in its plain Python type or raises one
ZooError line that names the option, says what it takes and shows what it got."""

import os
import re

import numpy as np

from zoo.errors import ZooError


def _is_number(value):
    return not isinstance(value, (bool, np.bool_)) and isinstance(value, (int, float, np.integer,
                                                                         np.floating))


def check_positive_int(name, value, minimum=1):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum:
        kind = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ZooError(f"{name} must be {kind}, got {value!r}")
    return int(value)


def check_switch(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise ZooError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_weight(name, value):
    """A loss weight: a finite number >= 0, where 0 turns its term off."""
    if not _is_number(value) or not 0 <= value < float("inf"):
        raise ZooError(f"{name} must be a number >= 0 (0 turns it off), got {value!r}")
    return float(value)


def check_fraction(name, value):
    if not _is_number(value) or not 0.0 <= value < 1.0:
        raise ZooError(f"{name} must be in [0, 1), got {value!r}")
    return float(value)


def check_positive(name, value):
    """A finite number > 0 (a learning rate, a scale)."""
    if not _is_number(value) or not 0 < value < float("inf"):
        raise ZooError(f"{name} must be a positive number, got {value!r}")
    return float(value)


# Seeds feed numpy's and TF's generators, which take 32-bit unsigned seeds.
MAX_SEED = 2 ** 32 - 1


def check_seed(name, value):
    """A random seed: an integer in [0, 2**32 - 1], or None for a nondeterministic run."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) \
            or not 0 <= value <= MAX_SEED:
        raise ZooError(f"{name} must be an integer from 0 to {MAX_SEED}, or None, got {value!r}")
    return int(value)


def check_positive_or_none(name, value):
    if value is None:
        return None
    if not _is_number(value) or not 0 < value < float("inf"):
        raise ZooError(f"{name} must be a positive number or None, got {value!r}")
    return float(value)


# A model's name becomes a folder of an export and an entry of TF Serving's models.config.
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


def check_name(option, value):
    """A name that is safe as one folder and as a config line: letters, digits, '_', '-' and
    '.', starting with a letter or digit, no '..', at most 100 characters."""
    if not isinstance(value, str) or not _SAFE_NAME.fullmatch(value) or ".." in value:
        raise ZooError(f"{option} must be 1 to 100 letters, digits, '_', '-' or '.', starting "
                       f"with a letter or digit and without '..' (it names a folder), got {value!r}")
    return value


def check_choice(name, value, choices):
    if value not in tuple(choices):
        raise ZooError(f"{name} must be one of {tuple(choices)}, got {value!r}")
    return value


def writable_folder(path):
    """Whether `path` can be written as a directory: its nearest existing ancestor (itself,
    when it exists) is a directory this process may create files in."""
    existing = os.path.abspath(path)
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    return os.path.isdir(existing) and os.access(existing, os.W_OK | os.X_OK)
