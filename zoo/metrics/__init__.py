"""Figures computed from generated samples.

Plain functions on arrays (distances, modes, distributions) and, in `quality`, what measures
a generator of a given dataset plus the keras callback that logs it during training.
"""

from zoo.metrics.distances import frechet_distance, kernel_distance, precision_recall
from zoo.metrics.distributions import normal_1d_statistics
from zoo.metrics.modes import class_statistics, mixture_statistics

__all__ = ["class_statistics", "frechet_distance", "kernel_distance", "mixture_statistics",
           "normal_1d_statistics", "precision_recall"]
