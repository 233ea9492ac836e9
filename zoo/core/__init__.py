from zoo.core.base import BaseGAN
from zoo.core.standard import StandardGAN

__all__ = ["BaseGAN", "StandardGAN"]
