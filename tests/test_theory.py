"""The original paper's Proposition 1 and Theorem 1 identity, checked on the 1-D toy."""

import math

from benchmarks.theory import check


def test_trained_discriminator_approaches_d_star_and_its_value_approaches_the_jsd_identity():
    # The benchmark's settings: a generator 300 updates in, near p_data but visibly apart
    # (JSD > 0.01), so D* varies over the grid.
    r = check(seed=0, pool=100_000)
    assert r["jsd"] > 0.01
    assert r["d_star_mae"] < 0.03  # see benchmarks/results/theory.md
    # V(D, G) <= V(D*, G) = -log 4 + 2 JSD, up to the sampling error of the estimate.
    assert abs(r["value_gap"]) < 0.01
    assert r["value"] > -math.log(4)  # D beats the blind D = 1/2
