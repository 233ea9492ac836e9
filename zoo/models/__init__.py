"""Importing this package registers every variant (one module each)."""

from zoo.models import (  # noqa: F401
    acgan, bigan, cgan, clustered_gan, cyclegan, dcgan, dtn, ebgan, gan, gan_1d, infogan, lsgan, rbm, sgan,
    stackgan, unit, vae, vaegan, wgan, wgan_gp)
