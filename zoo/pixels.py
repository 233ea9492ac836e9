"""Pixel ranges: uint8 0-255 in files, pictures and requests; [-1, 1], the range of the
generators' tanh, inside the models."""

import numpy as np
import tensorflow as tf

from zoo.errors import ZooError


def to_unit_range(images):
    """uint8 [0, 255] -> float32 [-1, 1], as a tensor."""
    return tf.cast(images, tf.float32) / 127.5 - 1.0


def images_to_unit_range(images, image_shape, what):
    """(float32 numpy images in [-1, 1], whether they came as uint8) from a batch of images of
    `image_shape`: uint8 pixels 0-255, or floats in [-1, 1]. Anything else is a ZooError line
    that begins with `what` (say "cyclegan translates")."""
    expected = f"images of shape (N, {', '.join(map(str, image_shape))})"
    try:
        images = np.asarray(images)
    except ValueError:  # ragged nested lists
        raise ZooError(f"{what} {expected}, got a ragged sequence") from None
    if images.ndim != 4 or images.shape[1:] != tuple(image_shape) or not len(images):
        raise ZooError(f"{what} {expected} with N >= 1, got {images.shape}")
    if images.dtype == np.uint8:
        return to_unit_range(images).numpy(), True
    if not np.issubdtype(images.dtype, np.floating):
        raise ZooError(f"{what} uint8 pixels (0-255) or floats in [-1, 1], got {images.dtype}: "
                       "convert them (e.g. images.astype(np.uint8))")
    images = images.astype(np.float32)
    if not np.all(np.isfinite(images)):
        raise ZooError(f"{what} float images in [-1, 1], got NaN or infinite values")
    if images.min() < -1.0 or images.max() > 1.0:
        raise ZooError(f"{what} float images in [-1, 1], got values from {images.min():g} to "
                       f"{images.max():g}: pass uint8 pixels 0-255, or floats as x / 127.5 - 1")
    return images, False


def to_uint8(images):
    """Images in [-1, 1] -> uint8 pixels 0-255 (rounded, clipped), as a numpy array."""
    return np.clip(np.round((np.asarray(images) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def to_uint8_tensor(images):
    """to_uint8 in the graph (for the exports' uint8 signatures)."""
    return tf.cast(tf.clip_by_value(tf.round((images + 1.0) * 127.5), 0, 255), tf.uint8)
