"""The zoo's own classifiers: the feature extractors of the "classifier FID".

Inception-v3 features suit 299x299 photographs, not 28x28 digits; TF-GAN measures MNIST
generators with a small classifier trained on MNIST instead, and so does the zoo. Every
classifier takes images in the zoo's [-1, 1] range. Its 128-unit penultimate layer
("features") feeds the Fréchet and kernel distances and precision/recall; its softmax feeds
the class statistics.

- Digits (`mnist`): the labels are the classes.
- Unpaired domains (`horse2zebra`, ...): the domain is the class (0: A, horses; 1: B, zebras),
  at one image size (the translator's), so that translations can be scored: how many
  translated horses pass for zebras, and how far they are from real zebras
  (zoo.metrics.translation).

Train one again with
    python -m zoo.metrics.classifier --dataset=mnist --out=saved_models/mnist_classifier
    python -m zoo.metrics.classifier --dataset=horse2zebra --image_size=64 \
        --manual_dir=FOLDER --out=saved_models/horse2zebra_classifier_64
(the shipped ones' commands and test accuracies are in their info.json). Load a shipped one
with `load_classifier("mnist")` or `load_classifier("horse2zebra", image_size=64)`, and one
trained elsewhere with `load_classifier_dir(DIR)`.
"""

import json
import os
import sys

import numpy as np

from zoo.checks import check_positive_int
from zoo.errors import ZooError

FEATURE_LAYER = "features"
WEIGHTS_FILE = "classifier.weights.h5"
INFO_FILE = "info.json"

class ClassifierMissing(ZooError, FileNotFoundError):
    """No classifier files where one was expected."""


# Shipped classifiers, by name: their dataset and image side, their folder in saved_models/
# and the sha256 of their files (zoo.saving.folder_digest), checked on load.
SHIPPED = {
    "mnist": dict(dataset="mnist", image_size=28, folder="mnist_classifier",
                  sha256="abfe7316294bc7d7e362e4d4a356eb2e526ca2a56a7b7a69d02dd4fcdad1fc61"),
    "horse2zebra_64": dict(dataset="horse2zebra", image_size=64,
                           folder="horse2zebra_classifier_64",
                           sha256="5c72bcb022dcfd8f189cc841863259a7dad6448c40982ebad63440ace1925d6f"),
}
# The network of each kind of data; info.json names it (files without the key hold digits).
DIGITS, PHOTOS = "digits", "photos"
DOMAIN_IMAGE_SIZE = 64  # a domain classifier's default side: the CPU presets' translators'
DOMAIN_EPOCHS = 20


def _head(x, num_classes):
    """The 128-unit feature layer (what the distances read), dropout, and the class logits."""
    from keras import layers

    features = layers.Dense(128, activation="relu", name=FEATURE_LAYER)(x)
    return layers.Dense(num_classes, name="logits")(layers.Dropout(0.5)(features))


def build_classifier(image_shape=(28, 28, 1), num_classes=10):
    """Two conv blocks, a 128-unit feature layer, dropout, and the class logits."""
    import keras
    from keras import layers

    inputs = keras.Input(image_shape, name="images")
    x = inputs
    for filters in (32, 64):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D()(x)
    return keras.Model(inputs, _head(layers.Flatten()(x), num_classes), name="classifier")


def build_photo_classifier(image_shape=(DOMAIN_IMAGE_SIZE, DOMAIN_IMAGE_SIZE, 3), num_classes=2,
                           filters=(32, 64, 128, 128)):
    """Conv-batchnorm-ReLU-maxpool blocks, global average pooling, the 128-unit feature layer,
    dropout, and the class logits. The pooling makes the feature layer's weights the same at
    any image size; four blocks of 32-128 filters keep the file near 1 MB."""
    import keras
    from keras import layers

    inputs = keras.Input(image_shape, name="images")
    x = inputs
    for width in filters:
        x = layers.Conv2D(width, 3, padding="same", use_bias=False)(x)
        # Momentum 0.9 rather than 0.99: the statistics settle within the few hundred steps
        # of a short training run (with 0.99 they still lean to their start after 150).
        x = layers.ReLU()(layers.BatchNormalization(momentum=0.9)(x))
        x = layers.MaxPooling2D()(x)
    return keras.Model(inputs, _head(layers.GlobalAveragePooling2D()(x), num_classes),
                       name="photo_classifier")


ARCHITECTURES = {DIGITS: build_classifier, PHOTOS: build_photo_classifier}


def shipped_name(dataset, image_size=None):
    """The SHIPPED name of `dataset`'s classifier at `image_size` (None: its only one)."""
    if dataset in SHIPPED and image_size in (None, SHIPPED[dataset]["image_size"]):
        return dataset  # a name given as such ("mnist", "horse2zebra_64")
    matches = [name for name, entry in SHIPPED.items() if entry["dataset"] == dataset
               and image_size in (None, entry["image_size"])]
    if len(matches) == 1:
        return matches[0]
    if matches:
        sizes = sorted(SHIPPED[name]["image_size"] for name in matches)
        raise ZooError(f"{dataset} has classifiers at image sizes {sizes}: pass image_size=one "
                       "of them")
    at = f" at image size {image_size}" if image_size is not None else ""
    shipped = ", ".join(f"{e['dataset']} at {e['image_size']}" for e in SHIPPED.values())
    raise ZooError(f"no classifier ships for {dataset!r}{at} (shipped: {shipped}); train one "
                   f"with `python -m zoo.metrics.classifier --dataset={dataset} --out=DIR` and "
                   "load it with zoo.metrics.classifier.load_classifier_dir(DIR)")


def load_classifier(dataset="mnist", image_size=None):
    """The shipped classifier for `dataset` (at `image_size`, where several sizes ship: see
    SHIPPED), after checking the sha256 of its folder's files (zoo.saving.folder_digest)."""
    from zoo.saving import check_folder_digest, preset_dir

    name = shipped_name(dataset, image_size)
    folder = os.path.join(preset_dir(), SHIPPED[name]["folder"])
    if os.path.isdir(folder):  # a missing folder gets load_classifier_dir's own advice
        check_folder_digest(folder, SHIPPED[name]["sha256"], f"the {name} classifier")
    return load_classifier_dir(folder)


def load_classifier_dir(folder):
    """A classifier saved by `train_classifier` (its info.json gives the shapes)."""
    info_path = os.path.join(folder, INFO_FILE)
    weights = os.path.join(folder, WEIGHTS_FILE)
    if not (os.path.isfile(info_path) and os.path.isfile(weights)):
        raise ClassifierMissing(f"{folder} holds no classifier ({INFO_FILE} and {WEIGHTS_FILE} expected); "
                       "train one with `python -m zoo.metrics.classifier`")
    with open(info_path) as f:
        info = json.load(f)
    architecture = info.get("architecture", DIGITS)
    if architecture not in ARCHITECTURES:
        raise ZooError(f"{info_path} names the network {architecture!r}, which this version of "
                       f"the zoo does not know ({', '.join(ARCHITECTURES)}); train it again")
    classifier = ARCHITECTURES[architecture](tuple(info["image_shape"]), info["num_classes"])
    classifier.load_weights(weights)
    classifier.info = info
    return classifier


def feature_model(classifier):
    """images -> (penultimate features, class probabilities), as one keras Model."""
    import keras

    probabilities = keras.layers.Softmax(name="probabilities")(classifier.output)
    return keras.Model(classifier.input, [classifier.get_layer(FEATURE_LAYER).output,
                                          probabilities], name="classifier_features")


def classify(classifier, images, batch_size=500):
    """(features, probabilities) of `images` (NHWC in [-1, 1]) under `classifier`."""
    model = getattr(classifier, "_zoo_feature_model", None)
    if model is None:
        model = classifier._zoo_feature_model = feature_model(classifier)
    images = np.asarray(images, dtype=np.float32)
    expected = tuple(classifier.input.shape[1:])
    if images.ndim != 4 or images.shape[1:] != expected:
        raise ZooError(f"the classifier takes images of shape (N, {', '.join(map(str, expected))}),"
                       f" got {images.shape}")
    features, probabilities = model.predict(images, batch_size=batch_size, verbose=0)
    return features.astype(np.float64), probabilities.astype(np.float64)


def _command(argv=None):
    """The command line that trains a classifier, for its info.json."""
    return " ".join(["python -m zoo.metrics.classifier"] + list(sys.argv[1:] if argv is None else argv))


def _save(classifier, out, info):
    """Weights and info.json in `out`."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise ZooError(f"--out {out} is a file; pass a folder for the weights and {INFO_FILE}")
    os.makedirs(out, exist_ok=True)
    # A fresh, uncompiled copy: the file keeps the weights, not the optimizer's slots.
    weights_only = ARCHITECTURES[info.get("architecture", DIGITS)](tuple(info["image_shape"]),
                                                                  info["num_classes"])
    weights_only.set_weights(classifier.get_weights())
    weights_only.save_weights(os.path.join(out, WEIGHTS_FILE))
    with open(os.path.join(out, INFO_FILE), "w") as f:
        json.dump(info, f, indent=2)


def train_classifier(dataset="mnist", out=None, epochs=None, batch_size=None, seed=0,
                     data_dir=None, manual_dir=None, image_size=None, command=None):
    """Train a classifier on `dataset`'s train split; return (model, test accuracy).

    Labelled images: the labels are the classes (6 epochs of 128 by default). Unpaired
    domains: see `train_domain_classifier` (`image_size` applies to those only).
    """
    import keras
    from zoo.registry import get_dataset

    def given(value, default):  # None means the default; 0 is refused, not replaced
        return default if value is None else value

    spec = get_dataset(dataset)
    if spec.kind == "unpaired":
        return train_domain_classifier(
            dataset, out, image_size=given(image_size, DOMAIN_IMAGE_SIZE),
            epochs=given(epochs, DOMAIN_EPOCHS), batch_size=given(batch_size, 32), seed=seed,
            data_dir=data_dir, manual_dir=manual_dir, command=command)
    if not spec.num_classes or spec.kind != "image":
        raise ZooError(f"{dataset} has no class labels to train a classifier on")
    if image_size is not None:
        raise ZooError(f"the {dataset} classifier takes {dataset}'s own image size: drop image_size")
    epochs, batch_size = given(epochs, 6), given(batch_size, 128)
    check_positive_int("epochs", epochs)
    check_positive_int("batch_size", batch_size)
    keras.utils.set_random_seed(seed)
    load = dict(seed=seed, data_dir=data_dir, manual_dir=manual_dir)
    train = spec.loader(split="train", batch_size=batch_size, **load)
    # Batches of 100 cover the whole test split (the loader drops a last partial batch).
    test = spec.loader(split="test", batch_size=100, shuffle=False, **load)
    classifier = build_classifier(tuple(spec.element_shape), spec.num_classes)
    steps = int(train.cardinality()) * epochs
    classifier.compile(
        optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(1e-3, steps)),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"])
    classifier.fit(train, epochs=epochs, verbose=2)
    _, accuracy = classifier.evaluate(test, verbose=0)
    if out:
        _save(classifier, out, {
            "dataset": dataset, "image_shape": list(spec.element_shape),
            "num_classes": spec.num_classes, "test_accuracy": round(float(accuracy), 4),
            "test_examples": int(test.cardinality()) * 100,
            "epochs": epochs, "batch_size": batch_size, "seed": seed,
            "command": command or _command()})
    return classifier, float(accuracy)



def domain_names(dataset):
    """What the domains of an unpaired set hold, by its name: horse2zebra -> horse, zebra."""
    first, _, second = dataset.partition("2")
    return [first, second] if second else ["A", "B"]


def labelled_domains(dataset, split, image_size, data_dir=None, manual_dir=None):
    """Both domains of a split, in file order, as (image, domain) with 0 for A and 1 for B;
    and the count of each domain."""
    from zoo.data.unpaired import DOMAINS, domain_images

    parts, counts = [], []
    for label, domain in enumerate(DOMAINS):
        images = domain_images(dataset, split, domain, image_size, manual_dir=manual_dir,
                               data_dir=data_dir)
        counts.append(int(images.cardinality()))
        parts.append(images.map(lambda image, label=label: (image, label)))
    return parts[0].concatenate(parts[1]), counts


def train_domain_classifier(dataset="horse2zebra", out=None, image_size=DOMAIN_IMAGE_SIZE,
                            epochs=DOMAIN_EPOCHS, batch_size=32, seed=0, data_dir=None,
                            manual_dir=None, learning_rate=1e-3, command=None):
    """Train a classifier of an unpaired set's domains (0: A, 1: B) on its train split at
    `image_size`; return (model, accuracy on the test split of both domains).

    Random left-right flips, nothing else: the domains differ in texture, and a crop could cut
    the zebra out of a picture. Each domain weighs half of the loss whatever its count (1067
    horses against 1334 zebras), so the classifier has no reason to lean to the larger one.
    The schedule is fixed (Adam, cosine decay over `epochs`): nothing is chosen by looking at
    the test split, whose accuracy is reported.
    """
    import keras
    import tensorflow as tf

    for name, value in (("image_size", image_size), ("epochs", epochs), ("batch_size", batch_size)):
        check_positive_int(name, value)
    keras.utils.set_random_seed(seed)
    train, train_counts = labelled_domains(dataset, "train", image_size, data_dir, manual_dir)
    test, test_counts = labelled_domains(dataset, "test", image_size, data_dir, manual_dir)
    total = sum(train_counts)
    class_weights = tf.constant([total / (len(train_counts) * count) for count in train_counts])

    def augment(image, label):
        return tf.image.random_flip_left_right(image), label, tf.gather(class_weights, label)

    train = (train.cache().shuffle(total, seed=seed, reshuffle_each_iteration=True)
             .map(augment, tf.data.AUTOTUNE).batch(batch_size).prefetch(tf.data.AUTOTUNE))
    image_shape = (image_size, image_size, 3)
    classifier = build_photo_classifier(image_shape, len(train_counts))
    steps = -(-total // batch_size) * epochs
    classifier.compile(
        optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(learning_rate, steps)),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        weighted_metrics=["accuracy"])
    classifier.fit(train, epochs=epochs, verbose=2)

    test_images, test_labels = (np.concatenate(part) for part in
                                zip(*test.batch(256).as_numpy_iterator()))
    predicted = classifier.predict(test_images, batch_size=256, verbose=0).argmax(axis=1)
    accuracy = float(np.mean(predicted == test_labels))
    names = domain_names(dataset)
    per_domain = {name: round(float(np.mean(predicted[test_labels == label] == label)), 4)
                  for label, name in enumerate(names)}
    if out:
        _save(classifier, out, {
            "dataset": dataset, "architecture": PHOTOS, "image_size": image_size,
            "image_shape": list(image_shape), "num_classes": len(names), "classes": names,
            "test_accuracy": round(accuracy, 4), "test_accuracy_per_class": per_domain,
            "balanced_test_accuracy": round(float(np.mean(list(per_domain.values()))), 4),
            "test_examples": dict(zip(names, test_counts)),
            "train_examples": dict(zip(names, train_counts)),
            "augmentation": "random left-right flip",
            "loss": "cross-entropy, each domain weighted to half of the total",
            "epochs": epochs, "batch_size": batch_size, "learning_rate": learning_rate,
            "seed": seed, "command": command or _command()})
    return classifier, accuracy


def main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(description="Train a classifier behind the classifier FID: "
                                     "of digits (mnist) or of unpaired domains (horse2zebra).")
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--out", required=True, help="folder for the weights and info.json")
    parser.add_argument("--epochs", type=int, default=None,
                        help=f"default: 6 for digits, {DOMAIN_EPOCHS} for domains")
    parser.add_argument("--batch_size", type=int, default=None,
                        help="default: 128 for digits, 32 for domains")
    parser.add_argument("--image_size", type=int, default=None,
                        help=f"domains only: the side the classifier reads (default "
                        f"{DOMAIN_IMAGE_SIZE}; the translators' it measures)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--manual_dir", default=None,
                        help="folder holding the dataset (horse2zebra: trainA/ ... testB/)")
    parser.add_argument("--data_dir", default=None, help="tensorflow-datasets folder")
    args = parser.parse_args(argv)
    try:
        _, accuracy = train_classifier(
            args.dataset, args.out, args.epochs, args.batch_size, seed=args.seed,
            data_dir=args.data_dir, manual_dir=args.manual_dir, image_size=args.image_size,
            command=_command(sys.argv[1:] if argv is None else argv))
    except ZooError as error:
        parser.exit(2, f"error: {error}\n")
    print(f"test accuracy {accuracy:.4f}; saved to {args.out}")


if __name__ == "__main__":
    main()
