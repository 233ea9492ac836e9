"""The zoo's own digit classifier: the feature extractor of the "classifier FID" on MNIST.

Inception-v3 features suit 299x299 photographs, not 28x28 digits; TF-GAN measures MNIST
generators with a small classifier trained on MNIST instead, and so does the zoo. The
classifier takes images in the zoo's [-1, 1] range. Its 128-unit penultimate layer
("features") feeds the Fréchet and kernel distances and precision/recall; its softmax feeds
the class statistics.

Train it again with `python -m zoo.metrics.classifier --dataset=mnist --out=saved_models/...`
(the shipped one's command and test accuracy are in its info.json).
"""

import json
import os
import sys

import numpy as np

from zoo.errors import ZooError

FEATURE_LAYER = "features"
WEIGHTS_FILE = "classifier.weights.h5"
INFO_FILE = "info.json"

class ClassifierMissing(ZooError, FileNotFoundError):
    """No classifier files where one was expected."""


# Shipped classifiers: folder in saved_models/ and the sha256 of its weights, checked on load.
SHIPPED = {
    "mnist": dict(folder="mnist_classifier",
                  sha256="0452eb2bd0359a24642fb838cbe3b21af49a0814f540c4e8620939f738ec0d9c"),
}


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
    x = layers.Flatten()(x)
    features = layers.Dense(128, activation="relu", name=FEATURE_LAYER)(x)
    x = layers.Dropout(0.5)(features)
    logits = layers.Dense(num_classes, name="logits")(x)
    return keras.Model(inputs, logits, name="classifier")


def load_classifier(dataset="mnist"):
    """The shipped classifier for `dataset`, after checking its weights' sha256."""
    from zoo.saving import preset_dir, sha256_of

    if dataset not in SHIPPED:
        raise ZooError(f"no classifier ships for {dataset!r} (there is one for "
                       f"{', '.join(sorted(SHIPPED))}); train one with "
                       f"`python -m zoo.metrics.classifier --dataset={dataset} --out=DIR` "
                       "and pass it with classifier=zoo.metrics.load_classifier_dir(DIR)")
    folder = os.path.join(preset_dir(), SHIPPED[dataset]["folder"])
    expected = SHIPPED[dataset]["sha256"]
    weights = os.path.join(folder, WEIGHTS_FILE)
    if os.path.isfile(weights) and expected and sha256_of(weights) != expected:
        raise ZooError(f"{weights} has sha256 {sha256_of(weights)}, expected {expected}; "
                       "the file is damaged, restore it")
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
    classifier = build_classifier(tuple(info["image_shape"]), info["num_classes"])
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


def train_classifier(dataset="mnist", out=None, epochs=6, batch_size=128, seed=0,
                     data_dir=None, manual_dir=None):
    """Train a classifier on `dataset`'s train split; return (model, test accuracy)."""
    import keras
    from zoo.registry import get_dataset

    spec = get_dataset(dataset)
    if not spec.num_classes or spec.kind != "image":
        raise ZooError(f"{dataset} has no class labels to train a classifier on")
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
        os.makedirs(out, exist_ok=True)
        # A fresh, uncompiled copy: the file keeps the weights, not the optimizer's slots.
        weights_only = build_classifier(tuple(spec.element_shape), spec.num_classes)
        weights_only.set_weights(classifier.get_weights())
        weights_only.save_weights(os.path.join(out, WEIGHTS_FILE))
        with open(os.path.join(out, INFO_FILE), "w") as f:
            json.dump({"dataset": dataset, "image_shape": list(spec.element_shape),
                       "num_classes": spec.num_classes, "test_accuracy": round(float(accuracy), 4),
                       "test_examples": int(test.cardinality()) * 100,
                       "epochs": epochs, "batch_size": batch_size, "seed": seed,
                       "command": " ".join(["python -m zoo.metrics.classifier"] + sys.argv[1:])},
                      f, indent=2)
    return classifier, float(accuracy)


def main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(description="Train the digit classifier behind the "
                                     "classifier FID.")
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--out", required=True, help="folder for the weights and info.json")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        _, accuracy = train_classifier(args.dataset, args.out, args.epochs, seed=args.seed)
    except ZooError as error:
        parser.exit(2, f"error: {error}\n")
    print(f"test accuracy {accuracy:.4f}; saved to {args.out}")


if __name__ == "__main__":
    main()
