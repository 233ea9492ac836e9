"""Statistics of low-dimensional samples against a known target distribution."""

import math

import numpy as np

from zoo.errors import ZooError


def _normal_cdf(x, mean, std):
    return 0.5 * (1.0 + np.vectorize(math.erf)((x - mean) / (std * math.sqrt(2.0))))


def normal_1d_statistics(samples, mean, std):
    """Mean, standard deviation and Kolmogorov-Smirnov distance of samples to N(mean, std^2)."""
    x = np.sort(np.asarray(samples, dtype=np.float64).reshape(-1))
    if x.size == 0:
        raise ZooError("no samples to measure")
    cdf = _normal_cdf(x, mean, std)
    n = x.size
    # The empirical CDF jumps at each sample: compare the target with both sides of the step.
    ks = max(np.max(np.arange(1, n + 1) / n - cdf), np.max(cdf - np.arange(n) / n))
    return {"mean": float(x.mean()), "std": float(x.std()), "ks": float(ks)}
