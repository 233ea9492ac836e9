"""Importing this package registers every variant (one module each)."""

from zoo.models import dcgan, gan, gan_1d  # noqa: F401
