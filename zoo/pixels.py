"""Pixel ranges: uint8 0-255 in files, pictures and requests; [-1, 1], the range of the
generators' tanh, inside the models."""

import numpy as np
import tensorflow as tf


def to_unit_range(images):
    """uint8 [0, 255] -> float32 [-1, 1], as a tensor."""
    return tf.cast(images, tf.float32) / 127.5 - 1.0


def to_uint8(images):
    """Images in [-1, 1] -> uint8 pixels 0-255 (rounded, clipped), as a numpy array."""
    return np.clip(np.round((np.asarray(images) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def to_uint8_tensor(images):
    """to_uint8 in the graph (for the exports' uint8 signatures)."""
    return tf.cast(tf.clip_by_value(tf.round((images + 1.0) * 127.5), 0, 255), tf.uint8)
