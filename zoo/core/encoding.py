"""What the models that learn an encoder beside their generator (BiGAN, VAE-GAN, the VAE)
offer alike: `encode(x)` and `reconstruct(x)` = G(E(x))."""

import numpy as np

from zoo.checks import check_positive_int
from zoo.core.generative import with_averaged_generator
from zoo.pixels import images_to_unit_range
from zoo.remedies import ALL_REMEDIES
from zoo.errors import ZooError

# The remedies that act on a discriminator of single images, and so not on these models'.
SINGLE_IMAGE_REMEDIES = frozenset({"pack", "gradient_penalty", "r1_gamma", "unrolled_steps"})
ENCODING_REMEDIES = ALL_REMEDIES - SINGLE_IMAGE_REMEDIES


class EncodingMixin:
    """For a model with `image_shape`, `generator` and an `encode_batch(x)` giving the code
    of a batch (a tensor)."""

    def check_image_shape(self, image_shape):
        if len(tuple(image_shape)) != 3:
            raise ZooError(f"{self.registered_name} encodes images: image_shape must be (height, "
                           f"width, channels), got {tuple(image_shape)}")

    def encode_batch(self, images):
        raise NotImplementedError

    @with_averaged_generator
    def encode(self, images, batch_size=1000):
        """The codes of images in [-1, 1] (NHWC), as a float32 numpy array [n, latent_dim]."""
        batch_size = check_positive_int("batch_size", batch_size)
        images, _ = images_to_unit_range(images, self.image_shape, f"{self.registered_name} encodes")
        return np.concatenate([np.asarray(self.encode_batch(images[i:i + batch_size]))
                               for i in range(0, len(images), batch_size)])

    @with_averaged_generator
    def reconstruct(self, images, batch_size=1000):
        """G(E(x)): the images as the generator draws their codes."""
        codes = self.encode(images, batch_size)
        return np.concatenate([self.generator(codes[i:i + batch_size], training=False).numpy()
                               for i in range(0, len(codes), batch_size)])
