from zoo.core.model import ZooModel
from zoo.core.adversarial import AdversarialModel, BaseGAN
from zoo.core.generative import GenerativeModel
from zoo.core.conditional import ConditionalGAN
from zoo.core.standard import StandardGAN
from zoo.core.translation import TranslationGAN

__all__ = ["AdversarialModel", "BaseGAN", "ConditionalGAN", "GenerativeModel", "StandardGAN",
           "TranslationGAN", "ZooModel"]
