"""Mode coverage: of a Gaussian mixture's modes (the 2-D toys) and of a dataset's classes.

These count the symptoms of mode collapse: modes or classes that get no samples, samples
that belong to no mode, and a skewed share among those that do.
"""

import numpy as np

from zoo.errors import ZooError


def _reverse_kl_to_uniform(counts):
    """KL(q || uniform) for the histogram `counts` over len(counts) bins (0 log 0 = 0)."""
    q = counts / max(counts.sum(), 1)
    q = q[q > 0]
    return float(np.sum(q * np.log(q * len(counts)))) if q.size else float("nan")


def mixture_statistics(samples, modes, std, high_quality_within=3.0):
    """The VEEGAN / PacGAN protocol for 2-D Gaussian mixtures with equal weights.

    Each sample goes to its nearest mode; it is high quality when that mode is within
    `high_quality_within` standard deviations. A mode is captured when at least one
    high-quality sample goes to it. The reverse KL compares the histogram of high-quality
    samples over the modes with the uniform distribution of the data: 0 for a perfect
    spread, log(K / c) for c modes captured evenly, NaN when no sample is high quality
    (there is no histogram to compare). (Srivastava et al. 2017; Lin et al. 2018
    draw 2500 samples.)
    """
    samples = np.asarray(samples, dtype=np.float64).reshape(len(samples), -1)
    modes = np.asarray(modes, dtype=np.float64)
    if samples.shape[1] != modes.shape[1]:
        raise ZooError(f"samples have {samples.shape[1]} coordinates, modes {modes.shape[1]}")
    distance = np.sqrt(((samples[:, None, :] - modes[None, :, :]) ** 2).sum(-1))
    nearest = distance.argmin(axis=1)
    high_quality = distance[np.arange(len(samples)), nearest] <= high_quality_within * std
    counts = np.bincount(nearest[high_quality], minlength=len(modes)).astype(np.float64)
    return {"modes": int((counts > 0).sum()),
            "high_quality": float(high_quality.mean()),
            "reverse_kl": _reverse_kl_to_uniform(counts)}


def class_statistics(probabilities, confidence=0.9):
    """How generated samples spread over a classifier's classes.

    `probabilities` is (N, K) softmax output. Returns the share of samples per predicted
    class, that histogram's entropy (log K when even; 0 when collapsed to one class), the
    reverse KL to uniform, the number of classes that get at least one sample, and the share
    of samples classified with at least `confidence` (blurry or mixed digits fall below).
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    num_classes = probabilities.shape[1]
    counts = np.bincount(probabilities.argmax(axis=1), minlength=num_classes).astype(np.float64)
    shares = counts / counts.sum()
    nonzero = shares[shares > 0]
    return {"class_shares": [round(float(s), 4) for s in shares],
            "classes_present": int((counts > 0).sum()),
            "class_entropy": float(0.0 - np.sum(nonzero * np.log(nonzero))),
            "max_entropy": float(np.log(num_classes)),
            "class_reverse_kl": _reverse_kl_to_uniform(counts),
            "confident_share": float((probabilities.max(axis=1) >= confidence).mean())}
