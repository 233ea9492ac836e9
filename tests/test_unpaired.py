"""Unpaired domains (CycleGAN's datasets) from a folder of trainA/ trainB/ testA/ testB/."""

import os

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.data import unpaired


def _write(path, image):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    encode = tf.io.encode_png if path.endswith(".png") else tf.io.encode_jpeg
    tf.io.write_file(path, encode(tf.constant(image, tf.uint8)))


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """horse2zebra's layout in miniature: 3 horses (one grayscale), 5 zebras, 2 + 2 to test."""
    root = tmp_path_factory.mktemp("data") / "horse2zebra"
    rng = np.random.default_rng(0)
    for sub, count, value in (("trainA", 3, 40), ("trainB", 5, 200), ("testA", 2, 40), ("testB", 2, 200)):
        for i in range(count):
            channels = 1 if (sub, i) == ("trainA", 0) else 3
            image = np.clip(value + rng.integers(-20, 20, (32, 32, channels)), 0, 255)
            _write(str(root / sub / f"{i}.{'png' if sub.endswith('B') else 'jpg'}"), image)
    return root


def test_training_pairs_an_image_of_each_domain_for_the_larger_domain(folder):
    ds = zoo.data.load("horse2zebra", batch_size=2, image_size=16, seed=0,
                       manual_dir=str(folder.parent))  # found as manual_dir/horse2zebra
    assert int(ds.cardinality()) == 5 // 2
    batches = list(ds)
    assert len(batches) == 2
    a, b = batches[0]
    assert a.shape == b.shape == (2, 16, 16, 3) and a.dtype == tf.float32
    assert -1 <= float(tf.reduce_min(a)) and float(tf.reduce_max(b)) <= 1
    assert float(tf.reduce_mean(a)) < -0.3 < 0.3 < float(tf.reduce_mean(b))  # dark A, light B


def test_grayscale_images_become_rgb_and_test_images_are_resized_only(folder):
    test = list(zoo.data.load("horse2zebra", split="test", batch_size=2, image_size=16,
                              shuffle=False, manual_dir=str(folder)))
    again = list(zoo.data.load("horse2zebra", split="test", batch_size=2, image_size=16,
                               shuffle=False, manual_dir=str(folder)))
    np.testing.assert_array_equal(test[0][0], again[0][0])  # no random jitter at test time
    image = tf.io.decode_image(tf.io.read_file(str(folder / "trainA" / "0.jpg")), channels=3)
    assert image.shape[-1] == 3 and np.array_equal(image[..., 0], image[..., 1])


def test_jitter_resizes_crops_and_flips():
    image = tf.constant(np.arange(32 * 32 * 3).reshape(32, 32, 3) % 256, tf.uint8)
    tf.random.set_seed(0)
    crops = [unpaired.jitter(image, 16) for _ in range(8)]
    assert all(c.shape == (16, 16, 3) for c in crops)
    assert len({c.numpy().tobytes() for c in crops}) > 1


def test_without_the_folder_and_a_network_it_says_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.delenv("ZOO_MANUAL_DIR", raising=False)
    monkeypatch.setattr(unpaired, "_reachable", lambda url: False)
    with pytest.raises(zoo.ZooError, match="trainA/ trainB/ testA/ testB/ folders in FOLDER"):
        zoo.data.load("horse2zebra", data_dir=str(tmp_path))
