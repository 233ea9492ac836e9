"""Unpaired domains (CycleGAN's datasets) from a folder of trainA/ trainB/ testA/ testB/."""

import os

import numpy as np
import pytest
import tensorflow as tf

import zoo
from conftest import write_unpaired_folder
from zoo.data import unpaired


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """horse2zebra's layout in miniature: 3 horses (one grayscale, .jpg), 5 zebras, 2 + 2 to test."""
    return write_unpaired_folder(tmp_path_factory.mktemp("data") / "horse2zebra",
                                 {"trainA": 3, "trainB": 5, "testA": 2, "testB": 2},
                                 grayscale={("trainA", 0)}, jpeg_domains="A")


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
    image = tf.io.decode_image(tf.io.read_file(str(folder / "trainA" / "00.jpg")), channels=3)
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


# ---------------------------------------------------------------------- CycleGAN
from tiny import TINY_CONFIGS  # noqa: E402
from zoo.registry import get_model_class  # noqa: E402
from zoo.core.translation import HistoryPool  # noqa: E402


def test_history_pool_fills_then_swaps_about_half_for_older_images():
    pool = HistoryPool(4, (1, 1, 1), tf.random.Generator.from_seed(0))
    first = tf.reshape(tf.range(1, 5, dtype=tf.float32), (4, 1, 1, 1))
    np.testing.assert_array_equal(pool.query(first), first)  # while filling: the new ones
    shown = []
    for step in range(50):
        new = tf.fill((2, 1, 1, 1), 100.0 + step)
        shown.append(pool.query(new).numpy().ravel())
    shown = np.concatenate(shown)
    older = shown < 100 + np.repeat(np.arange(50), 2)
    assert 0.35 < older.mean() < 0.65  # an even chance of an older image, once full
    assert set(pool.images.numpy().ravel()) <= set(range(1, 5)) | set(100.0 + np.arange(50))


class _AlwaysZero:
    """A noise stream whose draws are all 0: every image swaps, every swap picks slot 0."""

    @staticmethod
    def uniform(shape, minval=0, maxval=None, dtype=tf.float32):
        return tf.zeros(shape, dtype)


def test_history_pool_keeps_the_last_of_images_bound_for_one_slot():
    pool = HistoryPool(1, (1, 1, 1), _AlwaysZero())
    pool.query(tf.ones((1, 1, 1, 1)))  # fills the pool with 1
    shown = pool.query(tf.reshape(tf.constant([5.0, 6.0, 7.0, 8.0]), (4, 1, 1, 1)))
    np.testing.assert_array_equal(shown.numpy().ravel(), [1, 1, 1, 1])  # all swapped for the old
    assert pool.images.numpy().ravel().tolist() == [8.0]  # as if taken in one at a time


def test_history_pool_filling_within_a_batch_never_shows_its_empty_start():
    pool = HistoryPool(2, (1, 1, 1), _AlwaysZero())
    shown = pool.query(tf.reshape(tf.constant([5.0, 6.0, 7.0, 8.0]), (4, 1, 1, 1)))
    # 5 and 6 fill the pool; 7 and 8 are swapped for slot 0, which 5 filled, not for a blank.
    np.testing.assert_array_equal(shown.numpy().ravel(), [5, 6, 5, 5])
    assert pool.images.numpy().ravel().tolist() == [8.0, 6.0]


def test_cyclegan_generator_loss_is_adversarial_plus_cycle_plus_identity():
    from zoo.models.cyclegan import ADVERSARIAL_WEIGHT

    gan = zoo.create("cyclegan", noise_seed=0, **TINY_CONFIGS["cyclegan"])
    rng = np.random.default_rng(0)
    a, b = (tf.constant(rng.uniform(-1, 1, (2, 16, 16, 3)), tf.float32) for _ in range(2))
    fake = gan.fake_batch((a, b))
    l1 = lambda x, y: np.abs(np.asarray(x) - np.asarray(y)).reshape(2, -1).mean(1)  # noqa: E731
    score_a, score_b = gan.discriminator([fake.fake_a, fake.fake_b], training=True)
    adversarial = sum(0.5 * (np.asarray(s).reshape(2, -1) - 1) ** 2 for s in (score_a, score_b)).mean(1)
    cycle = l1(gan.generator_ba(fake.fake_b, training=True), a) + l1(gan.generator_ab(fake.fake_a, training=True), b)
    identity = l1(gan.generator_ab(b, training=True), b) + l1(gan.generator_ba(a, training=True), a)
    expected = ADVERSARIAL_WEIGHT * adversarial + 10 * cycle + 0.5 * 10 * identity
    d = gan.discriminator_pass()
    np.testing.assert_allclose(gan.generator_loss(d, fake), expected, rtol=1e-4)


def test_hold_then_linear_decay_is_cyclegans_schedule():
    from zoo.optimizers import HoldThenLinearDecay

    schedule = HoldThenLinearDecay(2e-4, hold_steps=100, total_steps=200)
    rates = [float(schedule(step)) for step in (0, 99, 100, 150, 200, 250)]
    np.testing.assert_allclose(rates, [2e-4, 2e-4, 2e-4, 1e-4, 0.0, 0.0], atol=1e-12)


SERVE_TRANSLATIONS = """
import sys, numpy as np, tensorflow as tf
loaded = tf.saved_model.load(sys.argv[1])
images = np.load(sys.argv[2])
pixels = ((images + 1) * 127.5).round().astype(np.uint8)
out = {name: loaded.signatures[name](images=tf.constant(pixels if name.endswith("_uint8") else images))
       ["images"].numpy() for name in loaded.signatures}
np.savez(sys.argv[3], **out)
"""

TRANSLATION_MODELS = sorted(name for name in TINY_CONFIGS
                            if get_model_class(name).data_needs == "pairs")


@pytest.mark.parametrize("name", TRANSLATION_MODELS)
def test_export_serves_every_direction_in_a_fresh_process(name, tmp_path):
    import subprocess
    import sys

    gan = zoo.create(name, **TINY_CONFIGS[name])
    path = zoo.export(gan, str(tmp_path), name=f"tiny_{name}")
    images = np.random.default_rng(1).uniform(-1, 1, (3,) + gan.image_shape).astype("float32")
    np.save(tmp_path / "images.npy", images)
    subprocess.run([sys.executable, "-c", SERVE_TRANSLATIONS, path, str(tmp_path / "images.npy"),
                    str(tmp_path / "out.npz")], check=True,
                   env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    served = np.load(tmp_path / "out.npz")
    directions = list(gan.translators())
    assert sorted(served.files) == sorted(directions + [f"{d}_uint8" for d in directions]
                                          + ["serving_default"])
    pixels = ((images + 1) * 127.5).round().astype(np.uint8)
    for direction in directions:
        np.testing.assert_allclose(served[direction], gan.translate(images, direction), atol=1e-5)
        assert served[f"{direction}_uint8"].dtype == np.uint8
        assert np.abs(served[f"{direction}_uint8"].astype(int)
                      - gan.translate(pixels, direction).astype(int)).max() <= 1
    np.testing.assert_array_equal(served["serving_default"], served["a2b"])


def test_translate_checks_its_input_and_samples_nothing():
    gan = zoo.create("cyclegan", **TINY_CONFIGS["cyclegan"])
    with pytest.raises(zoo.ZooError, match=r"translates images of shape \(N, 16, 16, 3\)"):
        gan.translate(np.zeros((2, 8, 8, 3), np.float32))
    with pytest.raises(zoo.ZooError, match="cyclegan translates a2b and b2a, not .a2c."):
        gan.translate(np.zeros((1, 16, 16, 3), np.float32), "a2c")
    # A translation model has no latent prior: nothing to sample, no noise settings.
    assert not hasattr(gan, "generate") and "latent_dim" not in gan.get_config()


@pytest.mark.slow
def test_cyclegan_trains_through_zoo_training_on_the_folder(folder, tmp_path):
    from zoo import training

    gan, summary = training.train(
        preset="cyclegan_horse2zebra_64", image_size=16, epochs=2, seed=0, verbose=0,
        manual_dir=str(folder), output_dir=str(tmp_path / "run"), generator_filters=4,
        discriminator_filters=4, residual_blocks=1)
    assert int(gan.g_optimizer.iterations) == 2 * 5  # batch 1, 5 zebras an epoch
    assert all(np.isfinite(v) for k in ("d_loss", "g_loss") for v in summary["history"][k])
    assert (tmp_path / "run" / "samples" / "epoch_0002.png").is_file()
    loaded = zoo.load(summary["output_dir"])
    np.testing.assert_allclose(loaded.translate(gan.sample_inputs[0], "a2b"),
                               gan.translate(gan.sample_inputs[0], "a2b"), atol=1e-5)


def test_translation_and_single_domain_data_do_not_mix(folder, tmp_path):
    from zoo import training

    with pytest.raises(zoo.ZooError, match="horse2zebra holds unpaired domains: train a translation"):
        training.train(model="dcgan", dataset="horse2zebra", image_size=16, manual_dir=str(folder),
                       output_dir=str(tmp_path / "a"))
    with pytest.raises(zoo.ZooError, match="cyclegan translates between two domains and mnist"):
        training.train(model="cyclegan", dataset="mnist", image_size=16, output_dir=str(tmp_path / "b"))
