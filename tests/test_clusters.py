"""Clusters of the data (zoo.core.clusters, zoo.layers.ClusterDraw) and the clustered_gan built
on them: k-means, the draw of clusters from noise, and a model that learns its clusters from
its batches and samples from noise alone."""

import numpy as np
import pytest
import tensorflow as tf
import keras

import zoo
from zoo.core.clusters import kmeans, nearest_centre, purity
from zoo.errors import ZooError
from zoo.layers import ClusterDraw

from tiny import TINY_CONFIGS

SHARES = np.array([0.5, 0.3, 0.2])
LEVELS = (-0.8, 0.0, 0.8)  # the three kinds of tiny image: flat grey levels, a little noise


def blob_images(n=100, seed=0):
    """n tiny images of three kinds in SHARES, and the kind of each."""
    rng = np.random.default_rng(seed)
    kinds = np.repeat(np.arange(3), (SHARES * n).astype(int))
    images = np.array(LEVELS, np.float32)[kinds, None, None, None] + rng.normal(
        0.0, 0.05, (len(kinds), 16, 16, 1)).astype(np.float32)
    return images, kinds


def test_kmeans_finds_separate_groups_and_repeats_itself():
    images, kinds = blob_images()
    centres, assignment = kmeans(images, 3, seed=1)
    assert purity(assignment, kinds) == 1.0
    assert sorted(np.round(centres.mean(1), 1)) == pytest.approx(LEVELS, abs=0.05)
    again, same = kmeans(images, 3, seed=1)
    np.testing.assert_array_equal(again, centres)
    np.testing.assert_array_equal(same, assignment)
    np.testing.assert_array_equal(nearest_centre(tf.constant(images), tf.constant(centres)),
                                  assignment)


def test_kmeans_refuses_more_clusters_than_examples():
    with pytest.raises(ZooError, match=r"clusters must lie in \[2, 3\]"):
        kmeans(np.zeros((3, 4)), 5)


@pytest.mark.parametrize("distribution", ["normal", "uniform"])
def test_cluster_draw_follows_the_shares_and_is_saved_with_them(distribution, tmp_path):
    z = keras.Input((4,))
    draw = ClusterDraw(3, distribution)
    model = keras.Model(z, draw(z))
    draw.set_shares([5, 3, 2])  # counts: the shares are their proportions
    rng = np.random.default_rng(0)
    noise = (rng.normal(size=(100_000, 4)) if distribution == "normal"
             else rng.uniform(-1, 1, (100_000, 4))).astype(np.float32)
    drawn = model.predict(noise, batch_size=10_000, verbose=0)
    # 100,000 draws: each share's standard error is below 0.002.
    np.testing.assert_allclose(np.bincount(drawn, minlength=3) / len(drawn), SHARES, atol=0.01)
    model.save(tmp_path / "draw.keras")
    loaded = keras.models.load_model(tmp_path / "draw.keras")
    np.testing.assert_array_equal(loaded.predict(noise[:1000], verbose=0), drawn[:1000])


def clustered_gan(**options):
    return zoo.create("clustered_gan", noise_seed=0, **{**TINY_CONFIGS["clustered_gan"], **options})


def test_the_model_learns_its_clusters_from_the_batches():
    images, kinds = blob_images()
    gan = clustered_gan()
    gan.initialize_from_data(tf.data.Dataset.from_tensor_slices((images, kinds)).batch(32))
    labels = gan.real_batch((tf.constant(images), tf.constant(kinds)))[1].numpy()
    assert purity(labels, kinds) == 1.0  # the dataset's own labels are not read
    shares = np.diff(np.concatenate([[0.0], gan.cluster_draw.cumulative_shares.numpy()]))
    np.testing.assert_allclose(sorted(shares), sorted(SHARES), atol=1e-6)


def test_it_samples_and_serves_from_noise_alone(tmp_path):
    gan = clustered_gan()
    samples = gan.generate(6, seed=3)
    assert samples.shape == (6, 16, 16, 1)
    with pytest.raises(ZooError, match="unconditional: it takes no labels"):
        gan.generate(2, labels=[0, 1])
    served = tf.saved_model.load(zoo.export(gan, str(tmp_path), name="tiny"))
    signature = served.signatures["serving_default"]
    assert list(signature.structured_input_signature[1]) == ["z"]
    seeds = served.signatures["seeds"](seeds=tf.constant([3], tf.int64))
    np.testing.assert_allclose(next(iter(seeds.values())).numpy()[0], gan.generate(1, seed=3)[0],
                               atol=1e-5)


def test_clusters_are_set_with_clusters_not_num_classes():
    with pytest.raises(ZooError, match="set clusters=K instead of num_classes"):
        clustered_gan(num_classes=3)
    with pytest.raises(ZooError, match="clusters must be an integer >= 2, got 1"):
        clustered_gan(clusters=1)
    with pytest.raises(ZooError, match="cluster_seed must be an integer"):
        clustered_gan(cluster_seed=-1)
    config = clustered_gan(clusters=4).get_config()
    assert config["clusters"] == 4 and "num_classes" not in config


def test_fit_before_the_clusters_are_found_is_refused():
    images, _ = blob_images()
    gan = clustered_gan()
    gan.compile()
    with pytest.raises(ZooError, match="call initialize_from_data"):
        gan.fit(images, batch_size=8, epochs=1, verbose=0)
    gan.initialize_from_data(tf.data.Dataset.from_tensor_slices(images).batch(32))
    assert np.isfinite(gan.fit(images, batch_size=8, epochs=1, verbose=0).history["d_loss"][-1])


@pytest.mark.parametrize("distribution", ["normal", "uniform"])
def test_noise_moved_into_a_band_draws_that_cluster(distribution):
    draw = ClusterDraw(3, distribution)
    draw.build((None, 4))
    draw.set_shares(SHARES)
    clusters = tf.constant(np.arange(300) % 3, tf.int32)
    z = tf.random.stateless_normal((300, 4), seed=(1, 2))
    for position in (0.05, 0.5, 0.95):
        moved = draw.noise_of(clusters, z, tf.fill((300,), position))
        np.testing.assert_array_equal(draw(moved), clusters)
        np.testing.assert_array_equal(moved[:, 1:], z[:, 1:])


def test_the_fakes_in_training_take_the_real_batch_clusters():
    images, kinds = blob_images()
    gan = clustered_gan()
    gan.initialize_from_data(tf.data.Dataset.from_tensor_slices(images).batch(32))
    real = gan.real_batch(tf.constant(images))
    fakes, clusters = gan.fake_batch(real)
    np.testing.assert_array_equal(clusters, real[1])
    assert fakes.shape == images.shape
