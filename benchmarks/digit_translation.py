"""One-way translation of digits into bold digits (`mnist2bold`): does the digit survive, and
does it come out bold?

    python -m benchmarks.digit_translation --epochs=5 --out=benchmarks/results/digit_translation_mnist2bold.md

Each configuration translates the 5,000 test digits of domain A (half MNIST's test split);
against them stand the 5,000 real bold digits of domain B (the other half):
- digit kept: the share of translations that a judge classifier reads as the source digit's
  label. The judge is a digit classifier trained here with another seed than the zoo's
  (DTN's f is the zoo's classifier, and a translation tuned to keep f's features could keep
  them without keeping the digit a new reader sees); its accuracy on the real bold digits is
  the ceiling;
- ink share: the share of pixels above mid-grey, the boldness (real A and real B for scale);
- FID of the translations to the real bold digits, on the zoo classifier's features.
Rows: identity (the digits left as they are, the floor), embolden (the transformation that
made domain B, the ceiling), and dtn trained for --epochs (or --minutes).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from absl import flags  # noqa: E402

from benchmarks import (check_configurations, define_configuration_flags, emit,  # noqa: E402
                        train_preset)

FLAGS = flags.FLAGS

BASELINES = ("identity", "embolden")
CONFIGS = {"dtn": ("dtn_mnist2bold", {})}
JUDGE_SEED = 1


def ink_share(images):
    return float(np.mean(np.asarray(images) > 0))


def _domain(domain):
    from zoo.data.digit_domains import load_digit_domain

    batches = list(load_digit_domain("test", domain, 1000, with_labels=True, shuffle=False))
    return (np.concatenate([b[0].numpy() for b in batches]),
            np.concatenate([b[1].numpy() for b in batches]))


def measure(translated, labels, judge, quality):
    from zoo.metrics.classifier import classify

    read = classify(judge, translated)[1].argmax(axis=1)
    return {"digit_kept": float(np.mean(read == labels)), "ink_share": ink_share(translated),
            "fid": quality(translated)["fid"]}


def run(labels, minutes=None, epochs=None, seed=0, judge_epochs=2):
    from zoo.data.digit_domains import embolden
    from zoo.metrics.classifier import classify, load_classifier, train_classifier
    from zoo.metrics.quality import ClassifierQuality

    (digits, digit_labels), (bold, bold_labels) = _domain("A"), _domain("B")
    judge, judge_accuracy = train_classifier("mnist", epochs=judge_epochs, seed=JUDGE_SEED)
    reference = {"judge_test_accuracy": judge_accuracy,
                 "judge_accuracy_on_bold": float(np.mean(
                     classify(judge, bold)[1].argmax(axis=1) == bold_labels)),
                 "ink_share_a": ink_share(digits), "ink_share_b": ink_share(bold)}
    quality = ClassifierQuality(load_classifier("mnist"), bold)
    translators = {"identity": lambda x: x, "embolden": lambda x: embolden(x).numpy()}
    results = {}
    for label in labels:
        if label in BASELINES:
            results[label] = measure(translators[label](digits), digit_labels, judge, quality)
        else:
            gan, summary, seconds = train_preset(*CONFIGS[label], seed, minutes, epochs)
            results[label] = dict(measure(gan.translate(digits, "a2b"), digit_labels, judge, quality),
                                  epochs=summary["completed_epochs"], seconds=seconds,
                                  steps=int(gan.g_optimizer.iterations))
        print(f"{label}: {results[label]}", flush=True)
    return results, reference


def table(results, reference):
    rows = ["| configuration | digit kept (judge) | ink share | FID to real bold digits | epochs "
            "| generator steps | minutes |", "|---|---|---|---|---|---|---|"]
    for label, r in results.items():
        trained = (f"{r['epochs']} | {r['steps']} | {r['seconds'] / 60:.1f}" if "epochs" in r
                   else "- | - | -")
        rows.append(f"| {label} | {100 * r['digit_kept']:.2f}% | {100 * r['ink_share']:.1f}% | "
                    f"{r['fid']:.2f} | {trained} |")
    return "\n".join(rows) + (
        f"\n\nJudge: a digit classifier trained here (seed {JUDGE_SEED}), MNIST test accuracy "
        f"{100 * reference['judge_test_accuracy']:.2f}%, {100 * reference['judge_accuracy_on_bold']:.2f}% "
        f"on the real bold test digits. Ink share of the real test digits: "
        f"{100 * reference['ink_share_a']:.1f}% (A, plain), {100 * reference['ink_share_b']:.1f}% (B, bold).")


def main(argv):
    del argv
    check_configurations(FLAGS.configs, dict.fromkeys(BASELINES) | CONFIGS)
    results, reference = run(FLAGS.configs, FLAGS.minutes, FLAGS.epochs, FLAGS.seed)
    emit(table(results, reference), FLAGS.out, dict(results=results, reference=reference))


if __name__ == "__main__":
    define_configuration_flags(list(BASELINES) + list(CONFIGS), minutes=None)
    flags.DEFINE_integer("epochs", None, "epochs of dtn instead of --minutes (default: the "
                         "preset's)", lower_bound=1)
    from benchmarks import run_benchmark

    run_benchmark(main)
