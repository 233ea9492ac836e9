"""Mode collapse on the 2-D mixtures, in the setting of PacGAN's Table 1 (Lin et al. 2018).

    python -m benchmarks.mixtures --models=gan,gan_pack4,wgan_gp --trials=10 --out=benchmarks/results/mixtures.md

For each model and each of ring8 and grid25, trains the preset for that mixture
(`<model>_ring8`, `<model>_grid25`; a remedy's presets are named like `gan_pack4_grid25`,
so `--models=gan_pack4` runs them) `--trials` times with seeds 0, 1, ..., measures 2500
samples each time (zoo.metrics.mixture_statistics: modes captured, share of high-quality
samples, reverse KL to uniform) and prints mean ± std over the trials, beside the rows the
PacGAN paper published.
"""

import json
import multiprocessing
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from absl import flags  # noqa: E402

from benchmarks import emit  # noqa: E402

FLAGS = flags.FLAGS


# PacGAN (Lin et al. 2018), Table 1: modes, high-quality samples (%), reverse KL.
PUBLISHED = {
    ("GAN", "ring8"): (6.3, 98.2, 0.45), ("GAN", "grid25"): (17.3, 94.8, 0.70),
    ("PacGAN4", "ring8"): (7.8, 95.9, 0.07), ("PacGAN4", "grid25"): (24.8, 93.6, 0.04),
}
MAX_MODES = {"ring8": 8, "grid25": 25}
# PacGAN's runs, on both mixtures: 400 epochs of 100,000 points in minibatches of 100 (packs,
# for PacGAN: 100 x k points), from the paper's code (fjxmlzn/PacGAN, 2DGrid and 2DRing configs).
PUBLISHED_STEPS = 400_000
SAMPLES = 2500  # the protocol's count, also drawn in the pictures


def run_trials(model, dataset, trials, epochs=None, jit_compile=True, samples=None, recorded=(),
               on_trial=None, workers=1):
    """Figures of `trials` seeded runs of the preset `<model>_<dataset>`, in seed order; with a
    `samples` list, the 2,500 samples (noise seed 0) of seed 0's trial are appended to it when
    this call trains that trial.

    A trial in `recorded` (figures an earlier run wrote) whose seed and settings match is kept
    rather than trained again; `on_trial(results)` is called after each new trial, so a long
    run can write what it has measured so far.

    XLA (`jit_compile`) fuses the MLPs' element-wise work into their matrix products, which
    about doubles the steps per second (benchmarks/results/mixtures_step_profile.md).
    `workers` > 1 trains that many trials at once, each in a process of its own on one thread:
    these small products keep one core busier than they keep two."""
    settings = _trial_settings(model, dataset, epochs, jit_compile)
    kept = {r["seed"]: r for r in recorded if r.get("seed") is not None
            and all(r.get(k) == v for k, v in settings.items())}
    results = {seed: kept[seed] for seed in range(trials) if seed in kept}
    jobs = [(model, dataset, seed, epochs, jit_compile) for seed in range(trials) if seed not in results]
    # A trial left to train alone has both threads to itself (and none left: nothing to start).
    at_once = max(1, min(workers, len(jobs)))
    for seed, figures, drawn in _trained(jobs, at_once):
        if drawn is not None and samples is not None:
            samples.append(drawn)
        results[seed] = figures = dict(figures, seed=seed, workers=at_once, **settings)
        print(f"{model} {dataset} seed {seed}: {figures['modes']} modes, "
              f"{100 * figures['high_quality']:.1f}% high quality, reverse KL "
              f"{figures['reverse_kl']:.3f}, {figures['seconds']:.0f} s", flush=True)
        if on_trial:
            on_trial([results[s] for s in sorted(results)])
    return [results[s] for s in sorted(results)]


def _trained(jobs, workers):
    """(seed, figures, samples or None) of each job, as the trials finish."""
    if workers == 1:
        yield from (_train_trial(*job) for job in jobs)
        return
    context = multiprocessing.get_context("spawn")  # a fresh TensorFlow in each worker
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_one_thread) as pool:
        for done in as_completed([pool.submit(_train_trial, *job) for job in jobs]):
            yield done.result()


def _one_thread():
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)


def _trial_settings(model, dataset, epochs, jit_compile):
    """What makes two trials of one seed comparable: their length, batch and compilation."""
    from zoo import training

    settings = training.resolve(preset=f"{model}_{dataset}", epochs=epochs)[3]
    return dict(generator_steps=settings.epochs * settings.steps_per_epoch,
                batch_size=settings.batch_size, jit_compile=bool(jit_compile))


def _train_trial(model, dataset, seed, epochs, jit_compile):
    from zoo import training

    start, cpu_start = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory() as run:
        trained, summary = training.train(preset=f"{model}_{dataset}", seed=seed, epochs=epochs,
                                          verbose=0, output_dir=os.path.join(run, "run"),
                                          jit_compile=jit_compile)
        drawn = trained.generate(SAMPLES, seed=0) if seed == 0 else None  # for the pictures
    figures = dict(summary["metrics"], seconds=time.perf_counter() - start,
                   cpu_seconds=time.process_time() - cpu_start)
    return seed, figures, drawn


def _mean_std(values, scale=1.0, digits=2):
    values = scale * np.asarray(values, dtype=np.float64)
    defined = values[np.isfinite(values)]
    if not defined.size:
        return "undefined"
    if values.size == 1:  # one trial: no spread to show
        return f"{defined[0]:.{digits}f}"
    text = f"{defined.mean():.{digits}f} ± {defined.std():.{digits}f}"
    # The reverse KL is undefined for a trial without a single high-quality sample.
    return text if defined.size == values.size else f"{text} ({defined.size} of {values.size} trials)"


def _beside_others(results):
    """How many trials ran at once, where more than one did: each took that much longer."""
    at_once = sorted({r.get("workers", 1) for r in results})
    return "" if at_once == [1] else f" ({' or '.join(map(str, at_once))} at once)"


def table(measured, trials):
    rows = ["| model | mixture | modes | high-quality samples (%) | reverse KL | trials | "
            "generator steps x batch | minutes per trial | CPU minutes per trial |",
            "|---|---|---|---|---|---|---|---|---|"]
    for (model, dataset), results in measured.items():
        rows.append(
            f"| {model} (ours) | {dataset} | {_mean_std([r['modes'] for r in results], digits=1)}"
            f" / {MAX_MODES[dataset]} | {_mean_std([r['high_quality'] for r in results], 100, 1)}"
            f" | {_mean_std([r['reverse_kl'] for r in results], digits=3)} | {len(results)} | "
            f"{results[0]['generator_steps']} x {results[0]['batch_size']} | "
            f"{np.mean([r['seconds'] for r in results]) / 60:.1f}{_beside_others(results)} | "
            f"{np.mean([r.get('cpu_seconds', np.nan) for r in results]) / 60:.1f} |")
    for (model, dataset), (modes, quality, kl) in PUBLISHED.items():
        if dataset in {d for _, d in measured}:
            rows.append(f"| {model} (PacGAN paper) | {dataset} | {modes} / {MAX_MODES[dataset]} | "
                        f"{quality} | {kl:.2f} | 10 | {PUBLISHED_STEPS} x 100 packs | | |")
    return "\n".join(rows)


def picture(dataset, samples_by_model, folder):
    """`folder`/mixtures_<dataset>.png: the real data, then each model's first trial."""
    import zoo
    from zoo.plotting import save_point_panels
    from zoo.registry import get_dataset

    real = next(iter(zoo.data.load(dataset, split="test", batch_size=SAMPLES, seed=0)))
    panels = [("real data", real)] + [(f"{model} (seed 0)", samples)
                                      for model, samples in samples_by_model.items()]
    modes = get_dataset(dataset).evaluate.keywords["modes"]
    return save_point_panels(panels, modes, os.path.join(folder, f"mixtures_{dataset}.png"))


def main(argv):
    del argv
    if FLAGS.pictures:
        from zoo.run_folder import check_writable_dir
        check_writable_dir("--pictures", FLAGS.pictures)
    measured = _recorded(FLAGS.out) if FLAGS.resume else {}
    drawn = _recorded_samples(FLAGS.out) if FLAGS.resume else {}
    kept = dict(measured)  # what the file holds: measured, and recorded trials past --trials
    for dataset in FLAGS.datasets:
        for model in FLAGS.models:
            pair, key, new_samples = (model, dataset), f"{model} {dataset}", []
            recorded = measured.get(pair, ())
            if FLAGS.pictures and key not in drawn:  # seed 0 is trained again, to be drawn
                recorded = [r for r in recorded if r.get("seed") != 0]

            beyond = [r for r in recorded if r.get("seed", -1) >= FLAGS.trials]

            def write(results, pair=pair, key=key, new_samples=new_samples, beyond=beyond):
                # Written after each trial: a long run stopped part-way keeps what it measured.
                # Recorded trials past --trials stay in the file, out of this run's table.
                measured[pair] = results
                kept[pair] = results + beyond
                emit(table(measured, FLAGS.trials), FLAGS.out,
                     {f"{m} {d}": figures for (m, d), figures in kept.items()})
                if new_samples:
                    drawn[key] = new_samples[0]
                    _write_samples(FLAGS.out, drawn)

            write(run_trials(model, dataset, FLAGS.trials, FLAGS.epochs, FLAGS.jit_compile,
                             new_samples, recorded=recorded, on_trial=write,
                             workers=FLAGS.workers))
        if FLAGS.pictures:
            print("wrote", picture(dataset, {m: drawn[f"{m} {dataset}"] for m in FLAGS.models},
                                   FLAGS.pictures))


def _recorded(out):
    """The trials an earlier run wrote beside `out` (none if it wrote nothing yet)."""
    path = os.path.splitext(out)[0] + ".json"
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return {tuple(key.rsplit(" ", 1)): figures for key, figures in json.load(f).items()}


def _samples_path(out):
    return os.path.splitext(out)[0] + "_samples.npz"


def _recorded_samples(out):
    """Seed 0's samples per "model mixture", as an earlier run wrote them beside `out`."""
    if not os.path.exists(_samples_path(out)):
        return {}
    with np.load(_samples_path(out)) as stored:
        return {key: stored[key] for key in stored.files}


def _write_samples(out, drawn):
    """Seed 0's samples beside `out` (with the trials' figures), so that a resumed run can draw
    its pictures without training seed 0 again."""
    if out:
        partial = _samples_path(out) + ".partial"
        with open(partial, "wb") as f:
            np.savez(f, **drawn)
        os.replace(partial, _samples_path(out))


def define_flags():
    """The command line's flags (defined only when run as a script, so tests can import)."""
    flags.DEFINE_list("models", ["gan"], "models whose <model>_ring8 and <model>_grid25 presets to run")
    flags.DEFINE_list("datasets", ["ring8", "grid25"], "mixtures to run")
    flags.DEFINE_integer("trials", 10, "trials (seeds 0..trials-1) per model and mixture", lower_bound=1)
    flags.DEFINE_integer("epochs", None, "override the presets' epochs (for a quick look)")
    flags.DEFINE_boolean("jit_compile", True, "compile the train step with XLA")
    flags.DEFINE_integer("workers", 1, "trials trained at once, each in a process of its own on "
                         "one thread (2 on 2 cores: more trials an hour than one on both)",
                         lower_bound=1)
    flags.DEFINE_string("pictures", None, "also draw each mixture's samples (seed 0 of each "
                        "model beside the real data) into this folder; with --resume, from the "
                        "samples written beside --out where they are")
    flags.DEFINE_string("out", None, "also write the table to this file, and beside it the "
                        "trials' figures (.json) and seed 0's samples (_samples.npz)")
    flags.DEFINE_boolean("resume", False, "keep the trials already written beside --out (same "
                         "seed, steps, batch and XLA setting) and run only the missing ones")
    flags.register_multi_flags_validator(
        ["resume", "out"], lambda given: not given["resume"] or given["out"],
        message="--resume reads the trials written beside --out: give --out too")


if __name__ == "__main__":
    define_flags()
    from benchmarks import run_benchmark

    run_benchmark(main)
