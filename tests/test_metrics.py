"""Metrics against cases whose answers are known."""

import numpy as np
import pytest

import zoo
from tests.conftest import needs_mnist
from zoo.data.toys import grid25_modes, ring8_modes
from zoo.errors import ZooError
from zoo.metrics import (class_statistics, frechet_distance, kernel_distance,
                         mixture_statistics, precision_recall)


def gaussian(n, mean, scales, seed):
    rng = np.random.default_rng(seed)
    return np.asarray(mean) + rng.standard_normal((n, len(scales))) * np.asarray(scales)


def test_frechet_distance_of_one_set_with_itself_is_zero():
    x = gaussian(2000, [0, 0, 0], [1, 2, 3], seed=0)
    assert frechet_distance(x, x) == pytest.approx(0.0, abs=1e-6)


def test_frechet_distance_of_gaussians_matches_the_closed_form():
    # N(m1, diag(s1^2)) vs N(m2, diag(s2^2)): |m1 - m2|^2 + sum (s1 - s2)^2.
    m1, s1 = np.array([0.0, 1.0, -1.0, 2.0]), np.array([1.0, 2.0, 0.5, 1.0])
    m2, s2 = np.array([1.0, 1.0, 0.0, 0.0]), np.array([1.0, 1.0, 1.5, 3.0])
    expected = np.sum((m1 - m2) ** 2) + np.sum((s1 - s2) ** 2)  # 6 + 6 = 12
    measured = frechet_distance(gaussian(100_000, m1, s1, 1), gaussian(100_000, m2, s2, 2))
    assert measured == pytest.approx(expected, rel=0.02)


def test_frechet_distance_of_correlated_gaussians_matches_the_closed_form():
    # With non-diagonal covariances: Tr(S1 + S2 - 2 (S1 S2)^(1/2)) from an exact matrix root.
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    cov1, cov2 = a @ a.T + 0.1 * np.eye(3), b @ b.T + 0.1 * np.eye(3)
    values, vectors = np.linalg.eig(cov1 @ cov2)  # real positive eigenvalues: S1 S2 ~ PSD
    expected = np.trace(cov1) + np.trace(cov2) - 2 * np.sqrt(values.real).sum()
    x = rng.multivariate_normal(np.zeros(3), cov1, 200_000)
    y = rng.multivariate_normal(np.zeros(3), cov2, 200_000)
    assert frechet_distance(x, y) == pytest.approx(expected, rel=0.03)


def test_kernel_distance_is_near_zero_for_one_distribution_and_grows_with_a_shift():
    same, same_std = kernel_distance(gaussian(4000, [0] * 8, [1] * 8, 0),
                                     gaussian(4000, [0] * 8, [1] * 8, 1))
    shifted, _ = kernel_distance(gaussian(4000, [0] * 8, [1] * 8, 0),
                                 gaussian(4000, [0.5] * 8, [1] * 8, 1))
    assert abs(same) < 3 * same_std + 1e-3
    assert shifted > 0.05 and shifted > 20 * abs(same)


def test_precision_and_recall_of_a_matching_and_a_collapsed_generator():
    real = gaussian(3000, [0] * 4, [1] * 4, 0)
    matching = precision_recall(real, gaussian(3000, [0] * 4, [1] * 4, 1))
    assert matching["precision"] > 0.8 and matching["recall"] > 0.8
    # Every sample near one real point: realistic (high precision) but covers nothing.
    collapsed = precision_recall(real, real[:1] + 0.01 * gaussian(3000, [0] * 4, [1] * 4, 2))
    assert collapsed["precision"] > 0.95 and collapsed["recall"] < 0.05
    # Samples off the data: neither.
    off = precision_recall(real, gaussian(3000, [8] * 4, [1] * 4, 3))
    assert off["precision"] < 0.01 and off["recall"] < 0.01


def test_mixture_statistics_of_perfect_collapsed_and_scattered_samples():
    rng = np.random.default_rng(0)
    modes = grid25_modes()
    perfect = modes[rng.integers(0, 25, 2500)] + 0.05 * rng.standard_normal((2500, 2))
    figures = mixture_statistics(perfect, modes, std=0.05)
    assert figures["modes"] == 25
    assert figures["high_quality"] == pytest.approx(1 - np.exp(-4.5), abs=0.01)  # chi^2_2 <= 9
    assert figures["reverse_kl"] < 0.02
    # Two ring modes, evenly: reverse KL = log(8 / 2).
    two = ring8_modes()[rng.integers(0, 2, 2500)] + 0.01 * rng.standard_normal((2500, 2))
    figures = mixture_statistics(two, ring8_modes(), std=0.01)
    assert figures["modes"] == 2
    assert figures["reverse_kl"] == pytest.approx(np.log(4), abs=0.01)
    # Between the modes: no sample is high quality, no mode is captured.
    figures = mixture_statistics(np.zeros((100, 2)), ring8_modes(), std=0.01)
    assert figures["modes"] == 0 and figures["high_quality"] == 0


def test_class_statistics_of_an_even_and_a_collapsed_generator():
    even = np.eye(10)[np.arange(1000) % 10]
    figures = class_statistics(even)
    assert figures["class_entropy"] == pytest.approx(np.log(10))
    assert figures["classes_present"] == 10 and figures["class_shares"] == [0.1] * 10
    assert figures["confident_share"] == 1.0 and figures["class_reverse_kl"] == pytest.approx(0)
    collapsed = class_statistics(np.full((1000, 10), 0.02) + 0.8 * np.eye(10)[[3] * 1000])
    assert collapsed["classes_present"] == 1 and collapsed["class_entropy"] == 0
    assert collapsed["class_reverse_kl"] == pytest.approx(np.log(10))
    assert collapsed["confident_share"] == 0  # 0.82 < 0.9: the classifier is unsure of each


def test_metrics_refuse_features_of_different_sizes():
    with pytest.raises(ZooError, match="feature sizes differ"):
        frechet_distance(np.zeros((5, 3)), np.zeros((5, 4)))
    with pytest.raises(ZooError, match=r"\(N, D\)"):
        kernel_distance(np.zeros(5), np.zeros((5, 4)))


def test_toy_datasets_measure_their_own_samples():
    ring = zoo.get_dataset("ring8")
    real = next(iter(ring.loader(batch_size=ring.eval_samples, seed=0)))
    figures = ring.evaluate(np.asarray(real))
    assert figures["modes"] == 8 and figures["high_quality"] > 0.97


# --- the classifier and the image metrics ------------------------------------------------


@needs_mnist
def test_shipped_classifier_reaches_99_percent_on_the_mnist_test_split():
    from zoo.metrics.classifier import classify, load_classifier
    from zoo.metrics.quality import real_images

    classifier = load_classifier("mnist")
    images = real_images("mnist", "test")
    labels = np.concatenate([np.asarray(y) for _, y in zoo.get_dataset("mnist").loader(
        split="test", batch_size=100, shuffle=False)])
    _, probabilities = classify(classifier, images)
    assert len(labels) == 10_000
    assert (probabilities.argmax(1) == labels).mean() >= 0.99


@needs_mnist
def test_classifier_fid_separates_real_digits_from_a_collapsed_generator():
    from zoo.metrics.classifier import load_classifier
    from zoo.metrics.quality import ClassifierQuality, real_images

    quality = ClassifierQuality(load_classifier("mnist"), real_images("mnist", "test", limit=2000))
    real = quality(real_images("mnist", "train", limit=2000))
    collapsed = quality(np.repeat(real_images("mnist", "train", limit=1), 2000, axis=0))
    # Measured here: real 3.5 (the floor for 2000 vs 2000), collapsed 984.
    assert real["fid"] < 10 and real["classes_present"] == 10 and real["recall"] > 0.8
    assert abs(real["kid"]) < 3 * real["kid_std"] + 1e-3
    assert collapsed["fid"] > 50 * real["fid"] and collapsed["recall"] < 0.01
    assert collapsed["kid"] > 10 * collapsed["kid_std"] and collapsed["classes_present"] == 1


@pytest.mark.parametrize("part", ["weights", "info"])
def test_a_damaged_classifier_file_is_refused(tmp_path, monkeypatch, part):
    import shutil

    from zoo.metrics import classifier as module
    from zoo.saving import preset_dir

    folder = module.SHIPPED["mnist"]["folder"]
    shipped = tmp_path / folder
    shutil.copytree(f"{preset_dir()}/{folder}", shipped)
    damaged = shipped / (module.WEIGHTS_FILE if part == "weights" else module.INFO_FILE)
    with open(damaged, "r+b") as f:  # flip bytes in the middle (the weights' kernels)
        f.seek(damaged.stat().st_size // 2)
        middle = f.read(4)
        f.seek(-4, 1)
        f.write(bytes(b ^ 0xFF for b in middle))
    monkeypatch.setenv("ZOO_PRESET_DIR", str(tmp_path))
    with pytest.raises(ZooError, match="expected .*a file was changed"):
        module.load_classifier("mnist")


def test_inception_features_on_random_weights_and_a_clear_message_without_weights(monkeypatch):
    import keras

    from zoo.metrics.quality import inception_features, inception_model

    model = inception_model(weights=None)  # random: exercises the code, means nothing
    features = inception_features(model, np.zeros((2, 28, 28, 1), np.float32))
    assert features.shape == (2, 2048) and np.all(np.isfinite(features))

    def offline(*args, **kwargs):
        raise Exception("URL fetch failure: no network")

    monkeypatch.setattr(keras.utils, "get_file", offline)
    monkeypatch.setattr("keras.src.applications.inception_v3.file_utils.get_file", offline)
    with pytest.raises(ZooError, match="copy inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"):
        inception_model("imagenet")
    with pytest.raises(ZooError, match="does not exist"):
        inception_model("/nonexistent/inception.h5")


def test_quality_callback_logs_figures_each_epoch(tmp_path):
    from zoo import training

    _, summary = training.train(model="gan_1d", dataset="gaussian_1d", epochs=2, steps_per_epoch=3,
                                eval_every=1, output_dir=str(tmp_path / "run"), verbose=0)
    assert len(summary["history"]["quality/ks"]) == 2
    assert all(0 <= ks <= 1 for ks in summary["history"]["quality/ks"])


def test_label_accuracy_overall_and_per_class():
    from zoo.metrics.labels import label_accuracy

    figures = label_accuracy(np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 2, 0]), 4)
    assert figures["label_accuracy"] == pytest.approx(4 / 6)
    assert figures["class_accuracy"][:3] == [0.5, 0.5, 1.0] and np.isnan(figures["class_accuracy"][3])
    assert figures["worst_class_accuracy"] == 0.5


def test_best_matching_accuracy_finds_the_permutation_a_greedy_choice_misses():
    from zoo.metrics.labels import best_matching_accuracy

    # Code 0 is mostly label 0 (6 of 10) but label 0 is all of code 1; greedy would give code 0
    # label 0 and lose code 1's 8. The best assignment is 0 -> 1, 1 -> 0: (4 + 8) / 18.
    codes = np.array([0] * 10 + [1] * 8)
    labels = np.array([0] * 6 + [1] * 4 + [0] * 8)
    accuracy, mapping = best_matching_accuracy(codes, labels, 2, 2)
    assert accuracy == pytest.approx(12 / 18) and list(mapping) == [1, 0]
    # A relabelled clustering is perfect; with more codes than labels one code maps to none.
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 10, 500)
    permutation = rng.permutation(10)
    accuracy, mapping = best_matching_accuracy(permutation[truth], truth, 10, 10)
    assert accuracy == 1.0 and np.array_equal(mapping[permutation], np.arange(10))
    accuracy, mapping = best_matching_accuracy(np.array([0, 1, 2]), np.array([0, 1, 1]), 3, 2)
    assert accuracy == pytest.approx(2 / 3) and sorted(mapping) == [-1, 0, 1]


def test_the_end_of_a_run_says_what_each_figure_is_beside_the_real_data():
    from zoo.metrics.quality import describe_figures
    lines = describe_figures("mnist", {"fid": 57.74, "kid_std": 0.3, "precision": 0.532})
    assert lines == [
        "classifier FID (Frechet distance in the zoo's classifier's features; lower is better): "
        "57.7  (real images, 10,000: 1.169)",
        "precision (share of samples near real images): 0.532  (real images, 10,000: 0.858)"]
    assert describe_figures("gaussian_1d", {"mean": 4.01, "ks": 0.02}) == ["mean: 4.010", "ks: 0.020"]
