"""Importing this package registers every variant (one module each)."""

from zoo.models import (acgan, cgan, dcgan, ebgan, gan, gan_1d, infogan, lsgan,  # noqa: F401
                        sgan, stackgan, wgan, wgan_gp)
