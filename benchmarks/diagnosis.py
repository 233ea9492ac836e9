"""Where an unconditional MNIST generator's classifier FID comes from (issue 21's question: why
dcgan_mnist trails cgan_mnist, the same networks with labels).

    python -m benchmarks.diagnosis --presets=dcgan_mnist --out=benchmarks/results/diagnosis_mnist.md

For each preset, 10,000 samples (seed 1) against the 10,000 test images, on the zoo's
classifier's features, as benchmarks.quality measures them, and three ways of taking the
figure apart:
- `batch statistics`: the generator run with batch norm in training mode (each batch of 500
  normalised by its own statistics) instead of the moving averages: whether the statistics
  used at inference are what costs;
- `real digits, the generator's class shares`: 10,000 real training images drawn digit by digit
  in the shares the classifier finds among the samples: what the class imbalance alone costs,
  with perfect digits;
- `confident samples only`: the samples the classifier reads with p >= 0.9: what remains
  when the samples that are no digit are left out.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from benchmarks import emit  # noqa: E402

FLAGS = flags.FLAGS
SAMPLES, SEED, CHUNK = 10_000, 1, 500


def diagnose(preset):
    """{row name: classifier FID} for one preset."""
    import numpy as np
    import zoo
    from zoo.metrics.classifier import classify, load_classifier
    from zoo.metrics.distances import frechet_distance
    from zoo.metrics.quality import real_images

    classifier = load_classifier("mnist")
    test_features, _ = classify(classifier, real_images("mnist", "test"))

    def fid(features):
        return float(frechet_distance(test_features, features))

    gan = zoo.load(preset)
    features, probabilities = classify(classifier, gan.generate(SAMPLES, seed=SEED))
    z = gan.latent_from_seed(SAMPLES, SEED)
    with gan.averaged_weights():
        batch_statistics = np.concatenate([gan.generator(z[i:i + CHUNK], training=True).numpy()
                                           for i in range(0, SAMPLES, CHUNK)])
    shares = np.bincount(probabilities.argmax(1), minlength=10) / SAMPLES
    train_features, train_probabilities = classify(classifier, real_images("mnist", "train"))
    digits = train_probabilities.argmax(1)
    rng = np.random.default_rng(0)
    drawn = np.concatenate([rng.choice(np.flatnonzero(digits == d), int(round(share * SAMPLES)),
                                       replace=False) for d, share in enumerate(shares)])
    confident = probabilities.max(1) >= 0.9
    return {
        "samples (as benchmarks.quality measures them)": fid(features),
        "the same noise, batch statistics": fid(classify(classifier, batch_statistics)[0]),
        "real digits, the generator's class shares": fid(train_features[drawn]),
        f"confident samples only ({confident.mean():.1%} of them)": fid(features[confident]),
        "real digits, balanced (the floor)": fid(train_features[:SAMPLES]),
    }


def main(argv):
    del argv
    results = {preset: diagnose(preset) for preset in FLAGS.presets}
    lines = ["| preset | measured on | classifier FID |", "|---|---|---|"]
    lines += [f"| `{preset}` | {row} | {value:.3f} |"
              for preset, rows in results.items() for row, value in rows.items()]
    emit("\n".join(lines), FLAGS.out, results)


if __name__ == "__main__":
    from benchmarks import run_benchmark

    flags.DEFINE_list("presets", ["dcgan_mnist"], "unconditional MNIST presets to take apart")
    flags.DEFINE_string("out", None, "also write the table here (and the figures as .json)")
    run_benchmark(main)
