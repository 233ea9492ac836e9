"""The semi-supervised GAN's test error over seeds, in Salimans et al. 2016's MNIST setting
(100 labelled training images, ten per digit, beside the whole unlabelled training set).

    python -m benchmarks.semi_supervised --seeds=0,1,2,3,4 --runs_dir=RUNS \
        --out=benchmarks/results/sgan_mnist_seeds.md

Trains sgan_mnist once per seed (the seed draws the labelled images, the networks' start and
the noise; with --labelled_seed=L every seed trains on the labelled images L draws, as
Improved-GAN's script does with its --seed_data), each in its own run folder under --runs_dir,
and measures its classifier on the
10,000 MNIST test images every --every epochs. The runs are resumable: given again, the
command continues a run stopped at an epoch's end (a session's end) and reads a finished one
back instead of training it again. The result of a seed is its error after the last epoch
(not its best epoch); the table gives each seed's curve and the mean and sample standard
deviation over the seeds.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from absl import flags  # noqa: E402

from benchmarks import emit  # noqa: E402

FLAGS = flags.FLAGS

PRESET = "sgan_mnist"
PUBLISHED = "0.93% +- 0.07% (Salimans et al. 2016, Table 1, 100 labels, feature matching)"


def test_error_callback(images, labels, every):
    """A keras callback that adds `test_error` (a fraction) to the logs every `every` epochs
    and after the last one, so the run's history.json keeps the curve across resumes."""
    import keras

    class TestError(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            last = epoch + 1 == self.params.get("epochs")
            if logs is not None and ((epoch + 1) % every == 0 or last):
                logs["test_error"] = float(np.mean(self.model.classify(images) != labels))

    return TestError()


def run_folder(runs_dir, seed, labelled_seed=None):
    """A seed's run folder: seed<N>, or seed<N>_labels<L> on the labelled images seed L drew."""
    labels = "" if labelled_seed is None else f"_labels{labelled_seed}"
    return os.path.join(runs_dir, f"seed{seed}{labels}")


def run_seed(seed, runs_dir, images, labels, every, epochs=None, overrides=None):
    """{"curve": [(epoch, test error)], "error": the last epoch's, "epochs", "train_seconds"}."""
    from zoo import training

    overrides = overrides or {}
    _, summary = training.train(
        preset=PRESET, seed=seed, output_dir=run_folder(runs_dir, seed, overrides.get("labelled_seed")),
        resume=True,
        verbose=0, eval_samples=0, callbacks=[test_error_callback(images, labels, every)],
        **({"epochs": epochs} if epochs else {}), **overrides)
    errors = summary["history"].get("test_error", [])
    curve = [(epoch, error) for epoch, error in enumerate(errors, 1) if error is not None]
    return {"curve": curve, "error": curve[-1][1], "epochs": summary["completed_epochs"],
            "train_seconds": summary.get("train_seconds")}


def table(results, labelled_seed=None):
    """Markdown: one row per seed (its error at each measured epoch), then mean and std."""
    epochs = sorted({epoch for r in results.values() for epoch, _ in r["curve"]})
    lines = ["| seed | " + " | ".join(f"epoch {e}" for e in epochs) + " |",
             "|---|" + "---|" * len(epochs)]
    for seed, r in results.items():
        at = dict(r["curve"])
        lines.append(f"| {seed} | " + " | ".join(
            f"{100 * at[e]:.2f}%" if e in at else "-" for e in epochs) + " |")
    finals = np.array([r["error"] for r in results.values()])
    spread = (f" +- {100 * finals.std(ddof=1):.2f}% (sample standard deviation)"
              if len(finals) > 1 else "")
    labelled = ("each on the labelled images its own seed drew" if labelled_seed is None else
                f"all on the labelled images seed {labelled_seed} drew")
    lines += ["", f"Test error after the last epoch over {len(finals)} seed(s), {labelled}: "
              f"{100 * finals.mean():.2f}%{spread}; published: {PUBLISHED}."]
    return "\n".join(lines)


def main(argv):
    del argv
    from zoo.data import load

    test = list(load("mnist", split="test", batch_size=10_000, shuffle=False))[0]
    images, labels = test[0].numpy(), test[1].numpy()
    fixed = {} if FLAGS.labelled_seed is None else {"labelled_seed": FLAGS.labelled_seed}
    results = {}
    for seed in FLAGS.seeds:
        results[seed] = run_seed(int(seed), FLAGS.runs_dir, images, labels, FLAGS.every,
                                 FLAGS.epochs, fixed)
        print(f"seed {seed}: {100 * results[seed]['error']:.2f}% after "
              f"{results[seed]['epochs']} epochs", flush=True)
    emit(table(results, FLAGS.labelled_seed), FLAGS.out, results)


if __name__ == "__main__":
    flags.DEFINE_list("seeds", ["0", "1", "2", "3", "4"], "seeds, one run each")
    flags.DEFINE_string("runs_dir", None, "folder of the runs (one per seed; resumable)")
    flags.DEFINE_integer("every", 5, "measure the test error every this many epochs",
                         lower_bound=1)
    flags.DEFINE_integer("epochs", None, "epochs per seed (default: the preset's)", lower_bound=1)
    flags.DEFINE_integer("labelled_seed", None, "train every seed on the labelled images this "
                         "seed draws (default: each seed draws its own)", lower_bound=0)
    flags.DEFINE_string("out", None, "also write the table to this file (and the figures as .json)")
    flags.mark_flag_as_required("runs_dir")
    from benchmarks import run_benchmark

    run_benchmark(main)
