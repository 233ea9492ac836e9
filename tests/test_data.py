import numpy as np
import pytest

import zoo
from zoo.data import images as image_data
from conftest import mock_tfds, needs_mnist


@pytest.mark.parametrize("name, shape", [("gaussian_1d", (1,)), ("ring8", (2,)), ("grid25", (2,))])
def test_toy_batches(name, shape):
    batch = next(iter(zoo.data.load(name, batch_size=32, seed=0)))
    assert batch.shape == (32,) + shape and batch.dtype == "float32"


def test_toys_follow_their_distributions():
    points = np.concatenate([b.numpy() for b in zoo.data.load("gaussian_1d", batch_size=1000)])
    assert abs(points.mean() - 4.0) < 0.02 and abs(points.std() - 1.25) < 0.02
    ring = np.concatenate([b.numpy() for b in zoo.data.load("ring8", batch_size=1000)])
    np.testing.assert_allclose(np.linalg.norm(ring, axis=1), 1.0, atol=0.06)
    grid = np.concatenate([b.numpy() for b in zoo.data.load("grid25", batch_size=1000)])
    assert len({tuple(p) for p in np.round(grid / 2) * 2}) == 25


def test_gaussian_1d_evaluation_reports_mean_std_and_ks():
    rng = np.random.default_rng(0)
    good = zoo.get_dataset("gaussian_1d").evaluate(4 + 1.25 * rng.standard_normal(20000))
    bad = zoo.get_dataset("gaussian_1d").evaluate(4 + 0.5 * rng.standard_normal(20000))
    assert abs(good["mean"] - 4) < 0.03 and abs(good["std"] - 1.25) < 0.03 and good["ks"] < 0.02
    assert bad["ks"] > 0.15


@pytest.mark.parametrize("name, shape, labelled", [
    ("mnist", (28, 28, 1), True), ("fashion_mnist", (28, 28, 1), True),
    ("cifar10", (32, 32, 3), True), ("celeb_a", (64, 64, 3), False)])
def test_tfds_pipelines_on_mock_data(name, shape, labelled, tmp_path):
    with mock_tfds(num_examples=10):
        ds = zoo.data.load(name, batch_size=4, data_dir=str(tmp_path))
        batches = list(ds)
    assert len(batches) == 2  # 10 examples, drop_remainder
    images = batches[0][0] if labelled else batches[0]
    assert images.shape == (4,) + shape and images.dtype == "float32"
    assert -1.0 <= float(np.min(images)) and float(np.max(images)) <= 1.0


def test_image_size_resizes(tmp_path):
    with mock_tfds(num_examples=4):
        images, _ = next(iter(zoo.data.load("mnist", batch_size=4, image_size=32, data_dir=str(tmp_path))))
    assert images.shape == (4, 32, 32, 1)


def test_missing_manual_files_are_named(tmp_path):
    with pytest.raises(zoo.ZooError, match="lacks .*train-images-idx3-ubyte.gz"):
        zoo.data.load("fashion_mnist", data_dir=str(tmp_path / "tfds"), manual_dir=str(tmp_path))


def test_no_network_and_no_files_says_where_to_put_them(tmp_path, monkeypatch):
    monkeypatch.delenv("ZOO_MANUAL_DIR", raising=False)
    monkeypatch.setattr(image_data, "_reachable", lambda url: False)
    with pytest.raises(zoo.ZooError, match="can't be downloaded .*cifar-10-binary.tar.gz.*--manual_dir"):
        zoo.data.load("cifar10", data_dir=str(tmp_path))


@needs_mnist
def test_real_mnist_from_the_original_files():
    images, labels = next(iter(zoo.data.load("mnist", batch_size=256, seed=0)))
    assert images.shape == (256, 28, 28, 1)
    assert float(images.numpy().min()) == -1.0 and float(images.numpy().max()) == 1.0
    assert set(labels.numpy().tolist()) == set(range(10))
