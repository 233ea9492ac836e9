"""Conditional generation on MNIST: does G(z, c) draw a c? And what the labels' use buys.

    python -m benchmarks.conditional --minutes=15 --out=benchmarks/results/conditional_mnist.md
    python -m benchmarks.conditional --configs=sgan --epochs=50     # the run, not a time budget
    python -m benchmarks.conditional --shipped=cgan_mnist           # a shipped preset as it is

Trains each configuration (its `<name>_mnist` preset) for `--minutes` of training time (or
`--epochs`), then measures, against the 10,000 MNIST test images:
- 10,000 samples, the classes in turn, on the zoo's classifier: classifier FID, precision,
  recall, and the share of samples the classifier assigns to the label they were drawn for,
  overall and for the worst class (InfoGAN: its categories, mapped to digits by the best
  one-to-one assignment; its continuous codes drawn uniformly);
- infogan: Q's categorical code read from the real test images, against their labels under the
  best one-to-one assignment (how well the code picked up the digit, with no label seen);
- sgan: the test error of its classifier (100 labels in training).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from absl import flags  # noqa: E402

from benchmarks import (check_configurations, define_configuration_flags, emit,  # noqa: E402
                        train_preset)

FLAGS = flags.FLAGS

CONFIGS = {  # label -> (preset, overrides)
    "cgan (joint D)": ("cgan_mnist", {}),
    "cgan (projection D)": ("cgan_projection_mnist", {}),
    "cgan (joint D) without mismatched pairs": ("cgan_mnist", dict(mismatch_weight=0.0)),
    "acgan": ("acgan_mnist", {}),
    "infogan": ("infogan_mnist", {}),
    "sgan": ("sgan_mnist", {}),
    "stackgan": ("stackgan_mnist", {}),
}
SAMPLES = 10_000
SAMPLE_SEED = 1


def measure(gan, quality, classifier, test_images, test_labels, samples=SAMPLES):
    """The figures above for one trained model, from `samples` samples."""
    from zoo.metrics.classifier import classify
    from zoo.metrics.labels import best_matching_accuracy, label_accuracy

    trained_here = getattr(gan, "g_optimizer", None) is not None  # not a loaded preset
    figures = {"generator_steps": int(gan.g_optimizer.iterations) if trained_here else None}
    if gan.registered_name == "infogan":
        rng = np.random.default_rng(SAMPLE_SEED)
        drawn = np.arange(samples) % gan.categories
        images = gan.generate(samples, seed=SAMPLE_SEED, categories=drawn,
                              continuous=rng.uniform(-1, 1, (samples, gan.continuous)))
        read, _ = gan.infer_codes(test_images)
        figures["code_accuracy"], _ = best_matching_accuracy(read, test_labels, gan.categories, 10)
    else:
        drawn = np.arange(samples) % 10
        images = (gan.generate(samples, seed=SAMPLE_SEED, labels=drawn)
                  if gan.data_needs == "labels" else gan.generate(samples, seed=SAMPLE_SEED))
    figures.update(quality(images))
    predicted = classify(classifier, images)[1].argmax(axis=1)
    if gan.registered_name == "infogan":  # categories -> digits by the best assignment
        _, mapping = best_matching_accuracy(drawn, predicted, gan.categories, 10)
        drawn = mapping[drawn]
    if gan.data_needs == "labels" or gan.registered_name == "infogan":
        figures.update(label_accuracy(predicted, drawn, 10))
    if gan.registered_name == "sgan":
        figures["test_error"] = float(np.mean(gan.classify(test_images) != test_labels))
    return figures


def _cell(figures, key, percent=False):
    if key not in figures:
        return "-"
    return f"{100 * figures[key]:.2f}%" if percent else f"{figures[key]:.3f}"


def table(results):
    rows = ["| configuration | classifier FID | precision | recall | samples of their label "
            "| worst class | InfoGAN code vs digit | test error (100 labels) | epochs | generator steps "
            "| minutes |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for label, r in results.items():
        rows.append(f"| {label} | {r['fid']:.2f} | {r['precision']:.3f} | {r['recall']:.3f} | "
                    f"{_cell(r, 'label_accuracy', True)} | {_cell(r, 'worst_class_accuracy', True)} | "
                    f"{_cell(r, 'code_accuracy', True)} | {_cell(r, 'test_error', True)} | "
                    f"{r['epochs']} | {r['generator_steps'] or '-'} | "
                    f"{'-' if r['seconds'] is None else format(r['seconds'] / 60, '.1f')} |")
    return "\n".join(rows)


def run(labels, minutes=None, epochs=None, seed=0, shipped=(), samples=SAMPLES, test_examples=None):
    """Train and measure each configuration of `labels`; measure each preset of `shipped`
    as it ships (its epochs from the preset). Each takes `samples` samples, against the first
    `test_examples` test images (all by default)."""
    import zoo

    from zoo.metrics.classifier import load_classifier
    from zoo.metrics.quality import ClassifierQuality
    from zoo.data import load

    classifier = load_classifier("mnist")
    test = list(load("mnist", split="test", batch_size=10_000, shuffle=False))[0]
    test_images, test_labels = test[0].numpy()[:test_examples], test[1].numpy()[:test_examples]
    quality = ClassifierQuality(classifier, test_images)
    results = {}
    for label in labels:
        gan, summary, seconds = train_preset(*CONFIGS[label], seed, minutes, epochs)
        results[label] = dict(measure(gan, quality, classifier, test_images, test_labels, samples),
                              seconds=seconds, epochs=summary["completed_epochs"])
        print(f"{label}: " + ", ".join(f"{k} {v:.4f}" for k, v in results[label].items()
                                       if isinstance(v, float)), flush=True)
    for name in shipped:
        results[f"{name} (shipped)"] = dict(
            measure(zoo.load(name), quality, classifier, test_images, test_labels, samples),
            seconds=None, epochs=zoo.get_preset(name).train["epochs"])
    return results


def main(argv):
    del argv
    check_configurations(FLAGS.configs, CONFIGS)
    configs = FLAGS.configs if FLAGS["configs"].present or not FLAGS.shipped else []
    results = run(configs, FLAGS.minutes, FLAGS.epochs, FLAGS.seed, FLAGS.shipped)
    emit(table(results), FLAGS.out, results)


if __name__ == "__main__":
    define_configuration_flags(CONFIGS, minutes=None)
    flags.DEFINE_integer("epochs", None, "epochs per configuration instead of --minutes "
                         "(default: the preset's)", lower_bound=1)
    flags.DEFINE_list("shipped", [], "shipped presets to measure as they are (alone, unless "
                      "--configs is given too)")
    from benchmarks import run_benchmark

    run_benchmark(main)
