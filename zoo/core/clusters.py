"""Clusters of the training data, for models conditioned on them instead of on labels.

k-means (Lloyd's iterations from a k-means++ start, Arthur & Vassilvitskii 2007) on the
examples as flat vectors; each training example is then labelled by its nearest centre, in
the training step. Sampling draws a cluster in the clusters' shares of the training data
from the noise itself: the first noise coordinate, through the normal CDF, picks a cluster by
inverse transform sampling (zoo.layers.ClusterDraw). So the generator stays a function of
noise alone (`generate(n)`, the run's pictures and the exported `z` and `seeds` signatures
are the unconditional ones) while it maps the noise space onto the clusters piecewise: the
jump between clusters is what lets it avoid samples between them.
"""

import numpy as np
import tensorflow as tf

from zoo.errors import ZooError
from zoo.metrics.distances import squared_distances


def _kmeans_plus_plus(points, k, rng):
    """k starting centres, each drawn with probability proportional to its squared distance
    to the nearest centre drawn before."""
    centres = [points[rng.integers(len(points))]]
    nearest = ((points - centres[0]) ** 2).sum(1)
    for _ in range(k - 1):
        centres.append(points[rng.choice(len(points), p=nearest / nearest.sum())])
        nearest = np.minimum(nearest, ((points - centres[-1]) ** 2).sum(1))
    return np.stack(centres)


def kmeans(points, k, seed=0, iterations=40):
    """(centres [k, d] float32, assignment [n]) of `points` [n, d]; the same seed gives the
    same clusters. A cluster left empty keeps its previous centre."""
    points = np.asarray(points, np.float64).reshape(len(points), -1)
    if not 2 <= k <= len(points):
        raise ZooError(f"clusters must lie in [2, {len(points)}] (the examples to cluster), got {k}")
    centres = _kmeans_plus_plus(points, k, np.random.default_rng(seed))
    for _ in range(iterations):
        assignment = squared_distances(points, centres).numpy().argmin(1)
        centres = np.stack([points[assignment == j].mean(0) if (assignment == j).any()
                            else centres[j] for j in range(k)])
    assignment = squared_distances(points, centres).numpy().argmin(1)
    return centres.astype(np.float32), assignment


def nearest_centre(examples, centres):
    """The cluster of each example of a batch (int32), in the graph."""
    flat = tf.reshape(tf.cast(examples, centres.dtype), (tf.shape(examples)[0], -1))
    return tf.cast(tf.argmin(squared_distances(flat, centres), axis=1), tf.int32)


def purity(assignment, labels):
    """The share of examples whose cluster's most common label is their own (a diagnosis
    with labels the training never sees)."""
    assignment, labels = np.asarray(assignment), np.asarray(labels)
    return sum(np.bincount(labels[assignment == j]).max()
               for j in np.unique(assignment)) / len(labels)
