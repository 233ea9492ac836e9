"""StandardGAN: one pair of networks for the variants that differ only in their objective.

Points (the toy mixtures, shape (d,)) get the MLPs of VEEGAN's and PacGAN's experiments: G
with ReLU layers and batch norm, D with maxout layers. Images get the DCGAN networks
(Radford et al. 2016). WGAN, WGAN-GP, LSGAN, EBGAN and DCGAN build on it, so a variant file
holds only its objective and its presets, and every remedy reaches every variant.
"""

from zoo.checks import check_choice, check_positive_int
from zoo.choices import D_NORMALIZATIONS
from zoo.core.adversarial import BaseGAN
from zoo.errors import ZooError
from zoo.networks import (dcgan_discriminator, dcgan_generator, dcgan_geometry,
                          checked_dcgan_width, mlp_discriminator, mlp_generator)


# The settings of each family of networks, with their defaults (d_normalization's is the
# class's `default_d_normalization`): a setting of the family a model does not build is
# refused unless it is left at its default.
IMAGE_NETWORKS = dict(base_filters=64, d_normalization=None)
POINT_NETWORKS = dict(g_hidden=(400, 400, 400, 400), d_hidden=(200, 200, 200), maxout_pieces=5,
                      g_batch_norm=True)


class StandardGAN(BaseGAN):
    """Args (beyond BaseGAN's):
      image_shape: (height, width, channels) for images, (d,) for points.
      base_filters, d_normalization: the DCGAN networks' width and D's normalization
        ("batch", "layer" or "none"; None: the variant's `default_d_normalization`), for images.
      g_hidden, d_hidden, maxout_pieces, g_batch_norm: the MLPs' layers, for points.
    """

    default_d_normalization = "batch"

    def __init__(self, image_shape=(64, 64, 3), latent_dim=100, base_filters=64,
                 d_normalization=None, g_hidden=(400, 400, 400, 400), d_hidden=(200, 200, 200),
                 maxout_pieces=5, g_batch_norm=True, **kwargs):
        self.image_shape = tuple(image_shape)
        if len(self.image_shape) == 3:
            dcgan_geometry(self.image_shape)  # refuse an unbuildable shape before building
        elif len(self.image_shape) != 1:
            raise ZooError(f"image_shape must be (height, width, channels) for images or (d,) "
                           f"for points, got {self.image_shape}")
        unused, kind = (POINT_NETWORKS, "images") if len(self.image_shape) == 3 else (IMAGE_NETWORKS, "points")
        settings = dict(base_filters=base_filters, d_normalization=d_normalization, g_hidden=g_hidden,
                        d_hidden=d_hidden, maxout_pieces=maxout_pieces, g_batch_norm=g_batch_norm)
        defaults = {**unused, "d_normalization": self.default_d_normalization}
        refused = [key for key in unused
                   if settings[key] is not None and _comparable(settings[key]) != _comparable(defaults[key])]
        if refused:
            one = len(refused) == 1
            raise ZooError(f"{', '.join(refused)}: {'a setting' if one else 'settings'} of the "
                           f"networks for {'images' if kind == 'points' else 'points'}, and "
                           f"image_shape {self.image_shape} holds {kind}: drop "
                           f"{'it' if one else 'them'}")
        self.base_filters = (check_positive_int("base_filters", base_filters) if self.for_points
                             else checked_dcgan_width(latent_dim, self.image_shape, base_filters))
        self.d_normalization = check_choice(
            "d_normalization", d_normalization or self.default_d_normalization, D_NORMALIZATIONS)
        self.g_hidden = tuple(g_hidden)
        self.d_hidden = tuple(d_hidden)
        self.maxout_pieces = maxout_pieces
        self.g_batch_norm = g_batch_norm
        super().__init__(latent_dim=latent_dim, **kwargs)

    @property
    def for_points(self):
        return len(self.image_shape) == 1

    def build_generator(self):
        if self.for_points:
            return mlp_generator(self.latent_dim, self.image_shape, hidden=self.g_hidden,
                                 output_activation=None, normalize=self.g_batch_norm)
        return dcgan_generator(self.latent_dim, self.image_shape, self.base_filters)

    def build_discriminator(self, outputs=1, name="discriminator"):
        shape = self.packed_shape(self.image_shape)
        if self.for_points:
            return mlp_discriminator(shape, hidden=self.d_hidden, maxout_pieces=self.maxout_pieces,
                                     outputs=outputs, name=name, **self.discriminator_options())
        return dcgan_discriminator(shape, self.base_filters, normalization=self.d_normalization,
                                   outputs=outputs, name=name, **self.discriminator_options())

    def get_config(self):
        built = POINT_NETWORKS if self.for_points else IMAGE_NETWORKS
        return {**super().get_config(), "image_shape": self.image_shape,
                **{key: getattr(self, key) for key in built}}


def _comparable(value):
    """A setting as compared with its default (lists, as from a JSON config, as tuples)."""
    return tuple(value) if isinstance(value, list) else value
