"""Sample quality of image generators.

- `ClassifierQuality`: classifier FID and KID, precision/recall and class statistics of
  generated digits against a real split, on the zoo's classifier (zoo.metrics.classifier).
- `inception_features`: Inception-v3 pool features for the standard FID on RGB images.
- `evaluator_for(dataset, ...)`: what measures a generator for a dataset, if anything does;
  `translation_evaluator_for(dataset, ...)` the same for a translator of an unpaired set.
"""

import logging
import os

import keras
import numpy as np

from zoo.errors import ZooError
from zoo.metrics.classifier import SHIPPED, classify, load_classifier
from zoo.metrics.distances import frechet_distance, kernel_distance, precision_recall
from zoo.metrics.modes import class_statistics

INCEPTION_SIZE = 299
INCEPTION_WEIGHTS_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
# The md5 Keras publishes for that file and checks on download (keras.applications.inception_v3).
INCEPTION_WEIGHTS_MD5 = "bcbd6486424b2319ff4ef7d526e38f63"


# 10,000 real training images measured as if generated (`python -m benchmarks.quality`,
# benchmarks/results/quality_mnist.md): the best a generator of the dataset can score.
REAL_DATA_FLOOR = {"mnist": {"fid": 1.169, "precision": 0.858, "recall": 0.884,
                             "confident_share": 0.991}}
# What the end of a run prints for each figure a classifier measures.
FIGURE_LABELS = {
    "fid": "classifier FID (Frechet distance in the zoo's classifier's features; lower is better)",
    "kid": "KID (kernel distance in the same features; lower is better)",
    "precision": "precision (share of samples near real images)",
    "recall": "recall (share of real images near samples)",
    "confident_share": "samples the classifier reads with p >= 0.9",
    "classes_present": "classes present among the samples",
    "class_entropy": "entropy of the classes read (at most the log of the class count)",
    "label_accuracy": "samples read as their label",
    "worst_class_accuracy": "the worst class's share read as its label",
    "a2b_target_share": "test images of domain A translated to B that the classifier reads as B",
    "a2b_fid": "classifier FID of those translations to the real test images of B",
    "b2a_target_share": "test images of domain B translated to A that the classifier reads as A",
    "b2a_fid": "classifier FID of those translations to the real test images of A",
}
# Presets' metadata call the classifier FID by its full name.
FIGURE_ALIASES = {"classifier_fid": "fid"}


def describe_figures(dataset, figures):
    """Lines that say what each figure of a run's measurement is, beside the real data's
    (the toys' own figures by name)."""
    floor = REAL_DATA_FLOOR.get(dataset, {})
    lines = []
    for name, value in figures.items():
        if name in FIGURE_LABELS or not FIGURE_LABELS.keys() & figures.keys():
            shown = (f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}") \
                if isinstance(value, float) else f"{value}"
            real = f"  (real images, 10,000: {floor[name]:g})" if name in floor else ""
            lines.append(f"{FIGURE_LABELS.get(name, name)}: {shown}{real}")
    return lines


class ClassifierQuality:
    """Measures generated images against real ones in a classifier's feature space.

    The real features are computed once; each call measures a new set of samples.
    """

    def __init__(self, classifier, real_images):
        self.classifier = classifier
        self.real_features, self.real_probabilities = classify(classifier, real_images)

    def __call__(self, samples):
        features, probabilities = classify(self.classifier, samples)
        return figures_from_features(self.real_features, features, probabilities)


def figures_from_features(real_features, features, probabilities=None):
    """FID, KID (mean and std), precision, recall and, given class probabilities, class figures."""
    kid, kid_std = kernel_distance(real_features, features)
    figures = {"fid": frechet_distance(real_features, features), "kid": kid, "kid_std": kid_std,
               **precision_recall(real_features, features)}
    if probabilities is not None:
        figures.update(class_statistics(probabilities))
    return figures


def real_images(dataset, split="test", limit=None, data_dir=None, manual_dir=None):
    """A dataset split as one float32 array in [-1, 1] (its first `limit` images)."""
    from zoo.registry import get_dataset

    spec = get_dataset(dataset)
    if spec.kind != "image":
        raise ZooError(f"{dataset} holds points, not images")
    batches = spec.loader(split=split, batch_size=100, shuffle=False, data_dir=data_dir,
                          manual_dir=manual_dir)
    if limit:
        batches = batches.take(-(-limit // 100))
    images = [batch[0] if isinstance(batch, tuple) else batch for batch in batches]
    return np.concatenate([np.asarray(b) for b in images])[:limit]


def evaluator_for(dataset, sample_shape, data_dir=None, manual_dir=None):
    """A function samples -> figures for generators of `dataset`, or None if none applies.

    Toys have their own (the dataset's `evaluate`); a dataset with a shipped classifier is
    measured on it when the generator's images have the classifier's shape (a run at another
    --image_size is not).
    """
    from zoo.registry import get_dataset

    spec = get_dataset(dataset)
    if spec.evaluate is not None:
        return spec.evaluate
    if dataset not in SHIPPED:
        return None
    try:
        classifier = load_classifier(dataset)
    except FileNotFoundError as missing:  # an install without saved_models/: train all the same
        logging.warning("no quality figures for %s: %s", dataset, missing)
        return None
    if tuple(classifier.input.shape[1:]) != tuple(sample_shape):
        logging.info("no quality figures: the %s classifier takes %s images, the generator "
                     "makes %s", dataset, tuple(classifier.input.shape[1:]), tuple(sample_shape))
        return None
    return ClassifierQuality(classifier, real_images(dataset, "test", data_dir=data_dir,
                                                     manual_dir=manual_dir))


def translation_evaluator_for(dataset, image_shape, data_dir=None, manual_dir=None):
    """A function translation model -> figures for translators of the unpaired `dataset` at
    `image_shape` (zoo.metrics.translation.TranslationQuality), or None where no domain
    classifier ships at that size."""
    from zoo.metrics.translation import TranslationQuality, domain_arrays

    side = image_shape[0]
    if not any(entry["dataset"] == dataset and entry["image_size"] == side
               for entry in SHIPPED.values()):
        logging.info("no quality figures: no %s classifier ships at %dx%d", dataset, side, side)
        return None
    try:
        classifier = load_classifier(dataset, image_size=side)
    except FileNotFoundError as missing:  # an install without saved_models/
        logging.warning("no quality figures for %s: %s", dataset, missing)
        return None
    images_a, images_b = domain_arrays(dataset, "test", side, manual_dir=manual_dir,
                                       data_dir=data_dir)
    return TranslationQuality(classifier, images_a, images_b)


def inception_model(weights="imagenet"):
    """Inception-v3 up to its 2048-unit average pool, the feature extractor of the standard FID.

    `weights`: "imagenet" (Keras downloads them once to ~/.keras/models), a path to
    the notop .h5 file, or None for random weights (tests only: such a FID means nothing).
    """
    if isinstance(weights, str) and weights != "imagenet":
        if not os.path.isfile(weights):
            raise ZooError(f"Inception-v3 weights file {weights} does not exist; pass the path "
                           f"of {INCEPTION_WEIGHTS_FILE}")
        from zoo.saving import file_digest

        digest = file_digest(weights, "md5")
        if digest != INCEPTION_WEIGHTS_MD5:
            # A different file would give features, and FIDs, on another scale without a word.
            raise ZooError(f"{weights} has md5 {digest}, not the {INCEPTION_WEIGHTS_MD5} of Keras' "
                           f"{INCEPTION_WEIGHTS_FILE}: the file is damaged or another one; pass "
                           "the original")
    try:
        return keras.applications.InceptionV3(include_top=False, pooling="avg", weights=weights,
                                              input_shape=(INCEPTION_SIZE, INCEPTION_SIZE, 3))
    except Exception as error:  # Keras raises a bare Exception when the download fails
        if weights != "imagenet":
            raise
        raise ZooError(f"Inception-v3 ImageNet weights could not be had ({error}); without "
                       f"a network, copy {INCEPTION_WEIGHTS_FILE} to ~/.keras/models/ or pass "
                       "its path as weights=PATH") from None


def inception_features(model, images, batch_size=50):
    """2048-d pool features of images (NHWC in [-1, 1], grayscale or RGB, any size)."""
    import tensorflow as tf

    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ZooError(f"expected images of shape (N, H, W, 1 or 3), got {images.shape}")
    features = []
    for start in range(0, len(images), batch_size):
        batch = tf.image.resize(images[start:start + batch_size], (INCEPTION_SIZE, INCEPTION_SIZE))
        if batch.shape[-1] == 1:
            batch = tf.image.grayscale_to_rgb(batch)
        # Inception's own preprocessing maps pixels to [-1, 1], the zoo's range already.
        features.append(model(batch, training=False).numpy())
    return np.concatenate(features).astype(np.float64)
