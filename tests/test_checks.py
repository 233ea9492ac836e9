"""zoo.checks: each check returns the plain value or refuses it in one line naming the option."""

import numpy as np
import pytest

from zoo.checks import (check_choice, check_fraction, check_positive, check_positive_int,
                        check_positive_or_none, check_switch, check_weight)
from zoo.errors import ZooError

ACCEPTED = [
    (check_positive_int, 3, 3, int),
    (check_positive_int, np.int64(2), 2, int),
    (check_switch, np.bool_(True), True, bool),
    (check_weight, 0, 0.0, float),
    (check_weight, np.float32(2.5), 2.5, float),
    (check_fraction, 0.9, 0.9, float),
    (check_positive, 2e-4, 2e-4, float),
    (check_positive_or_none, None, None, type(None)),
    (check_positive_or_none, 1, 1.0, float),
]


@pytest.mark.parametrize("check, value, expected, kind", ACCEPTED)
def test_accepted_values_come_back_plain(check, value, expected, kind):
    result = check("option", value)
    assert result == expected and type(result) is kind


REFUSED = [
    (check_positive_int, True, "option must be a positive integer, got True"),
    (check_positive_int, 0, "option must be a positive integer, got 0"),
    (check_positive_int, 2.0, "option must be a positive integer, got 2.0"),
    (check_switch, 1, "option must be True or False, got 1"),
    (check_weight, -0.1, "option must be a number >= 0"),
    (check_weight, float("inf"), "option must be a number >= 0"),
    (check_weight, float("nan"), "option must be a number >= 0"),
    (check_weight, False, "option must be a number >= 0"),
    (check_fraction, 1.0, r"option must be in \[0, 1\), got 1.0"),
    (check_fraction, "0.5", r"option must be in \[0, 1\), got '0.5'"),
    (check_positive, float("inf"), "option must be a positive number, got inf"),
    (check_positive, None, "option must be a positive number, got None"),
    (check_positive_or_none, 0, "option must be a positive number or None, got 0"),
    (check_positive_or_none, float("nan"), "option must be a positive number or None"),
]


@pytest.mark.parametrize("check, value, message", REFUSED)
def test_refused_values_name_the_option(check, value, message):
    with pytest.raises(ZooError, match=message):
        check("option", value)


def test_integer_minimum_is_said():
    assert check_positive_int("steps", 0, minimum=0) == 0
    with pytest.raises(ZooError, match="steps must be an integer >= 0, got -1"):
        check_positive_int("steps", -1, minimum=0)


def test_choice_lists_the_choices():
    assert check_choice("loss", "hinge", ("hinge", "wasserstein")) == "hinge"
    with pytest.raises(ZooError, match=r"loss must be one of \('hinge', 'wasserstein'\), got 'l2'"):
        check_choice("loss", "l2", ("hinge", "wasserstein"))
