"""Datasets by name: `zoo.data.load("mnist", batch_size=128)` gives a batched tf.data.Dataset.

Image sets come through tensorflow-datasets (scaled to [-1, 1]); the toy sets are drawn
here. Importing this package registers them all.
"""

from zoo.data import digit_domains, images, toys, unpaired  # noqa: F401  (registration)
from zoo.registry import get_dataset


def load(name, split="train", batch_size=64, **options):
    """The dataset `name`, batched with drop_remainder, shuffled for training, prefetched."""
    return get_dataset(name).loader(split=split, batch_size=batch_size, **options)
