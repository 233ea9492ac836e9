"""Importing this package registers every variant (one module each)."""

from zoo.models import (  # noqa: F401
    acgan, cgan, cyclegan, dcgan, ebgan, gan, gan_1d, infogan, lsgan, sgan, stackgan, wgan, wgan_gp)
