"""Image datasets through tensorflow-datasets, with an offline path.

Where the data come from, in this order:
  1. an already prepared tfds copy in `data_dir` (flag --data_dir, env ZOO_DATA_DIR, else
     tfds' default ~/tensorflow_datasets);
  2. the dataset's original download files in `manual_dir` (flag --manual_dir, env
     ZOO_MANUAL_DIR): tfds prepares from them and checks their sha256, no network needed;
  3. a tfds download, when the download host can be reached.
Otherwise a `ZooError` names the files to put where. Checking reachability first avoids
tfds' minutes of download retries on a machine without a network.
"""

import contextlib
import os
import re
import socket
import urllib.parse

import tensorflow as tf
import tensorflow_datasets as tfds
# Not exported under tfds.download (tfds 4.9): the checksum error lives in its module.
from tensorflow_datasets.core.download.download_manager import NonMatchingChecksumError

from zoo.checks import writable_folder
from zoo.errors import ZooError
from zoo.pixels import to_unit_range
from zoo.registry import DatasetSpec, register_dataset

CACHE_LIMIT_BYTES = 2 << 30  # cache a prepared split in memory when its uint8 pixels fit


def _env_dir(explicit, variable):
    return explicit or os.environ.get(variable) or None


def _reachable(url, timeout=3.0):
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname, port), timeout=timeout).close()
        return True
    except OSError:
        return False


@contextlib.contextmanager
def _alone(lock_path):
    """Hold an exclusive lock on `lock_path` (POSIX), so that processes sharing a data_dir
    prepare a dataset one at a time; where no lock can be had, go on without one."""
    try:
        import fcntl

        os.makedirs(os.path.dirname(lock_path), exist_ok=True)
        handle = open(lock_path, "a")
    except (ImportError, OSError):
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def prepared_builder(tfds_name, data_dir=None, manual_dir=None):
    """The tfds builder of `tfds_name`, prepared (from `manual_dir` or a download) if it was
    not. A process that waited for another's preparation takes a fresh builder, which reads
    the prepared copy."""
    data_dir, manual_dir = _env_dir(data_dir, "ZOO_DATA_DIR"), _env_dir(manual_dir, "ZOO_MANUAL_DIR")
    builder = tfds.builder(tfds_name, data_dir=data_dir)
    if builder.is_prepared():
        return builder
    check_can_prepare(builder, name=tfds_name)
    root = os.path.dirname(os.path.dirname(builder.data_dir))  # data_dir/<name>/<version>
    with _alone(os.path.join(root, f".{builder.name}.lock")):
        builder = tfds.builder(tfds_name, data_dir=data_dir)
        if not builder.is_prepared():
            _prepare(builder, manual_dir)
    return builder


def check_can_prepare(builder, name):
    """Refuse, before any download, a dataset that is not prepared where it can't be written."""
    if not writable_folder(builder.data_dir):
        raise ZooError(f"dataset {name!r} is not prepared in {builder.data_dir}, and that folder "
                       "is read-only: pass a writable --data_dir (or ZOO_DATA_DIR), or one where "
                       "it is prepared")


def _prepare(builder, manual_dir):
    """Prepare the tfds dataset from `manual_dir` or a download, or say exactly what is missing."""
    files = sorted({info.filename for info in (builder.url_infos or {}).values()})
    listing = ", ".join(files) or "its download files"
    name = builder.name
    if manual_dir:
        missing = [f for f in files if not tf.io.gfile.exists(os.path.join(manual_dir, f))]
        if missing:
            raise ZooError(f"dataset {name!r} is not prepared and {manual_dir} lacks "
                           f"{', '.join(missing)}: put the original files there (tfds "
                           f"checks their sha256) or point --manual_dir at them")
        config = tfds.download.DownloadConfig(manual_dir=manual_dir)
    else:
        urls = list((builder.url_infos or {}).keys())
        if urls and not _reachable(urls[0]):
            raise ZooError(f"dataset {name!r} can't be downloaded (no network): put {listing} "
                           f"in a folder and pass --manual_dir=FOLDER (or set ZOO_MANUAL_DIR)")
        config = tfds.download.DownloadConfig()
    try:
        builder.download_and_prepare(download_config=config)
    except NonMatchingChecksumError as error:
        named = re.search(r"downloaded to (.+?), has wrong checksum", str(error))
        culprit = named.group(1) if named else f"a file from {manual_dir or 'the download'}"
        raise ZooError(f"dataset {name!r}: {culprit} does not match the checksum tfds expects; "
                       "replace it with the original") from None


def _central_square(image, fraction=1.0):
    """The central square of an image, its side `fraction` of the shorter side."""
    shape = tf.shape(image)
    side = tf.cast(tf.cast(tf.minimum(shape[0], shape[1]), tf.float32) * fraction, tf.int32)
    return tf.image.crop_to_bounding_box(image, (shape[0] - side) // 2, (shape[1] - side) // 2,
                                         side, side)


def _resize_uint8(image, size):
    """Area resize to size x size, kept uint8 so that the result can be cached compactly."""
    image = tf.image.resize(image, (size, size), method="area", antialias=True)
    return tf.cast(tf.clip_by_value(tf.round(image), 0, 255), tf.uint8)


def tfds_image_loader(tfds_name, native_size, has_labels, crop_fraction=None):
    """A loader for a tfds image dataset yielding `(image, label)` or `image` batches."""

    def load(split="train", batch_size=64, image_size=None, shuffle=True, seed=None,
             data_dir=None, manual_dir=None, repeat=False):
        builder = prepared_builder(tfds_name, data_dir, manual_dir)
        ds = builder.as_dataset(split=split, shuffle_files=shuffle,
                                read_config=tfds.ReadConfig(shuffle_seed=seed))
        size = image_size or native_size
        channels = builder.info.features["image"].shape[-1]

        def decode(example):
            image = example["image"]
            if size != native_size or crop_fraction:
                # crop_fraction < 1 (CelebA): keep the face, drop the background.
                image = _resize_uint8(_central_square(image, crop_fraction or 1.0), size)
            image = tf.ensure_shape(image, (size, size, channels))
            return (image, example["label"]) if has_labels else image

        ds = ds.map(decode, num_parallel_calls=tf.data.AUTOTUNE)
        try:
            examples = builder.info.splits[split].num_examples
        except (KeyError, ValueError):  # metadata without split sizes: skip the in-memory cache
            examples = None
        if examples and examples * size * size * channels <= CACHE_LIMIT_BYTES:
            ds = ds.cache()
        if shuffle:
            ds = ds.shuffle(min(examples or 10_000, 60_000), seed=seed,
                            reshuffle_each_iteration=True)
        if repeat:
            ds = ds.repeat()
        scale = ((lambda image, label: (to_unit_range(image), label)) if has_labels
                 else to_unit_range)
        ds = ds.batch(batch_size, drop_remainder=True, num_parallel_calls=tf.data.AUTOTUNE)
        return ds.map(scale, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)

    return load


def _register(name, shape, num_classes, num_examples, description, crop_fraction=None):
    register_dataset(DatasetSpec(
        name=name, element_shape=shape, kind="image", num_classes=num_classes,
        num_examples=num_examples, description=description,
        loader=tfds_image_loader(name, shape[0], has_labels=num_classes is not None,
                                 crop_fraction=crop_fraction)))


_register("mnist", (28, 28, 1), 10, 60_000, "handwritten digits, 28x28 grayscale")
_register("fashion_mnist", (28, 28, 1), 10, 60_000, "Zalando clothing, 28x28 grayscale")
_register("cifar10", (32, 32, 3), 10, 50_000, "10 object classes, 32x32 RGB")
# CelebA's aligned faces are 218x178; the usual GAN preprocessing keeps a central square of
# about 140 pixels (crop fraction 140/178) and resizes it to 64x64.
_register("celeb_a", (64, 64, 3), None, 162_770, "aligned celebrity faces, cropped to 64x64",
          crop_fraction=140 / 178)
