"""Each loss of the family on MNIST after the same wall-clock training budget.

    python -m benchmarks.loss_family --minutes=5 --out=benchmarks/results/loss_family_mnist.md

Trains each configuration (its `<model>_mnist` preset: the DCGAN networks at 28x28, each
paper's optimizer and n_critic) for `--minutes` of training time on this machine, one after
another (run it alone: a budget in wall-clock time is only fair on an idle machine), then
measures 10,000 samples as benchmarks.quality does: classifier FID and friends against the
MNIST test set, beside the real-vs-real floor.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from benchmarks import (check_configurations, define_configuration_flags, emit,  # noqa: E402
                        train_preset)

FLAGS = flags.FLAGS

# label -> (preset, overrides)
CONFIGS = {
    "dcgan (non-saturating)": ("dcgan_mnist", {}),
    "dcgan, hinge loss": ("dcgan_mnist", dict(loss="hinge")),
    "dcgan, hinge + spectral norm": ("dcgan_mnist", dict(loss="hinge", spectral_norm=True,
                                                         d_normalization="none")),
    "wgan": ("wgan_mnist", {}),
    "wgan_gp": ("wgan_gp_mnist", {}),
    "lsgan": ("lsgan_mnist", {}),
    "ebgan": ("ebgan_mnist", {}),
}


def run(label, minutes, seed=0, epochs=None):
    """Train one configuration for `minutes` and return its figures."""
    from zoo import training

    preset, overrides = CONFIGS[label]
    gan, summary, seconds = train_preset(preset, overrides, seed, minutes, epochs, eval_samples=None)
    figures = dict(summary["metrics"], seconds=seconds)
    figures["generator_steps"] = int(gan.g_optimizer.iterations)
    figures["images_seen"] = figures["generator_steps"] * gan.d_steps * training.resolve(
        preset=preset)[3].batch_size
    print(f"{label}: classifier FID {figures['fid']:.2f} after {figures['generator_steps']} "
          f"generator steps", flush=True)
    return figures


def table(results, minutes):
    rows = [f"| configuration | classifier FID | KID | precision | recall | classes | confident "
            f"(p >= 0.9) | generator steps in {minutes:g} min | images seen |",
            "|---|---|---|---|---|---|---|---|---|"]
    for label, r in results.items():
        rows.append(f"| {label} | {r['fid']:.2f} | {r['kid']:.3f} | {r['precision']:.3f} | "
                    f"{r['recall']:.3f} | {r['classes_present']} | {r['confident_share']:.3f} | "
                    f"{r['generator_steps']} | {r['images_seen']} |")
    return "\n".join(rows)


def main(argv):
    del argv
    check_configurations(FLAGS.configs, CONFIGS)
    results = {label: run(label, FLAGS.minutes, FLAGS.seed) for label in FLAGS.configs}
    emit(table(results, FLAGS.minutes), FLAGS.out, results)


if __name__ == "__main__":
    define_configuration_flags(CONFIGS, minutes=5.0)
    from benchmarks import run_benchmark

    run_benchmark(main)
