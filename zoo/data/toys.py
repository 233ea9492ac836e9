"""Synthetic toy distributions, drawn once from a seeded pool so that epochs are defined.

- gaussian_1d: N(4, 1.25^2), the 1-D toy.
- ring8: 8 Gaussians evenly spaced on the unit circle, std 0.01.
- grid25: 25 Gaussians on {-4, -2, 0, 2, 4}^2, std 0.05.
"""

import functools

import numpy as np
import tensorflow as tf

from zoo.errors import ZooError
from zoo.metrics import mixture_statistics, normal_1d_statistics
from zoo.registry import DatasetSpec, register_dataset

GAUSSIAN_1D_MEAN, GAUSSIAN_1D_STD = 4.0, 1.25
POOL_SIZE = 100_000
RING8_STD, GRID25_STD = 0.01, 0.05
MIXTURE_EVAL_SAMPLES = 2500  # VEEGAN's and PacGAN's protocol draws 2500 samples


def ring8_modes():
    angles = 2 * np.pi * np.arange(8) / 8
    return np.stack([np.cos(angles), np.sin(angles)], axis=1)


def grid25_modes():
    values = np.array([-4.0, -2.0, 0.0, 2.0, 4.0])
    return np.array([(x, y) for x in values for y in values])


def _mixture(rng, n, modes, std):
    return modes[rng.integers(0, len(modes), size=n)] + std * rng.standard_normal((n, 2))


def _toy_loader(draw):
    def load(split="train", batch_size=64, shuffle=True, seed=None, repeat=False,
             num_examples=POOL_SIZE, image_size=None, data_dir=None, manual_dir=None):
        # data_dir and manual_dir are the image loaders' options: a toy is drawn, not read.
        del data_dir, manual_dir
        if image_size is not None:
            raise ZooError("a toy dataset holds points, not images: drop --image_size")
        # The test split is an independent draw from the same distribution.
        rng = np.random.default_rng([0 if seed is None else seed, 0 if split == "train" else 1])
        ds = tf.data.Dataset.from_tensor_slices(draw(rng, num_examples).astype(np.float32))
        ds = ds.cache()
        if shuffle:
            ds = ds.shuffle(num_examples, seed=seed, reshuffle_each_iteration=True)
        if repeat:
            ds = ds.repeat()
        return ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)

    return load


register_dataset(DatasetSpec(
    name="gaussian_1d", kind="toy", grid_samples=2000, element_shape=(1,), num_examples=POOL_SIZE,
    description="N(4, 1.25^2)",
    loader=_toy_loader(lambda rng, n: GAUSSIAN_1D_MEAN + GAUSSIAN_1D_STD * rng.standard_normal((n, 1))),
    evaluate=functools.partial(normal_1d_statistics, mean=GAUSSIAN_1D_MEAN, std=GAUSSIAN_1D_STD)))


def _register_mixture(name, description, modes, std):
    register_dataset(DatasetSpec(
        name=name, kind="toy", grid_samples=2000, element_shape=(2,), num_examples=POOL_SIZE,
        description=description,
        loader=_toy_loader(lambda rng, n: _mixture(rng, n, modes, std)),
        evaluate=functools.partial(mixture_statistics, modes=modes, std=std),
        eval_samples=MIXTURE_EVAL_SAMPLES))


_register_mixture("ring8", "8 Gaussians on the unit circle, std 0.01", ring8_modes(), RING8_STD)
_register_mixture("grid25", "25 Gaussians on {-4,-2,0,2,4}^2, std 0.05", grid25_modes(), GRID25_STD)
