from zoo.core.base import BaseGAN

__all__ = ["BaseGAN"]
