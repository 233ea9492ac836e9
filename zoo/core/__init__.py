from zoo.core.adversarial import BaseGAN
from zoo.core.generative import GenerativeModel
from zoo.core.conditional import ConditionalGAN
from zoo.core.standard import StandardGAN
from zoo.core.translation import TranslationGAN

__all__ = ["BaseGAN", "GenerativeModel", "ConditionalGAN", "StandardGAN", "TranslationGAN"]
