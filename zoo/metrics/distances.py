"""Distances between two sets of features: Fréchet (FID), kernel (KID), precision and recall.

Numpy (N, D) arrays in, numbers out, so that any feature extractor works: the zoo's
classifier for digits, Inception-v3 for photographs. Pairwise distances are one TensorFlow
function, shared with the clusters' labelling inside the training step (zoo.core.clusters).
"""

import numpy as np
import tensorflow as tf

from zoo.errors import ZooError


def _as_features(name, x):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ZooError(f"{name} must be an (N, D) array of features with N >= 2, got shape "
                         f"{x.shape}")
    return x


def _psd_sqrt(matrix):
    """The symmetric square root of a symmetric positive semi-definite matrix."""
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def frechet_distance(features_a, features_b):
    """Fréchet distance between Gaussians fitted to two feature sets (Heusel et al. 2017).

    ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)). The trace of the square root is
    taken as Tr((S_a^(1/2) S_b S_a^(1/2))^(1/2)), which has the same eigenvalues but is
    symmetric, so it needs no complex matrix square root and stays real and stable.
    """
    a, b = _as_features("features_a", features_a), _as_features("features_b", features_b)
    if a.shape[1] != b.shape[1]:
        raise ZooError(f"feature sizes differ: {a.shape[1]} and {b.shape[1]}")
    mean_gap = a.mean(axis=0) - b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root_a = _psd_sqrt(cov_a)
    cross = np.linalg.eigvalsh(root_a @ cov_b @ root_a)
    trace_root = np.sqrt(np.clip(cross, 0.0, None)).sum()
    distance = mean_gap @ mean_gap + np.trace(cov_a) + np.trace(cov_b) - 2.0 * trace_root
    return float(max(distance, 0.0))


def kernel_distance(features_a, features_b, subsets=10, subset_size=1000, seed=0):
    """Kernel Inception Distance (Bińkowski et al. 2018): mean and std of the unbiased MMD^2.

    The kernel is the cubic polynomial k(x, y) = (x.y / d + 1)^3; the estimate is averaged over
    `subsets` random subsets of `subset_size` from each set (fewer when a set is smaller).
    """
    a, b = _as_features("features_a", features_a), _as_features("features_b", features_b)
    if a.shape[1] != b.shape[1]:
        raise ZooError(f"feature sizes differ: {a.shape[1]} and {b.shape[1]}")
    m = min(subset_size, len(a), len(b))
    dim = a.shape[1]
    rng = np.random.default_rng(seed)
    estimates = []
    for _ in range(subsets):
        x = a[rng.choice(len(a), m, replace=False)]
        y = b[rng.choice(len(b), m, replace=False)]
        k_xx = (x @ x.T / dim + 1.0) ** 3
        k_yy = (y @ y.T / dim + 1.0) ** 3
        k_xy = (x @ y.T / dim + 1.0) ** 3
        within = ((k_xx.sum() - np.trace(k_xx)) + (k_yy.sum() - np.trace(k_yy))) / (m * (m - 1))
        estimates.append(within - 2.0 * k_xy.mean())
    return float(np.mean(estimates)), float(np.std(estimates))


def squared_distances(x, y):
    """[n, m] squared Euclidean distances between the rows of x and of y (arrays or tensors;
    a tensor out), by the expanded product, clamped at 0 against its rounding."""
    return tf.maximum(tf.reduce_sum(x * x, 1, keepdims=True) + tf.reduce_sum(y * y, 1)
                      - 2.0 * tf.matmul(x, y, transpose_b=True), 0.0)


def _kth_neighbour_radii(x, k, block=2000):
    """Squared distance from each row of x to its k-th nearest other row."""
    radii = np.empty(len(x))
    for start in range(0, len(x), block):
        d = squared_distances(x[start:start + block], x).numpy()
        # Column k of the sorted row: column 0 is the point itself at distance 0.
        radii[start:start + block] = np.partition(d, k, axis=1)[:, k]
    return radii


def _share_inside(points, centres, radii, block=2000):
    """Share of `points` inside at least one ball (centre, squared radius)."""
    inside = 0
    for start in range(0, len(points), block):
        d = squared_distances(points[start:start + block], centres).numpy()
        inside += int(np.any(d <= radii[None, :], axis=1).sum())
    return inside / len(points)


def precision_recall(real_features, fake_features, k=3):
    """Improved precision and recall (Kynkäänniemi et al. 2019).

    Each set's manifold is the union of balls around its points reaching to the k-th nearest
    neighbour. Precision: the share of generated samples inside the real manifold (are they
    realistic?). Recall: the share of real samples inside the generated manifold (is the data
    covered?). The paper uses k = 3.
    """
    real = _as_features("real_features", real_features)
    fake = _as_features("fake_features", fake_features)
    if real.shape[1] != fake.shape[1]:
        raise ZooError(f"feature sizes differ: {real.shape[1]} and {fake.shape[1]}")
    if min(len(real), len(fake)) <= k:
        raise ZooError(f"precision/recall with k={k} needs more than {k} samples per set")
    precision = _share_inside(fake, real, _kth_neighbour_radii(real, k))
    recall = _share_inside(real, fake, _kth_neighbour_radii(fake, k))
    return {"precision": precision, "recall": recall}
