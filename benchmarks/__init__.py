"""Benchmarks that print markdown tables; `--out` also writes them under benchmarks/results/."""

import json
import os
import tempfile
import time


def check_out_file(path):
    """--out must be a file that can be written where it is named: checked before the
    measurement it would report, not after."""
    from zoo.errors import ZooError

    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise ZooError(f"--out={path} is a folder: name a file (e.g. benchmarks/results/x.md)")
    if not os.path.isdir(folder):
        raise ZooError(f"--out={path}: the folder {folder} does not exist; make it first")
    if not os.access(folder, os.W_OK):
        raise ZooError(f"--out={path}: can't write to {folder}; pick another folder")


def run_benchmark(main):
    """zoo.cli.run_main(main) (bad input: one line, exit 2), with --out checked first."""
    from absl import flags

    from zoo.cli import run_main

    def checked(argv):
        if flags.FLAGS.out:
            check_out_file(flags.FLAGS.out)
        return main(argv)

    run_main(checked)


def emit(table, out=None, figures=None):
    """Print `table`; with `out`, write it there and `figures` (if any) beside it as .json."""
    print(table)
    if out:
        with open(out, "w") as f:
            f.write(table + "\n")
        if figures is not None:
            with open(os.path.splitext(out)[0] + ".json", "w") as f:
                json.dump(figures, f, indent=2)


def train_preset(preset, overrides=None, seed=0, minutes=None, epochs=None, eval_samples=0):
    """Train a preset (with `overrides`) in a throwaway folder for `minutes` of training or
    `epochs`: (model, summary, seconds). The run's own end-of-run measurement takes
    `eval_samples` samples: none by default, where the benchmark measures what it reports;
    None for the dataset's own number (its figures in summary["metrics"])."""
    from zoo import training

    budget = {"time_budget": 60 * minutes} if minutes else {}
    overrides = {**(overrides or {}), "eval_samples": eval_samples}
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        gan, summary = training.train(preset=preset, seed=seed, verbose=0, epochs=epochs,
                                      output_dir=os.path.join(folder, "run"), **budget,
                                      **overrides)
    return gan, summary, time.perf_counter() - start


def completed_epochs(run_dir):
    """The epochs a finished run completed, from its result.json (None if it has none). Its
    steps are not kept: a run directory has no count of them once its checkpoints are gone."""
    from zoo.run_folder import RESULT_FILE

    path = os.path.join(run_dir, RESULT_FILE)
    if not os.path.isfile(path):
        return None
    with open(path) as f:
        return json.load(f).get("completed_epochs")


def run_label(run_dir):
    """A trained run's row label: its folder's name."""
    return os.path.basename(os.path.normpath(run_dir))


def define_configuration_flags(configs, minutes):
    """--minutes, --configs, --seed and --out of a benchmark over named configurations."""
    from absl import flags

    flags.DEFINE_float("minutes", minutes, "training time per configuration", lower_bound=0.01)
    flags.DEFINE_list("configs", list(configs), "configurations to run")
    flags.DEFINE_integer("seed", 0, "seed of every run")
    flags.DEFINE_string("out", None, "also write the table to this file (and the figures as .json)")


def check_configurations(asked, configs):
    from zoo.errors import ZooError

    unknown = set(asked) - set(configs)
    if unknown:
        raise ZooError(f"unknown configurations {sorted(unknown)}: choose from {sorted(configs)}")
