"""Two unpaired domains made from MNIST, for translation models on a machine without other
data: `mnist2bold` pairs digits (domain A, the first half of each split) with bold digits
(domain B: the other half, strokes thickened by a 3x3 grey dilation). The halves hold
different digits, so nothing pairs an A image with its B version; the labels stay known, so
a translation can be checked for keeping the digit (benchmarks.digit_translation).
"""

import tensorflow as tf

from zoo.errors import ZooError
from zoo.registry import DatasetSpec, get_dataset, register_dataset

SPLITS = ("train", "test")
SIDE = 28


def embolden(images):
    """Thicker strokes: each pixel takes the brightest of its 3x3 neighbourhood (images in
    [-1, 1], background -1)."""
    return tf.nn.max_pool2d(images, 3, 1, "SAME")


def domain_split(split, domain):
    """The tfds split slice that domain "A" or "B" of `split` comes from."""
    return f"{split}[:50%]" if domain == "A" else f"{split}[50%:]"


def load_digit_domain(split, domain, batch_size, with_labels=False, **options):
    """Batches of one domain: digits (A) or bold digits (B), with their labels if asked."""
    images = get_dataset("mnist").loader(split=domain_split(split, domain), batch_size=batch_size,
                                         **options)
    transform = embolden if domain == "B" else tf.identity
    if with_labels:
        return images.map(lambda x, y: (transform(x), y))
    return images.map(lambda x, y: transform(x))


def _load(split="train", batch_size=64, image_size=None, shuffle=True, seed=None, data_dir=None,
          manual_dir=None, repeat=False):
    if split not in SPLITS:
        raise ZooError(f"mnist2bold has splits {SPLITS}, not {split!r}")
    if image_size not in (None, SIDE):
        raise ZooError(f"mnist2bold's digits are {SIDE}x{SIDE}: drop --image_size")
    options = dict(data_dir=data_dir, manual_dir=manual_dir, repeat=repeat)
    domains = [load_digit_domain(split, domain, batch_size, shuffle=shuffle,
                                 seed=None if seed is None else seed + offset, **options)
               for offset, domain in enumerate("AB")]
    # Equal halves: zip ends with the shorter, a batch at most.
    return tf.data.Dataset.zip(tuple(domains)).prefetch(tf.data.AUTOTUNE)


register_dataset(DatasetSpec(
    name="mnist2bold", loader=_load, element_shape=(SIDE, SIDE, 1), kind="unpaired",
    num_examples=30_000, description="MNIST digits (A) and, unpaired, bold MNIST digits (B)"))
