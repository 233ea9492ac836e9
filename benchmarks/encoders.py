"""The models that learn an encoder beside their generator, on MNIST: what the encoder keeps.

    python -m benchmarks.encoders --epochs=3 --out=benchmarks/results/encoders_mnist.md
    python -m benchmarks.encoders --configs= --run=runs/bigan --run=runs/vaegan   # trained runs

Trains each configuration (its `<name>_mnist` preset) for `--epochs` (or `--minutes`), then
measures against the 10,000 MNIST test images:
- samples: 10,000 from the prior on the zoo's classifier (classifier FID, precision, recall);
- reconstructions G(E(x)) of the test images: the mean squared pixel error (images in
  [-1, 1]) and the share the classifier still reads as the test image's digit;
- the linear probe: a softmax regression fit on E's codes of the 60,000 training images,
  its accuracy on the test codes (BiGAN's Table 1 measure; labels are used by the probe only).
Two references without training: the probe on raw pixels, and on an untrained encoder.
A `--run` (a run directory trained already, e.g. by train.py over several sessions with
--resume) is measured the same way, its epochs read from its result.json; its steps and
minutes are not in the folder, and the table leaves them out.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from absl import flags  # noqa: E402

from benchmarks import (check_configurations, completed_epochs, define_configuration_flags,  # noqa: E402
                        emit, run_label, train_preset)

FLAGS = flags.FLAGS

CONFIGS = {  # label -> (preset, overrides)
    "bigan": ("bigan_mnist", {}),
    "vaegan": ("vaegan_mnist", {}),
}
SAMPLES = 10_000
SAMPLE_SEED = 1


def _split(split):
    from zoo.data import load

    batches = list(load("mnist", split=split, batch_size=10_000, shuffle=False))
    return (np.concatenate([b[0].numpy() for b in batches]),
            np.concatenate([b[1].numpy() for b in batches]))


def measure(gan, quality, classifier, train, test, samples=SAMPLES):
    from zoo.metrics.classifier import classify
    from zoo.metrics.labels import linear_probe_accuracy

    figures = dict(quality(gan.generate(samples, seed=SAMPLE_SEED)))
    reconstructions = gan.reconstruct(test[0])
    figures["reconstruction_mse"] = float(np.mean(np.square(reconstructions - test[0])))
    read = classify(classifier, reconstructions)[1].argmax(axis=1)
    figures["reconstruction_digit_kept"] = float(np.mean(read == test[1]))
    figures["probe_accuracy"] = linear_probe_accuracy(gan.encode(train[0]), train[1],
                                                      gan.encode(test[0]), test[1], 10)
    return figures


def references(train, test):
    """Linear probes without training: raw pixels, and the untrained bigan encoder."""
    import zoo
    from zoo.metrics.labels import linear_probe_accuracy

    flat = lambda x: x.reshape(len(x), -1)  # noqa: E731
    untrained = zoo.create("bigan", **zoo.get_preset("bigan_mnist").model_kwargs)
    return {"raw pixels (784)": linear_probe_accuracy(flat(train[0]), train[1], flat(test[0]),
                                                      test[1], 10),
            "untrained encoder": linear_probe_accuracy(untrained.encode(train[0]), train[1],
                                                       untrained.encode(test[0]), test[1], 10)}


def table(results, probes):
    rows = ["| configuration | classifier FID | precision | recall | reconstruction MSE "
            "| digit kept in G(E(x)) | linear probe on E(x) | epochs | generator steps | minutes |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for label, r in results.items():
        rows.append(f"| {label} | {r['fid']:.2f} | {r['precision']:.3f} | {r['recall']:.3f} | "
                    f"{r['reconstruction_mse']:.4f} | {100 * r['reconstruction_digit_kept']:.2f}% | "
                    f"{100 * r['probe_accuracy']:.2f}% | {_cell(r['epochs'], 'd')} | "
                    f"{_cell(r.get('generator_steps'), 'd')} | "
                    f"{_cell(r.get('seconds') and r['seconds'] / 60, '.1f')} |")
    for label, accuracy in probes.items():
        rows.append(f"| {label} (reference) | - | - | - | - | - | {100 * accuracy:.2f}% | - | - | - |")
    return "\n".join(rows)


def _cell(value, fmt):
    return "-" if value is None else format(value, fmt)


def run(labels, minutes=None, epochs=None, seed=0, probe_examples=None, samples=SAMPLES,
        test_examples=None, run_dirs=()):
    """Train and measure each configuration, then each trained run directory; the probe fits
    on the first `probe_examples` training images (all by default); `samples` from the prior,
    against the first `test_examples` test images (all by default)."""
    import zoo

    from zoo.metrics.classifier import load_classifier
    from zoo.metrics.quality import ClassifierQuality

    classifier = load_classifier("mnist")
    train, test = _split("train"), _split("test")
    train = tuple(part[:probe_examples] for part in train)
    test = tuple(part[:test_examples] for part in test)
    quality = ClassifierQuality(classifier, test[0])
    results = {}
    def report(label, gan, **figures):
        results[label] = dict(measure(gan, quality, classifier, train, test, samples), **figures)
        print(f"{label}: " + ", ".join(f"{k} {v:.4f}" for k, v in results[label].items()
                                       if isinstance(v, float)), flush=True)

    for label in labels:
        gan, summary, seconds = train_preset(*CONFIGS[label], seed, minutes, epochs)
        report(label, gan, seconds=seconds, epochs=summary["completed_epochs"],
               generator_steps=int(gan.g_optimizer.iterations))
    for run_dir in run_dirs:
        report(run_label(run_dir), zoo.load(run_dir), epochs=completed_epochs(run_dir))
    return results, references(train, test)


def main(argv):
    del argv
    check_configurations(FLAGS.configs, CONFIGS)
    results, probes = run(FLAGS.configs, FLAGS.minutes, FLAGS.epochs, FLAGS.seed,
                          run_dirs=FLAGS.run or ())
    emit(table(results, probes), FLAGS.out, dict(results=results, references=probes))


if __name__ == "__main__":
    define_configuration_flags(CONFIGS, minutes=None)
    flags.DEFINE_integer("epochs", None, "epochs per configuration instead of --minutes "
                         "(default: the preset's)", lower_bound=1)
    flags.DEFINE_multi_string("run", None, "a trained run directory to measure (repeatable)")
    from benchmarks import run_benchmark

    run_benchmark(main)
