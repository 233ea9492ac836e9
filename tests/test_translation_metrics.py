"""Scoring translations on a domain classifier: the scores, the classifier, the benchmark."""

import json
import os

import keras
import numpy as np
import pytest

import zoo
from conftest import horse2zebra_folder, needs_horse2zebra, write_unpaired_folder
from tiny import TINY_CONFIGS
from zoo.errors import ZooError
from zoo.metrics import classifier as classifiers
from zoo.metrics.translation import domain_translation_scores, translation_scores

SIDE = 8


def brightness_classifier():
    """A stand-in domain classifier: features are the mean of each channel, and an image is
    class 1 (light) when their sum is positive, class 0 (dark) otherwise."""
    images = keras.Input((SIDE, SIDE, 3))
    means = keras.layers.GlobalAveragePooling2D()(images)
    features = keras.layers.Dense(3, name=classifiers.FEATURE_LAYER)(means)
    logits = keras.layers.Dense(2, name="logits")(features)
    model = keras.Model(images, logits)
    model.get_layer(classifiers.FEATURE_LAYER).set_weights([np.eye(3), np.zeros(3)])
    model.get_layer("logits").set_weights([np.tile([[-10.0, 10.0]], (3, 1)), np.zeros(2)])
    return model


def domain(sign, count, seed):
    """`count` images all dark (sign -1) or all light (+1), each of its own shade and tint."""
    rng = np.random.default_rng(seed)
    shade = rng.uniform(0.3, 0.8, (count, 1, 1, 1)) + rng.uniform(-0.1, 0.1, (count, 1, 1, 3))
    noise = rng.uniform(-0.1, 0.1, (count, SIDE, SIDE, 3))
    return (sign * shade + noise).astype(np.float32)


def invert(images):
    return -images


def test_inverting_brightness_translates_and_the_identity_does_not():
    dark, light = domain(-1, 60, seed=0), domain(+1, 70, seed=1)
    scores = translation_scores(invert, dark, light, brightness_classifier(), target_class=1)
    assert scores["target_share"] == 1.0 and scores["identity_target_share"] == 0.0
    assert scores["fid"] < 0.1 * scores["identity_fid"]
    # The FID reads the feature layer, here the channel means: computed by hand, the same.
    expected = zoo.metrics.frechet_distance(light.mean(axis=(1, 2)), dark.mean(axis=(1, 2)))
    assert scores["identity_fid"] == pytest.approx(expected, rel=1e-4)
    assert (scores["source_count"], scores["target_count"]) == (60, 70)


def test_both_directions_read_the_right_source_target_and_class():
    dark, light = domain(-1, 40, seed=2), domain(+1, 50, seed=3)

    def everything_dark(images, direction):
        del direction
        return -np.abs(images)

    scores = domain_translation_scores(everything_dark, dark, light, brightness_classifier())
    assert scores["a2b"]["target_share"] == 0.0  # dark horses stay dark: no zebra
    assert scores["b2a"]["target_share"] == 1.0  # light zebras made dark: all horses
    assert scores["a2b"]["source_count"] == 40 and scores["b2a"]["source_count"] == 50
    assert scores["a2b"]["identity_target_share"] == scores["b2a"]["identity_target_share"] == 0.0


def test_bad_input_is_one_line_saying_what_to_pass():
    dark, light, model = domain(-1, 4, seed=4), domain(+1, 4, seed=5), brightness_classifier()
    with pytest.raises(ZooError, match="one image per source image"):
        translation_scores(lambda x: x[:2], dark, light, model, 1)
    with pytest.raises(ZooError, match=r"target_class must be a class of the classifier \(0 to 1\)"):
        translation_scores(invert, dark, light, model, 2)
    with pytest.raises(ZooError, match="load both domains at one image size"):
        translation_scores(invert, dark, light[:, :4, :4], model, 1)
    with pytest.raises(ZooError, match=r"N >= 2"):
        translation_scores(invert, dark[0], light, model, 1)
    with pytest.raises(ZooError, match=r"takes images of shape \(N, 8, 8, 3\)"):
        translation_scores(invert, np.zeros((3, 4, 4, 3)), np.zeros((3, 4, 4, 3)), model, 1)


# ---------------------------------------------------------------- the domain classifier


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """horse2zebra's layout in miniature: dark horses, light zebras (one fewer horse)."""
    return write_unpaired_folder(tmp_path_factory.mktemp("data") / "horse2zebra",
                                 {"trainA": 7, "trainB": 8, "testA": 3, "testB": 4}, spread=40)


@pytest.fixture(scope="module")
def trained(folder, tmp_path_factory):
    """A classifier of the miniature's domains at 16x16, trained through the command line."""
    out = tmp_path_factory.mktemp("classifier")
    classifiers.main(["--dataset=horse2zebra", "--image_size=16", "--epochs=30", "--batch_size=5",
                      f"--manual_dir={folder}", f"--out={out}"])
    return out


def test_domain_images_are_each_image_once_in_file_order_resized_only(folder):
    from zoo.data.unpaired import domain_images

    images = domain_images("horse2zebra", "test", "B", image_size=16, manual_dir=str(folder))
    assert int(images.cardinality()) == 4
    first, again = (np.stack(list(images.as_numpy_iterator())) for _ in range(2))
    np.testing.assert_array_equal(first, again)
    assert first.shape == (4, 16, 16, 3) and first.min() >= -1 and first.max() <= 1
    # The pixels a translator's test batches hold (zoo.data.load, unshuffled), in the same order.
    batches = zoo.data.load("horse2zebra", split="test", batch_size=1, image_size=16,
                            shuffle=False, manual_dir=str(folder))
    np.testing.assert_array_equal(first, np.concatenate([b for _, b in batches]))
    with pytest.raises(ZooError, match=r"domain must be one of \('A', 'B'\)"):
        domain_images("horse2zebra", "test", "C", manual_dir=str(folder))
    with pytest.raises(ZooError, match="domain images come from CycleGAN's sets .*not 'mnist'"):
        domain_images("mnist", "test", "A")


def test_the_domain_classifier_trains_saves_and_reloads(trained, folder):
    with open(trained / classifiers.INFO_FILE) as f:
        info = json.load(f)
    assert info["architecture"] == classifiers.PHOTOS and info["image_shape"] == [16, 16, 3]
    assert info["classes"] == ["horse", "zebra"] and info["test_examples"] == {"horse": 3, "zebra": 4}
    assert info["train_examples"] == {"horse": 7, "zebra": 8}
    assert info["test_accuracy"] == 1.0  # dark against light: nothing to get wrong
    assert info["command"].startswith("python -m zoo.metrics.classifier --dataset=horse2zebra")
    model = classifiers.load_classifier_dir(str(trained))
    horses, zebras = zoo.metrics.translation.domain_arrays("horse2zebra", "test", 16,
                                                          manual_dir=str(folder))
    _, probabilities = classifiers.classify(model, np.concatenate([horses, zebras]))
    np.testing.assert_array_equal(probabilities.argmax(1), [0, 0, 0, 1, 1, 1, 1])


def test_classifier_settings_that_do_not_apply_are_refused():
    with pytest.raises(ZooError, match="drop image_size"):
        classifiers.train_classifier("mnist", image_size=32)
    with pytest.raises(ZooError, match="epochs must be a positive integer"):
        classifiers.train_domain_classifier("horse2zebra", epochs=0)
    with pytest.raises(ZooError, match="image_size must be a positive integer, got 0"):
        classifiers.train_classifier("horse2zebra", image_size=0)  # refused, not the default
    with pytest.raises(ZooError, match="no classifier ships for 'horse2zebra' at image size 100"):
        classifiers.load_classifier("horse2zebra", image_size=100)


# ---------------------------------------------------------------- the shipped classifier


def test_the_shipped_horse2zebra_classifier_loads_with_its_sha256():
    from zoo.saving import folder_digest, preset_dir

    entry = classifiers.SHIPPED["horse2zebra_64"]
    weights = os.path.join(preset_dir(), entry["folder"], classifiers.WEIGHTS_FILE)
    assert folder_digest(os.path.dirname(weights)) == entry["sha256"]
    assert os.path.getsize(weights) < 4 << 20
    model = classifiers.load_classifier("horse2zebra", image_size=64)
    assert classifiers.load_classifier("horse2zebra").info == model.info  # the only size shipped
    assert tuple(model.input.shape[1:]) == (64, 64, 3) and model.info["image_size"] == 64
    assert model.info["test_accuracy"] >= 0.85


@needs_horse2zebra
def test_the_shipped_classifier_scores_the_real_test_split_as_its_info_says():
    from zoo.metrics.translation import domain_arrays, identity

    model = classifiers.load_classifier("horse2zebra", image_size=64)
    horses, zebras = domain_arrays("horse2zebra", "test", 64, manual_dir=horse2zebra_folder())
    _, probabilities = classifiers.classify(model, np.concatenate([horses, zebras]))
    right = probabilities.argmax(1) == np.repeat([0, 1], [len(horses), len(zebras)])
    assert right.mean() == pytest.approx(model.info["test_accuracy"], abs=1e-4)
    # The real zebras are the zebras the identity mapping leaves in place.
    scores = translation_scores(identity, zebras, zebras, model, target_class=1)
    assert scores["target_share"] == pytest.approx(model.info["test_accuracy_per_class"]["zebra"],
                                                   abs=1e-4)
    assert scores["fid"] < 1e-6


# ---------------------------------------------------------------- measured while training

TINY_TRANSLATOR = {k: v for k, v in TINY_CONFIGS["cyclegan"].items() if k != "image_shape"}


@needs_horse2zebra
def test_a_translator_run_measures_both_directions_each_epoch_and_at_its_end(tmp_path):
    from zoo import training

    gan, summary = training.train(
        model="cyclegan", dataset="horse2zebra", image_size=64, epochs=2, steps_per_epoch=2,
        batch_size=1, eval_every=1, ema_decay=0.9, manual_dir=horse2zebra_folder(),
        output_dir=str(tmp_path / "run"), verbose=0, **TINY_TRANSLATOR)
    figures = ("a2b_target_share", "a2b_fid", "b2a_target_share", "b2a_fid")
    for prefix in ("quality", "quality_raw"):  # with EMA on, the raw translators too
        for name in figures:
            values = summary["history"][f"{prefix}/{name}"]
            assert len(values) == 2 and all(np.isfinite(values))
    assert all(0 <= share <= 1 for share in summary["history"]["quality/a2b_target_share"])
    assert sorted(summary["metrics"]) == sorted(figures)
    # The end's figures are the last epoch's: the same translators on the same test images.
    for name in figures:
        assert summary["metrics"][name] == pytest.approx(summary["history"][f"quality/{name}"][-1],
                                                         rel=1e-5, abs=1e-6)
    from benchmarks.translation import curve_table

    curve = curve_table(str(tmp_path / "run")).splitlines()
    assert curve[0].startswith("| epoch | a2b zebra share |") and "| raw b2a FID |" in curve[0]
    assert [row.split(" | ")[0] for row in curve[2:]] == ["| 1", "| 2"]


def test_asking_for_figures_where_no_classifier_measures_them_is_refused(folder, tmp_path):
    from zoo import training

    with pytest.raises(ZooError, match=r"eval_every=1: nothing measures cyclegan on horse2zebra "
                                       r"at this size .*drop --eval_every"):
        training.train(model="cyclegan", dataset="horse2zebra", image_size=16, epochs=1,
                       steps_per_epoch=1, eval_every=1, manual_dir=str(folder), verbose=0,
                       output_dir=str(tmp_path / "run"), **TINY_TRANSLATOR)
    assert not (tmp_path / "run").exists()


# ---------------------------------------------------------------- the benchmark


def test_the_benchmark_measures_the_identity_and_a_saved_run(trained, folder, tmp_path):
    from benchmarks import translation as benchmark

    run_dir = tmp_path / "tiny_run"
    zoo.save(zoo.create("cyclegan", **TINY_CONFIGS["cyclegan"]), str(run_dir / "model"))
    results, info = benchmark.run(["identity", "target_train_images"], run_dirs=[str(run_dir)],
                                  image_size=16, manual_dir=str(folder), classifier_dir=str(trained))
    assert list(results) == ["identity", "target_train_images", "tiny_run"]
    identity, real = results["identity"], results["target_train_images"]
    assert identity["a2b_target_share"] == identity["b2a_target_share"] == 0.0
    assert real["a2b_target_share"] == real["b2a_target_share"] == 1.0
    assert real["a2b_fid"] < identity["a2b_fid"] and real["b2a_fid"] < identity["b2a_fid"]
    assert results["tiny_run"]["epochs"] is None  # saved, not trained: no result.json
    table = benchmark.table(results, 16, info)
    assert table.splitlines()[2].startswith("| identity | 0.0% |")
    with pytest.raises(ZooError, match="trains on 64-pixel images, not --image_size=16"):
        benchmark.run(["cyclegan_64"], image_size=16, manual_dir=str(folder),
                      classifier_dir=str(trained))
