"""Unpaired image domains, CycleGAN's datasets: batches of (a, b), an image of each domain.

The sets of Zhu et al. 2017 (horse2zebra, summer2winter_yosemite, monet2photo, ...) are
registered by name. Where the images come from, in this order:
  1. a folder holding trainA/ trainB/ testA/ testB/ (the layout of the original zips):
     `manual_dir` itself or `manual_dir/<name>` (flag --manual_dir, env ZOO_MANUAL_DIR);
  2. tfds `cycle_gan/<name>`, already prepared in `data_dir` or downloaded when the host can
     be reached.
Otherwise a ZooError says where to put the folder.

Training batches get CycleGAN's random jitter: resized to 286/256 of the side, a random crop
of the side, a random left-right flip; test batches are resized only. Grayscale images (seven
of horse2zebra's zebras) are decoded as RGB. An epoch is as many batches as the larger domain
fills; the smaller domain is cycled, each in its own shuffled order.
"""

import os

import tensorflow as tf
import tensorflow_datasets as tfds

from zoo.data.images import _env_dir, _reachable, check_can_prepare
from zoo.errors import ZooError
from zoo.pixels import to_unit_range
from zoo.registry import DatasetSpec, register_dataset

NATIVE_SIDE = 256
JITTER_SCALE = 286 / 256  # CycleGAN's load size over its crop size
IMAGE_PATTERNS = ("*.jpg", "*.jpeg", "*.png")
# name -> (images in trainA, images in trainB) of the original release
CYCLE_GAN_SETS = {
    "horse2zebra": (1067, 1334), "summer2winter_yosemite": (1231, 962),
    "monet2photo": (1072, 6287), "apple2orange": (995, 1019),
}
SPLITS = ("train", "test")
DOMAINS = ("A", "B")


def _folder(manual_dir, name):
    """The folder with trainA/... for `name` under manual_dir, or None."""
    if not manual_dir:
        return None
    for candidate in (manual_dir, os.path.join(manual_dir, name)):
        if os.path.isdir(os.path.join(candidate, "trainA")):
            return candidate
    return None


def _files(folder, subfolder):
    files = sorted(f for pattern in IMAGE_PATTERNS
                   for f in tf.io.gfile.glob(os.path.join(folder, subfolder, pattern)))
    if not files:
        raise ZooError(f"{os.path.join(folder, subfolder)} holds no .jpg or .png images")
    for path in files:
        _check_whole_image(path)
    return files


# How a whole file of each format begins and ends (a JPEG may be padded with zero bytes).
_JPEG = (b"\xff\xd8", b"\xff\xd9")
_PNG = (b"\x89PNG\r\n\x1a\n", b"IEND\xaeB`\x82")


def _check_whole_image(path):
    """Refuse, before training, a file that would stop it mid-epoch: empty, truncated, or no
    JPEG or PNG at all (its first and last bytes tell; decoding every image would take long)."""
    with tf.io.gfile.GFile(path, "rb") as f:
        head = f.read(8)
        size = f.size()
        f.seek(max(size - 64, 0))
        tail = f.read().rstrip(b"\x00")
    if not any(head.startswith(start) and tail.endswith(end) for start, end in (_JPEG, _PNG)):
        raise ZooError(f"{path} is not a whole JPEG or PNG image (empty, cut short, or another kind "
                       "of file): replace or remove it")


def _decode(path):
    image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    return tf.ensure_shape(image, (None, None, 3))


def _domain_from_folder(folder, split, domain):
    files = _files(folder, f"{split}{domain}")
    return tf.data.Dataset.from_tensor_slices(files).map(_decode, tf.data.AUTOTUNE), len(files)


def _domain_from_tfds(name, split, domain, data_dir):
    builder = tfds.builder(f"cycle_gan/{name}", data_dir=data_dir)
    if not builder.is_prepared():
        check_can_prepare(builder, name=name)
        urls = list((builder.url_infos or {}).keys())
        if urls and not _reachable(urls[0]):
            raise ZooError(f"dataset {name!r} can't be downloaded (no network): put its "
                           f"trainA/ trainB/ testA/ testB/ folders in FOLDER or FOLDER/{name} "
                           "and pass --manual_dir=FOLDER (or set ZOO_MANUAL_DIR)")
        builder.download_and_prepare()
    tfds_split = f"{split}{domain}"
    ds = builder.as_dataset(split=tfds_split).map(lambda example: example["image"])
    return ds, builder.info.splits[tfds_split].num_examples


def _domain(name, split, domain, data_dir, manual_dir):
    """(one domain's uint8 images at their stored size in file order, their count)."""
    folder = _folder(_env_dir(manual_dir, "ZOO_MANUAL_DIR"), name)
    if folder:
        return _domain_from_folder(folder, split, domain)
    return _domain_from_tfds(name, split, domain, _env_dir(data_dir, "ZOO_DATA_DIR"))


def domain_images(name, split="test", domain="A", image_size=None, manual_dir=None,
                  data_dir=None):
    """Every image of one domain of one split, once each and in file order, as single float32
    images in [-1, 1] resized to `image_size` (default 256) with no jitter: what a classifier
    of the domains, or a measure of translations, reads. The dataset's cardinality is known."""
    if name not in CYCLE_GAN_SETS:
        raise ZooError(f"domain images come from CycleGAN's sets ({', '.join(sorted(CYCLE_GAN_SETS))}),"
                       f" not {name!r}")
    if split not in SPLITS:
        raise ZooError(f"{name} has splits {SPLITS}, not {split!r}")
    if domain not in DOMAINS:
        raise ZooError(f"domain must be one of {DOMAINS} (A: the first name of {name}), "
                       f"got {domain!r}")
    if image_size is not None and (isinstance(image_size, bool) or not isinstance(image_size, int)
                                   or image_size < 1):
        raise ZooError(f"image_size must be a positive integer, got {image_size!r}")
    side = image_size or NATIVE_SIDE
    images, _ = _domain(name, split, domain, data_dir, manual_dir)  # the cardinality says the count
    # Through the native side first, as the training batches are, so that a classifier and a
    # translator at the same size see the same pixels.
    return images.map(lambda image: to_unit_range(_resize(_resize(image, NATIVE_SIDE), side)),
                      tf.data.AUTOTUNE)


def _resize(image, side):
    return tf.cast(tf.image.resize(image, (side, side), antialias=True), tf.uint8)


def jitter(image, side):
    """CycleGAN's training augmentation: resize to 286/256 of `side`, random crop, random flip."""
    image = _resize(image, round(side * JITTER_SCALE))
    image = tf.image.random_crop(image, (side, side, 3))
    return tf.image.random_flip_left_right(image)


def unpaired_loader(name):
    def load(split="train", batch_size=1, image_size=None, shuffle=True, seed=None,
             data_dir=None, manual_dir=None, repeat=False):
        if split not in SPLITS:
            raise ZooError(f"{name} has splits {SPLITS}, not {split!r}")
        side = image_size or NATIVE_SIDE
        domains = [_domain(name, split, d, data_dir, manual_dir) for d in "AB"]
        steps = max(count for _, count in domains) // batch_size
        if steps < 1:
            raise ZooError(f"{name}'s {split} split has fewer images than one batch of {batch_size}")
        streams = []
        for offset, (images, count) in enumerate(domains):
            images = images.map(lambda image: _resize(image, NATIVE_SIDE)).cache()
            if shuffle:
                images = images.shuffle(count, seed=None if seed is None else seed + offset,
                                        reshuffle_each_iteration=True)
            transform = (lambda image: jitter(image, side)) if split == "train" and shuffle else \
                (lambda image: _resize(image, side))
            streams.append(images.repeat().map(lambda image: to_unit_range(transform(image)),
                                               tf.data.AUTOTUNE))
        pairs = tf.data.Dataset.zip(tuple(streams)).batch(batch_size, drop_remainder=True)
        if not repeat:
            pairs = pairs.take(steps)
        return pairs.prefetch(tf.data.AUTOTUNE)

    return load


for _name, (_a, _b) in CYCLE_GAN_SETS.items():
    register_dataset(DatasetSpec(
        name=_name, loader=unpaired_loader(_name), element_shape=(NATIVE_SIDE, NATIVE_SIDE, 3),
        kind="unpaired", num_examples=max(_a, _b),
        description=f"CycleGAN's unpaired {_name.replace('2', ' / ')} ({_a} / {_b} training images)"))
