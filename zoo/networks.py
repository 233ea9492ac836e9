"""Network builders that more than one variant uses: MLPs and the DCGAN pair.

Each returns a functional keras Model named "generator" or "discriminator". The
discriminator returns logits (the losses apply the sigmoid) or, for the critics of the
Wasserstein and hinge losses, unbounded scores: the same network either way.

The discriminators take the remedies against mode collapse as options: `minibatch_stddev`
(a feature with the batch's spread, Karras et al. 2018) and `spectral_norm` (Miyato et al.
2018). Packing (PacGAN) needs nothing here: the model passes the packed input shape.
"""

import math

import keras
from keras import layers

from zoo import memory
from zoo.checks import check_choice, check_positive_int
from zoo.choices import D_NORMALIZATIONS
from zoo.errors import ZooError
from zoo.layers import (dcgan_init, Maxout, MinibatchStdDev, batch_norm, down_block, normalized,
                        up_block)

JOINT_HIDDEN_UNITS = 256  # the hidden layer joining an image and what goes with it


def _apply(x, blocks):
    for block in blocks:
        x = block(x)
    return x


def mlp_generator(latent_dim, output_shape, hidden=(1200, 1200), activation="relu",
                  output_activation="tanh", normalize=False, name="generator"):
    """z -> dense layers (with batch norm before each activation if `normalize`) -> an example
    of `output_shape` (tanh keeps images in [-1, 1])."""
    z = keras.Input((latent_dim,), name="z")
    x = z
    for units in hidden:
        if normalize:
            x = layers.Activation(activation)(batch_norm()(layers.Dense(units)(x)))
        else:
            x = layers.Dense(units, activation=activation)(x)
    x = layers.Dense(math.prod(output_shape), activation=output_activation)(x)
    return keras.Model(z, layers.Reshape(output_shape)(x), name=name)


def mlp_discriminator(input_shape, hidden=(240, 240), activation="maxout", maxout_pieces=5,
                      input_dropout=0.0, dropout=0.0, minibatch_stddev=False, spectral_norm=False,
                      outputs=1, name="discriminator"):
    """example -> dense (or maxout) layers with dropout -> one logit (or `outputs` features)."""
    x_in = keras.Input(input_shape, name="x")
    x = layers.Flatten()(x_in)
    if minibatch_stddev:
        x = MinibatchStdDev()(x)
    if input_dropout:
        x = layers.Dropout(input_dropout)(x)
    for units in hidden:
        x = (Maxout(units, maxout_pieces, spectral_norm=spectral_norm)(x) if activation == "maxout"
             else normalized(layers.Dense(units, activation=activation), spectral_norm)(x))
        if dropout:
            x = layers.Dropout(dropout)(x)
    return keras.Model(x_in, normalized(layers.Dense(outputs), spectral_norm)(x), name=name)


def dcgan_geometry(image_shape):
    """(start side, number of x2 steps) for an image side of 4*2^n (n>=2) or 7*2^n (n>=2)."""
    if len(image_shape) != 3:
        raise ZooError(f"image_shape must be (height, width, channels), got {tuple(image_shape)}")
    height, width, channels = image_shape
    if height != width or channels not in (1, 3):
        raise ZooError(f"DCGAN builds square images with 1 or 3 channels, got {tuple(image_shape)}: "
                       "resize the data (e.g. --image_size=32)")
    for start in (4, 7):
        steps = round(math.log2(height / start)) if height >= start else -1
        if steps >= 2 and start * 2 ** steps == height:
            return start, steps
    raise ZooError(f"DCGAN builds images whose side is 4*2^n or 7*2^n (28, 32, 56, 64, 128, ...), "
                   f"got {height}: resize the data (e.g. --image_size=64)")


def dcgan_weight_count(latent_dim, image_shape, base_filters=64):
    """The weights of dcgan_generator and dcgan_discriminator together (their kernels, which
    are all but a few thousand), from the shapes alone: what building them will allocate."""
    start, steps = dcgan_geometry(tuple(image_shape[:2]) + (1,))
    widths = [base_filters * 2 ** step for step in range(steps)]  # D's; G's in reverse
    channels = image_shape[-1]
    generator = latent_dim * start * start * widths[-1] + 16 * widths[0] * channels + sum(
        16 * wide * narrow for narrow, wide in zip(widths, widths[1:]))
    discriminator = 16 * channels * widths[0] + sum(
        16 * narrow * wide for narrow, wide in zip(widths, widths[1:])) + start * start * widths[-1]
    return generator + discriminator


def checked_dcgan_width(latent_dim, image_shape, base_filters):
    """`base_filters` as an int, once the DCGAN networks of these sizes are known to fit in
    free memory: refused before building, which would take the machine instead."""
    base_filters = check_positive_int("base_filters", base_filters)
    weights = dcgan_weight_count(check_positive_int("latent_dim", latent_dim), image_shape,
                                 base_filters)
    memory.check_fits(f"DCGAN networks for images of {tuple(image_shape)} with latent_dim "
                      f"{latent_dim} and base_filters {base_filters}",
                      weights * memory.FLOAT32_BYTES,
                      "lower latent_dim, base_filters or the image size")
    return base_filters


def dcgan_generator(latent_dim, image_shape, base_filters=64, name="generator"):
    """Radford et al. 2016: project z, then x2 transposed-conv steps halving the filters; tanh.

    (EBGAN's decoder is one, with a packed discriminator's k times the channels.)
    """
    start, steps = dcgan_geometry(image_shape[:2] + (1,))
    filters = base_filters * 2 ** (steps - 1)
    z = keras.Input((latent_dim,), name="z")
    x = layers.Dense(start * start * filters, use_bias=False, kernel_initializer=dcgan_init())(z)
    x = _apply(x, [batch_norm(), layers.ReLU(), layers.Reshape((start, start, filters))])
    for step in range(1, steps):
        x = _apply(x, up_block(filters // 2 ** step))
    x = layers.Conv2DTranspose(image_shape[-1], 4, strides=2, padding="same",
                               activation="tanh", kernel_initializer=dcgan_init())(x)
    return keras.Model(z, x, name=name)


def _dcgan_body(x_in, base_filters, normalization, minibatch_stddev, spectral_norm):
    """The DCGAN discriminator's body on `x_in`: strided convs doubling the filters,
    normalization (batch norm in the paper) except on the first, LeakyReLU 0.2; flattened."""
    check_choice("normalization", normalization, D_NORMALIZATIONS)
    _, steps = dcgan_geometry(tuple(x_in.shape[1:3]) + (1,))
    x = _apply(x_in, down_block(base_filters, normalize=False, spectral_norm=spectral_norm))
    for step in range(1, steps):
        block = down_block(base_filters * 2 ** step, normalize=normalization == "batch",
                           spectral_norm=spectral_norm)
        if normalization == "layer":
            block.insert(1, layers.LayerNormalization(axis=(1, 2, 3)))
        x = _apply(x, block)
    if minibatch_stddev:  # on the last feature map, as in Karras et al. 2018
        x = MinibatchStdDev()(x)
    return layers.Flatten()(x)


def dense_head(outputs, spectral_norm=False):
    """A discriminator's linear output layer (DCGAN's initialization)."""
    return normalized(layers.Dense(outputs, kernel_initializer=dcgan_init()), spectral_norm)


def dcgan_discriminator(image_shape, base_filters=64, normalization="batch",
                        minibatch_stddev=False, spectral_norm=False, outputs=1,
                        name="discriminator"):
    """Radford et al. 2016's discriminator, then one logit (or `outputs` features); with
    `outputs=None`, the flattened features of its last conv layer.

    `image_shape` may have k times the channels of the images: PacGAN's packed input.
    """
    x_in = keras.Input(image_shape, name="x")
    x = _dcgan_body(x_in, base_filters, normalization, minibatch_stddev, spectral_norm)
    if outputs is not None:
        x = dense_head(outputs, spectral_norm)(x)
    return keras.Model(x_in, x, name=name)


def one_hot(labels, num_classes):
    """Integer labels [batch] -> one-hot float rows [batch, num_classes] (a keras layer, so no
    Lambda: models stay loadable in keras' safe mode)."""
    return layers.CategoryEncoding(num_classes, output_mode="one_hot")(labels)


def label_input():
    return keras.Input((), dtype="int32", name="label")


def conditional_generator(body, latent_dim, num_classes, name="generator"):
    """G(z, c) (Mirza & Osindero 2014): the label, one-hot, concatenated to z, into `body`
    (a generator model from latent_dim + num_classes inputs)."""
    z, label = keras.Input((latent_dim,), name="z"), label_input()
    inputs = layers.Concatenate()([z, one_hot(label, num_classes)])
    return keras.Model([z, label], body(inputs), name=name)


def joint_discriminator(features, other, other_features, spectral_norm=False,
                        name="discriminator"):
    """s(x, y), one logit for the pair: x's features (the `features` model) and y's
    (`other_features`, computed from the keras Input `other`) joined through a hidden layer,
    so that the score can depend on how the two go together."""
    x_in = keras.Input(features.input.shape[1:], name="x")
    h = layers.Concatenate()([features(x_in), other_features])
    h = layers.LeakyReLU(0.2)(dense_head(JOINT_HIDDEN_UNITS, spectral_norm)(h))
    return keras.Model([x_in, other], dense_head(1, spectral_norm)(h), name=name)


def matching_discriminator(features, num_classes, spectral_norm=False, name="discriminator"):
    """s(x, c) for "real and matching" (Reed et al. 2016): the image and its one-hot label."""
    label = label_input()
    return joint_discriminator(features, label, one_hot(label, num_classes), spectral_norm, name)


def gaussian_encoder(image_shape, latent_dim, base_filters=64, name="encoder"):
    """x -> (mean, log variance) of q(z | x): the DCGAN discriminator's body (batch norm) and
    two linear heads. The VAE's encoder and VAE-GAN's."""
    x_in = keras.Input(image_shape, name="x")
    h = _dcgan_body(x_in, base_filters, "batch", minibatch_stddev=False, spectral_norm=False)
    return keras.Model(x_in, [dense_head(latent_dim)(h), dense_head(latent_dim)(h)], name=name)


def autoencoder(encoder, decoder):
    """EBGAN's discriminator: x -> (reconstruction, code), from an encoder and a decoder model."""
    x_in = keras.Input(encoder.input.shape[1:], name="x")
    code = encoder(x_in)
    return keras.Model(x_in, [decoder(code), code], name="discriminator")
