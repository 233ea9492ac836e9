"""Datasets by name: `zoo.data.load("mnist", batch_size=128)` gives a batched tf.data.Dataset.

Image sets come through tensorflow-datasets (scaled to [-1, 1]); the toy sets are drawn
here. Importing this package registers them all. `training_batches` gives a run the batches
its model declares it needs (`data_needs`).
"""

import dataclasses
from typing import Optional

import numpy as np
import tensorflow as tf

from zoo.data import digit_domains, images, semi_supervised, toys, unpaired  # noqa: F401  (registration)
from zoo.registry import get_dataset


def load(name, split="train", batch_size=64, **options):
    """The dataset `name`, batched with drop_remainder, shuffled for training, prefetched."""
    return get_dataset(name).loader(split=split, batch_size=batch_size, **options)


@dataclasses.dataclass(frozen=True)
class DataSource:
    """Where a run's data come from and how they are cut, handed whole to every loader."""

    data_dir: Optional[str] = None  # tensorflow-datasets' folder
    manual_dir: Optional[str] = None  # files placed by hand (offline MNIST, horse2zebra)
    image_size: Optional[int] = None  # None: the dataset's own
    seed: Optional[int] = None  # shuffling; None: nondeterministic

    def options(self):
        return dict(image_size=self.image_size, data_dir=self.data_dir, manual_dir=self.manual_dir)


def training_batches(spec, data_needs, batch_size, source, labelled_examples=None,
                     labelled_seed=None, repeat=False):
    """`spec`'s training split in batches of `batch_size`, as a model with `data_needs` takes
    them ("labelled_subset": beside each, a batch of `labelled_examples` kept labels, drawn with
    `labelled_seed`, by default the source's seed)."""
    batches = spec.loader(split="train", batch_size=batch_size, seed=source.seed, repeat=repeat,
                          **source.options())
    if data_needs == "labelled_subset":
        seed = (source.seed or 0) if labelled_seed is None else labelled_seed
        kept = semi_supervised.labelled_subset(spec, labelled_examples, seed=seed,
                                               **source.options())
        batches = semi_supervised.with_labelled_batches(batches, *kept, batch_size, seed=source.seed)
    # Across workers, each keeps its share of every global batch (DATA): sharding by files
    # would leave a worker without data where a source has fewer files than workers (tfds'
    # MNIST is one file). A partition only when every worker shuffles alike: pass a seed.
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return batches.with_options(options)


def first_test_pairs(spec, count, source):
    """The first `count` test images of each domain of an unpaired dataset: (a, b) arrays."""
    pairs = list(spec.loader(split="test", batch_size=1, shuffle=False, **source.options()).take(count))
    return tuple(np.concatenate([pair[i] for pair in pairs]) for i in (0, 1))
