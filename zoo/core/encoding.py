"""What the models that learn an encoder beside their generator (BiGAN, VAE-GAN, the VAE)
offer alike: `encode(x)` and `reconstruct(x)` = G(E(x))."""

import numpy as np

from zoo.core.base import refuse_options
from zoo.core.generative import with_averaged_generator
from zoo.errors import ZooError

# StandardGAN's remedies that act on a discriminator of single images, with their "off" values.
SINGLE_IMAGE_REMEDIES = dict(pack=1, gradient_penalty=0.0, r1_gamma=0.0, unrolled_steps=0)


class EncodingMixin:
    """For a model with `image_shape`, `generator` and an `encode_batch(x)` giving the code
    of a batch (a tensor)."""

    def check_image_shape(self, image_shape):
        if len(tuple(image_shape)) != 3:
            raise ZooError(f"{self.registered_name} encodes images: image_shape must be (height, "
                           f"width, channels), got {tuple(image_shape)}")

    def check_encoder_options(self, image_shape, reason, options):
        """Refuse an image_shape other than (height, width, channels) and, in `options` (the
        constructor's keyword arguments), any remedy that `reason` rules out."""
        self.check_image_shape(image_shape)
        refuse_options(reason, **{name: options.get(name, off) != off
                                  for name, off in SINGLE_IMAGE_REMEDIES.items()})

    def encode_batch(self, images):
        raise NotImplementedError

    @with_averaged_generator
    def encode(self, images, batch_size=1000):
        """The codes of images in [-1, 1] (NHWC), as a float32 numpy array [n, latent_dim]."""
        images = np.asarray(images, np.float32)
        if images.ndim != 4 or images.shape[1:] != tuple(self.image_shape):
            raise ZooError(f"{self.registered_name} encodes images of shape (N, "
                           f"{', '.join(map(str, self.image_shape))}), got {images.shape}")
        return np.concatenate([np.asarray(self.encode_batch(images[i:i + batch_size]))
                               for i in range(0, len(images), batch_size)])

    @with_averaged_generator
    def reconstruct(self, images, batch_size=1000):
        """G(E(x)): the images as the generator draws their codes."""
        codes = self.encode(images, batch_size)
        return np.concatenate([self.generator(codes[i:i + batch_size], training=False).numpy()
                               for i in range(0, len(codes), batch_size)])
