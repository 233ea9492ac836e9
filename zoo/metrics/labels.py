"""Whether generated images follow their labels, and whether learnt codes match the labels.

- `label_accuracy`: the share of samples G(z, c) that a classifier assigns to c, overall and
  per class ("does G(z, c=3) look like a 3?").
- `linear_probe_accuracy`: how well a linear classifier reads the labels from learnt codes.
- `best_matching_accuracy`: the agreement of unsupervised codes (InfoGAN's categorical code,
  a clustering) with the labels under the best one-to-one assignment of codes to labels,
  found exactly by dynamic programming over subsets of labels (K * 2^K steps; K = 10 takes
  ten thousand).
"""

import numpy as np

from zoo.errors import ZooError


def _check_pair(predicted, labels):
    predicted, labels = np.asarray(predicted), np.asarray(labels)
    if predicted.shape != labels.shape or predicted.ndim != 1 or not len(labels):
        raise ZooError(f"need one prediction per label, got shapes {predicted.shape} and {labels.shape}")
    if predicted.dtype.kind not in "iu" or labels.dtype.kind not in "iu":
        raise ZooError("predictions and labels must be integers")
    return predicted.astype(np.int64), labels.astype(np.int64)


def label_accuracy(predicted, labels, num_classes):
    """{"label_accuracy": share of predicted == labels, "class_accuracy": one share per class
    (NaN for a class without samples), "worst_class_accuracy"}."""
    predicted, labels = _check_pair(predicted, labels)
    per_class = [float(np.mean(predicted[labels == c] == c)) if np.any(labels == c) else float("nan")
                 for c in range(num_classes)]
    return {"label_accuracy": float(np.mean(predicted == labels)),
            "class_accuracy": [round(a, 4) for a in per_class],
            "worst_class_accuracy": float(np.nanmin(per_class))}


def best_matching_accuracy(codes, labels, num_codes, num_labels):
    """(accuracy, mapping): the share of examples whose code maps to their label under the
    one-to-one assignment code -> label that maximises it (mapping[code] = label; with more
    codes than labels some codes map to none, -1)."""
    codes, labels = _check_pair(codes, labels)
    if num_labels > 20:
        raise ZooError(f"best_matching_accuracy enumerates subsets of labels: {num_labels} is too many")
    counts = np.zeros((num_codes, num_labels), np.int64)
    np.add.at(counts, (codes, labels), 1)
    # best[i, mask]: the most agreements codes 0..i-1 reach when they take the labels in
    # `mask` (a code may also take none). -1: unreachable.
    full = 1 << num_labels
    best = np.full((num_codes + 1, full), -1, np.int64)
    best[0, 0] = 0
    for code in range(num_codes):
        best[code + 1] = best[code]  # the code takes no label
        for mask in np.flatnonzero(best[code] >= 0):
            for label in range(num_labels):
                if not mask >> label & 1:
                    target = mask | 1 << label
                    best[code + 1, target] = max(best[code + 1, target],
                                                 best[code, mask] + counts[code, label])
    mask = int(np.argmax(best[num_codes]))
    agreements, mapping = int(best[num_codes, mask]), np.full(num_codes, -1, np.int64)
    for code in range(num_codes - 1, -1, -1):  # walk back: which label gave each step its value
        if best[code + 1, mask] == best[code, mask]:
            continue
        for label in range(num_labels):
            before = mask ^ 1 << label
            if mask >> label & 1 and best[code, before] >= 0 and \
                    best[code, before] + counts[code, label] == best[code + 1, mask]:
                mapping[code], mask = label, before
                break
    return agreements / len(labels), mapping


def linear_probe_accuracy(train_codes, train_labels, test_codes, test_labels, num_classes,
                          epochs=30, seed=0):
    """How linearly the codes hold the labels: the test accuracy of a softmax regression
    (standardised codes, Adam, full passes over the training codes) fit on the training codes.
    The usual measure of an unsupervised encoder's features (BiGAN's Table 1 setting)."""
    import keras

    train_codes, test_codes = np.asarray(train_codes, np.float32), np.asarray(test_codes, np.float32)
    if train_codes.ndim != 2 or test_codes.ndim != 2 or train_codes.shape[1] != test_codes.shape[1]:
        raise ZooError(f"codes must be (N, D) arrays of one width, got {train_codes.shape} and "
                       f"{test_codes.shape}")
    if len(train_codes) != len(train_labels) or len(test_codes) != len(test_labels):
        raise ZooError("need one label per code")
    mean, scale = train_codes.mean(0), train_codes.std(0) + 1e-6
    keras.utils.set_random_seed(seed)
    probe = keras.Sequential([keras.Input((train_codes.shape[1],)), keras.layers.Dense(num_classes)])
    probe.compile(optimizer=keras.optimizers.Adam(1e-2), metrics=["accuracy"],
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    probe.fit((train_codes - mean) / scale, np.asarray(train_labels), batch_size=500,
              epochs=epochs, verbose=0)
    predicted = np.argmax(probe.predict((test_codes - mean) / scale, batch_size=2000, verbose=0), 1)
    return float(np.mean(predicted == np.asarray(test_labels)))
