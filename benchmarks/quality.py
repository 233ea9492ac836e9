"""Sample quality of trained MNIST generators on the zoo's classifier, with the real floor.

    python -m benchmarks.quality --preset=dcgan_mnist,gan_mnist --out=benchmarks/results/quality_mnist.md
    python -m benchmarks.quality --run=runs/demo       # a run directory instead of a preset
    python -m benchmarks.quality --keras_file=g.keras  # any keras generator: z ~ N(0, 1) in

Each generator draws 10,000 samples (seed 1) that are measured against the 10,000 test
images: classifier FID and KID on the classifier's 128-d penultimate features, improved
precision and recall (k = 3), and the class histogram with its entropy and the share of
confidently classified samples. The first row measures 10,000 real training images the same
way: the floor that finite samples leave even for a perfect generator. When a model of
binarised pixels is measured (the RBM), the same images binarised add the floor such a model
has.

The likelihood baselines beside the GANs, each trained for the 20 minutes dcgan_mnist took:

    python train.py --preset=vae_mnist --seed=0 --time_budget=1200 --epochs=1000
    python train.py --preset=rbm_mnist --seed=0 --time_budget=1200 --epochs=1000
    python -m benchmarks.quality --preset=dcgan_mnist,gan_mnist,vae_mnist,rbm_mnist \
        --out=benchmarks/results/quality_mnist.md
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from benchmarks import emit  # noqa: E402

FLAGS = flags.FLAGS


SAMPLE_SEED = 1
COLUMNS = ("fid", "kid", "precision", "recall", "classes_present", "class_entropy",
           "confident_share")


def measure(models, dataset="mnist", samples=10_000):
    """{row name: figures} for the real floor and each (name, generator) in `models`."""
    import numpy as np
    from zoo.metrics.classifier import load_classifier
    from zoo.metrics.quality import ClassifierQuality, real_images

    quality = ClassifierQuality(load_classifier(dataset), real_images(dataset, "test"))
    floor = real_images(dataset, "train", samples)
    results = {f"real {dataset} train (floor)": quality(floor)}
    if any(hasattr(gan, "binarise") for _, gan in models):
        # A model of binarised pixels (the RBM) is measured against grey test images too: this
        # row is what binarising alone costs, the floor for such a model.
        results[f"real {dataset} train, binarised (the RBM's data)"] = quality(
            np.where(floor > 0, 1.0, -1.0).astype("float32"))
    for name, gan in models:
        results[name] = quality(gan.generate(samples, seed=SAMPLE_SEED))
    return results


class KerasFileGenerator:
    """A generator saved as a .keras file outside the zoo (noise in, images in [-1, 1] out),
    loaded in Keras' safe mode unless trusted, and sampled from N(0, 1) noise."""

    def __init__(self, path, trusted=False):
        from zoo.saving import load_keras_file

        self.model = load_keras_file(path, safe_mode=not trusted)

    def generate(self, n, seed):
        import numpy as np

        z = np.random.default_rng(seed).standard_normal((n, self.model.input.shape[-1]))
        return self.model.predict(z.astype("float32"), batch_size=500, verbose=0)


def table(results):
    rows = ["| samples | classifier FID | KID | precision | recall | classes | class entropy "
            "(max 2.303) | confident (p >= 0.9) |", "|---|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        rows.append(f"| {name} | {r['fid']:.3f} | {r['kid']:.3f} ± {r['kid_std']:.3f} | "
                    f"{r['precision']:.3f} | {r['recall']:.3f} | {r['classes_present']} | "
                    f"{r['class_entropy']:.3f} | {r['confident_share']:.3f} |")
    rows += ["", "Share of each digit 0-9 among the samples, under the classifier:", "",
             "| samples | " + " | ".join(map(str, range(10))) + " |", "|---|" + "---|" * 10]
    for name, r in results.items():
        rows.append(f"| {name} | " + " | ".join(f"{s:.3f}" for s in r["class_shares"]) + " |")
    return "\n".join(rows)


def main(argv):
    del argv
    import zoo

    if not FLAGS.preset and not FLAGS.run and not FLAGS.keras_file:
        raise zoo.ZooError("say what to measure: --preset=NAME[,NAME], --run=DIR[,DIR] or "
                           "--keras_file=FILE[,FILE]")
    models = [(name, zoo.load(name)) for name in FLAGS.preset + FLAGS.run]
    models += [(path, KerasFileGenerator(path, FLAGS.trust_keras_file)) for path in FLAGS.keras_file]
    results = measure(models, FLAGS.dataset, FLAGS.samples)
    text = table(results)
    emit(text, FLAGS.out, results)


def define_flags():
    """The command line's flags (defined only when run as a script, so tests can import)."""
    flags.DEFINE_list("preset", [], "presets with shipped weights to measure")
    flags.DEFINE_list("run", [], "run directories (or saved-model folders) to measure")
    flags.DEFINE_list("keras_file", [], "generators saved as .keras files to measure")
    flags.DEFINE_boolean("trust_keras_file", False, "run the Python code (Lambda layers) that a "
                         "--keras_file holds; off: such a file is refused (Keras' safe mode)")
    flags.DEFINE_string("dataset", "mnist", "dataset whose classifier and test split to use")
    flags.DEFINE_integer("samples", 10_000, "generated samples per model", lower_bound=100)
    flags.DEFINE_string("out", None, "also write the table to this file (and the figures as .json)")


if __name__ == "__main__":
    define_flags()
    from benchmarks import run_benchmark

    run_benchmark(main)
