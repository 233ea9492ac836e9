"""Figures computed from generated samples."""

from zoo.metrics.distributions import normal_1d_statistics

__all__ = ["normal_1d_statistics"]
