"""The 1-D toy over several seeds: how reliably the preset learns N(4, 1.25^2).

    python -m benchmarks.gan_1d_seeds --out=benchmarks/results/gan_1d_seeds.md

Each seed runs the full `gan_1d_gaussian_1d` preset through zoo.training (the path
train.py takes) and measures 10,000 generated samples. Prints a markdown table, with the
mean and standard deviation over the seeds in its last row.
"""

import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from absl import flags  # noqa: E402

from benchmarks import emit  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_list("seeds", [str(seed) for seed in range(10)], "seeds to train with")
flags.DEFINE_string("out", None, "also write the table to this file")


def main(argv):
    del argv
    from zoo import training

    rows = ["| seed | mean | std | KS | within 0.1 of (4, 1.25) | seconds |", "|---|---|---|---|---|---|"]
    figures = []
    for seed in map(int, FLAGS.seeds):
        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as run:
            _, summary = training.train(preset="gan_1d_gaussian_1d", seed=seed, verbose=0,
                                        output_dir=os.path.join(run, "run"))
        m = summary["metrics"]
        figures.append(m)
        ok = abs(m["mean"] - 4) < 0.1 and abs(m["std"] - 1.25) < 0.1
        rows.append(f"| {seed} | {m['mean']:.3f} | {m['std']:.3f} | {m['ks']:.3f} | "
                    f"{'yes' if ok else 'no'} | {time.perf_counter() - start:.1f} |")
        print(rows[-1], flush=True)

    def spread(key):
        values = np.array([m[key] for m in figures])
        return f"{values.mean():.3f} ± {values.std():.3f}"

    rows.append(f"| all {len(figures)} | {spread('mean')} | {spread('std')} | {spread('ks')} | | |")
    table = "\n".join(rows)
    emit(table, FLAGS.out)


if __name__ == "__main__":
    from benchmarks import run_benchmark

    run_benchmark(main)
