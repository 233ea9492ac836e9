"""Semi-supervised training data: all training images unlabelled, plus a few labelled ones.

The setting of Salimans et al. 2016 (and Odena 2016): of MNIST's 60,000 training images, N
(100) keep their labels, the same number of each class, chosen at random; every image,
those N included, also serves without its label. Each training batch pairs a batch of
unlabelled images with a batch drawn from the N labelled ones (cycled, reshuffled), so the
supervised signal comes every step although the labelled set is tiny.
"""

import numpy as np
import tensorflow as tf

from zoo.errors import ZooError

# Batches of the pass that collects the labels (the loader drops a remainder: up to 99 examples).
COLLECT_BATCH = 100


def labelled_subset(spec, count, seed=0, **load_options):
    """`count` labelled training examples of `spec`, count / num_classes of each class, drawn
    at random with `seed`: (images, labels) as numpy arrays."""
    if spec.num_classes is None:
        raise ZooError(f"{spec.name} has no labels: semi-supervised training needs a labelled "
                       "dataset (e.g. mnist)")
    if count < spec.num_classes or count % spec.num_classes:
        raise ZooError(f"labelled_examples must be a positive multiple of {spec.name}'s "
                       f"{spec.num_classes} classes, got {count}")
    batches = spec.loader(split="train", batch_size=COLLECT_BATCH, shuffle=False, **load_options)
    pairs = [(x.numpy(), y.numpy()) for x, y in batches]
    if not pairs:
        raise ZooError(f"{spec.name}'s training split gave no batch of {COLLECT_BATCH} examples")
    images, labels = (np.concatenate(parts) for parts in zip(*pairs))
    rng = np.random.default_rng(seed)
    per_class = count // spec.num_classes
    chosen = []
    for label in range(spec.num_classes):
        candidates = np.flatnonzero(labels == label)
        if len(candidates) < per_class:
            raise ZooError(f"{spec.name} has {len(candidates)} training examples of class {label}, "
                           f"fewer than the {per_class} asked for: lower labelled_examples")
        chosen.append(rng.choice(candidates, per_class, replace=False))
    chosen = np.sort(np.concatenate(chosen))
    return images[chosen], labels[chosen].astype(np.int32)


def with_labelled_batches(unlabelled, images, labels, batch_size, seed=None):
    """Each batch of `unlabelled` (its labels dropped) beside a batch of `batch_size` labelled
    examples: {"image", "labelled_image", "label"}."""
    labelled = (tf.data.Dataset.from_tensor_slices((images, labels))
                .repeat().shuffle(len(images), seed=seed).batch(batch_size, drop_remainder=True))

    def pair(batch, labelled_batch):
        x = batch[0] if isinstance(batch, tuple) else batch
        return {"image": x, "labelled_image": labelled_batch[0], "label": labelled_batch[1]}

    return tf.data.Dataset.zip((unlabelled, labelled)).map(pair).prefetch(tf.data.AUTOTUNE)
