"""Importing this package registers every variant (one module each)."""

from zoo.models import dcgan, ebgan, gan, gan_1d, lsgan, wgan, wgan_gp  # noqa: F401
