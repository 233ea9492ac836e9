"""Time to quality on MNIST: classifier FID against training minutes, the zoo's `dcgan_mnist`
recipe beside the TensorFlow DCGAN tutorial's.

    python -m benchmarks.time_to_quality --recipe=tutorial --log=runs/ttq/tutorial.jsonl \
        --checkpoint_dir=runs/ttq/tutorial_state     # run it again to go on after an interruption
    python -m benchmarks.time_to_quality --recipe=dcgan_mnist --log=runs/ttq/dcgan_mnist.jsonl
    python -m benchmarks.time_to_quality --report=runs/ttq/tutorial.jsonl,runs/ttq/dcgan_mnist.jsonl \
        --out=benchmarks/results/time_to_quality_mnist.md      # and the .png beside it

A recipe trains from scratch (`--seed`) and, after every epoch, generates 10,000 samples from
fixed noise and measures their classifier FID against the 10,000 test images (the zoo's MNIST
classifier, as in benchmarks.quality). The clock counts training only: each evaluation's time
is taken out. Each evaluation appends one JSON line to `--log` as it happens, so a long run can
be reported while it goes on. Besides wall-clock seconds the lines hold the process's CPU
seconds (all threads) and the load average: on a shared machine the CPU seconds are the
steadier measure of work.

- `tutorial`: https://www.tensorflow.org/tutorials/generative/dcgan: its networks (G: dense to
  7x7x256, transposed 5x5 convolutions to 128, 64, 1 with batch norm and LeakyReLU; D: two 5x5
  stride-2 convolutions of 64 and 128 with LeakyReLU and dropout 0.3, then one logit), batch 256,
  Adam(1e-4) for both, 50 epochs, its pipeline (the 60,000 images in memory, shuffled, batched)
  and its step (benchmarks.throughput.hand_written_step: both losses under two tapes).
  Its 50 epochs take hours on a small CPU machine, so with `--checkpoint_dir` the run saves its
  state after every epoch and the same command goes on from the last finished epoch, adding to
  the same log and clocks (the unfinished epoch's time is not counted; the random streams restart
  from a seed derived from the epoch, so a resumed run is not bit-identical to an unbroken one).
- any preset name: `zoo.train(preset=...)` as `train.py` runs it (checkpoints, sample grids,
  TensorBoard included in the clock), for the preset's epochs or `--epochs`.
"""

import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

FLAGS = flags.FLAGS

EVAL_SAMPLES = 10_000
EVAL_SEED = 1
TUTORIAL = dict(batch_size=256, learning_rate=1e-4, beta_1=0.9, epochs=50, latent_dim=100)
TUTORIAL_URL = "https://www.tensorflow.org/tutorials/generative/dcgan"


def tutorial_networks(latent_dim=100):
    """The tutorial's generator and discriminator (its architecture, in the zoo's words)."""
    import keras
    from keras import layers

    def up(filters, strides):
        return [layers.Conv2DTranspose(filters, 5, strides=strides, padding="same", use_bias=False),
                layers.BatchNormalization(), layers.LeakyReLU()]

    generator = keras.Sequential(
        [keras.Input((latent_dim,)), layers.Dense(7 * 7 * 256, use_bias=False),
         layers.BatchNormalization(), layers.LeakyReLU(), layers.Reshape((7, 7, 256)),
         *up(128, 1), *up(64, 2),
         layers.Conv2DTranspose(1, 5, strides=2, padding="same", use_bias=False, activation="tanh")],
        name="tutorial_generator")
    discriminator = keras.Sequential(
        [keras.Input((28, 28, 1)),
         layers.Conv2D(64, 5, strides=2, padding="same"), layers.LeakyReLU(), layers.Dropout(0.3),
         layers.Conv2D(128, 5, strides=2, padding="same"), layers.LeakyReLU(), layers.Dropout(0.3),
         layers.Flatten(), layers.Dense(1)], name="tutorial_discriminator")
    return generator, discriminator


class Progress:
    """The training clock (evaluations taken out) and the JSON-lines log of FID per epoch.
    `resumed` (the saved state's epoch and clocks) continues an interrupted run's log."""

    def __init__(self, log_path, recipe, measure_fid, settings, resumed=None):
        self.log_path, self.recipe, self.measure_fid = log_path, recipe, measure_fid
        os.makedirs(os.path.dirname(os.path.abspath(log_path)), exist_ok=True)
        now = time.strftime("%Y-%m-%d %H:%M:%S")
        if resumed:
            self._write(dict(recipe=recipe, resumed_after_epoch=resumed["epoch"], at=now,
                             epochs=settings.get("epochs")))
            self.train_wall, self.train_cpu = resumed["train_seconds"], resumed["cpu_seconds"]
        else:
            self._write(dict(recipe=recipe, settings=settings, started=now))
            self.train_wall = self.train_cpu = 0.0
        self.mark()

    def mark(self):
        """The clock runs from here (training begins or resumes)."""
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def stop(self):
        """The clock stops (an epoch ended); the clocks so far."""
        self.train_wall += time.perf_counter() - self.wall
        self.train_cpu += time.process_time() - self.cpu
        return dict(train_seconds=self.train_wall, cpu_seconds=self.train_cpu)

    def epoch_end(self, epoch, images_seen, generate, generate_raw=None):
        self.stop()
        self.evaluate(epoch, images_seen, generate, generate_raw)
        self.mark()

    def evaluate(self, epoch, images_seen, generate, generate_raw=None):
        """Measure and log the FID of `generate()` (and, for a model with generator EMA, of
        its raw generator's `generate_raw()`), with the clocks as they stand."""
        eval_start = time.perf_counter()
        fid = self.measure_fid(generate())
        raw = {} if generate_raw is None else dict(raw_fid=self.measure_fid(generate_raw()))
        self._write(dict(recipe=self.recipe, epoch=epoch, images=images_seen, fid=fid, **raw,
                         train_seconds=self.train_wall, cpu_seconds=self.train_cpu,
                         eval_seconds=time.perf_counter() - eval_start, load=os.getloadavg()[0]))
        raw_text = f" (raw generator {raw['raw_fid']:.3f})" if raw else ""
        print(f"{self.recipe} epoch {epoch}: FID {fid:.3f}{raw_text} after "
              f"{self.train_wall / 60:.1f} training minutes", flush=True)

    def _write(self, record):
        with open(self.log_path, "a") as f:
            f.write(json.dumps(record) + "\n")


def fid_on_test_images(dataset="mnist"):
    """samples -> classifier FID against the test split (real features computed once)."""
    from zoo.metrics.classifier import classify, load_classifier
    from zoo.metrics.distances import frechet_distance
    from zoo.metrics.quality import real_images

    classifier = load_classifier(dataset)
    real_features, _ = classify(classifier, real_images(dataset, "test"))
    return lambda samples: float(frechet_distance(real_features, classify(classifier, samples)[0]))


STATE_FILE = "state.npz"


def _saved_variables(networks, optimizers):
    """(name, variables) for what a state holds: each network's weights, each optimizer's variables."""
    return [*((name, network.weights) for name, network in networks.items()),
            *((name, optimizer.variables) for name, optimizer in optimizers.items())]


def save_state(folder, networks, optimizers, meta):
    """The networks' weights, the optimizers' variables and `meta` (JSON) in one file, written
    under a temporary name and renamed, so that a run killed while saving keeps the last state."""
    import numpy as np

    os.makedirs(folder, exist_ok=True)
    arrays = {"meta": np.array(json.dumps(meta))}
    for name, variables in _saved_variables(networks, optimizers):
        for i, variable in enumerate(variables):
            arrays[f"{name}/{i}"] = np.asarray(variable)
    partial = os.path.join(folder, "partial-" + STATE_FILE)
    with open(partial, "wb") as f:
        np.savez(f, **arrays)
    os.replace(partial, os.path.join(folder, STATE_FILE))


def load_state(folder, networks, optimizers):
    """Restore what save_state wrote into built networks and optimizers; its meta, or None when
    `folder` holds no state yet."""
    import numpy as np
    from zoo.errors import ZooError

    path = os.path.join(folder, STATE_FILE)
    if not os.path.exists(path):
        return None
    with np.load(path) as saved:
        for name, variables in _saved_variables(networks, optimizers):
            count = sum(key.startswith(name + "/") for key in saved.files)
            values = [saved[f"{name}/{i}"] for i in range(count)]
            if count != len(variables) or any(
                    tuple(v.shape) != a.shape for v, a in zip(variables, values)):
                raise ZooError(f"{path} holds another run's {name}: delete it or give another "
                               "--checkpoint_dir")
            for variable, value in zip(variables, values):
                variable.assign(value)
        return json.loads(str(saved["meta"]))


def last_logged_epoch(log_path):
    """The newest run's last evaluated epoch in `log_path`, 0 if none."""
    from zoo.errors import ZooError

    try:
        return read_log(log_path)[1][-1]["epoch"]
    except ZooError:  # no log or no evaluation yet
        return 0


def run_tutorial(log_path, epochs=None, seed=0, limit=None, checkpoint_dir=None):
    """The tutorial's recipe; `limit` keeps the first images only (tests). With
    `checkpoint_dir`, the state is saved after every epoch and a run finding one there goes on
    from it."""
    import keras
    import numpy as np
    import tensorflow as tf
    from benchmarks.throughput import hand_written_step
    from zoo.errors import ZooError
    from zoo.metrics.quality import real_images

    epochs = epochs or TUTORIAL["epochs"]
    batch_size, latent_dim = TUTORIAL["batch_size"], TUTORIAL["latent_dim"]
    settings = dict(TUTORIAL, epochs=epochs, seed=seed, limit=limit, source=TUTORIAL_URL)
    keras.utils.set_random_seed(seed)
    images = real_images("mnist", "train", limit=limit)
    examples = tf.data.Dataset.from_tensor_slices(images)
    generator, discriminator = tutorial_networks(latent_dim)
    step = hand_written_step(generator, discriminator, batch_size, latent_dim,
                             learning_rate=TUTORIAL["learning_rate"], beta_1=TUTORIAL["beta_1"])
    networks = dict(generator=generator, discriminator=discriminator)
    optimizers = dict(zip(["g_optimizer", "d_optimizer"], step.optimizers))
    for optimizer, network in zip(step.optimizers, networks.values()):
        optimizer.build(network.trainable_variables)  # its slots exist before a restore
    resumed = checkpoint_dir and load_state(checkpoint_dir, networks, optimizers)
    if resumed:
        kept = {k: v for k, v in resumed["settings"].items() if k != "epochs"}
        if kept != {k: v for k, v in settings.items() if k != "epochs"}:
            raise ZooError(f"{checkpoint_dir} holds a run with other settings "
                           f"({resumed['settings']}): delete it or give another --checkpoint_dir")
        # A fresh random stream per resumption: the same seed again would repeat the noise.
        keras.utils.set_random_seed(seed + 1000 * resumed["epoch"])
    done = resumed["epoch"] if resumed else 0
    eval_noise = np.random.default_rng(EVAL_SEED).standard_normal((EVAL_SAMPLES, latent_dim))
    eval_noise = eval_noise.astype("float32")

    def generate():
        return np.concatenate([generator(eval_noise[i:i + 1000], training=False).numpy()
                               for i in range(0, EVAL_SAMPLES, 1000)])

    progress = Progress(log_path, "tutorial", fid_on_test_images(), settings, resumed=resumed)
    if resumed and last_logged_epoch(log_path) < done:  # stopped between saving and measuring
        progress.evaluate(done, done * len(images), generate)
    progress.mark()
    for epoch in range(done + 1, epochs + 1):
        # Each epoch's order from its own seed, so that a resumed run does not repeat epoch 1's.
        for batch in examples.shuffle(len(images), seed=seed * 1000 + epoch).batch(batch_size):
            losses = step(batch)
        float(losses[0])  # the epoch's last step has run
        clocks = progress.stop()
        if checkpoint_dir:
            save_state(checkpoint_dir, networks, optimizers,
                       dict(epoch=epoch, settings=settings, **clocks))
        progress.evaluate(epoch, epoch * len(images), generate)
        progress.mark()


def raw_samples(gan, n, seed, batch_size=1000):
    """What `gan.generate(n, seed)` gives from the raw generator, not its average (EMA)."""
    import numpy as np

    z = gan.latent_from_seed(n, seed)
    return np.concatenate([gan.generator(z[i:i + batch_size], training=False).numpy()
                           for i in range(0, n, batch_size)])


def run_preset(log_path, preset, epochs=None, seed=0, overrides=None, name=None):
    """A zoo preset as train.py runs it (with `overrides` of its settings), timed and measured
    after every epoch; logged as `name` (default: the preset's)."""
    import tempfile

    import keras
    from zoo import get_preset, training

    progress_holder = {}
    batch_size = (overrides or {}).get("batch_size") or get_preset(preset).train.get("batch_size", 64)

    class EpochFid(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            progress_holder["progress"].mark()  # fit is called again after a rollback

        def on_epoch_end(self, epoch, logs=None):
            seen = (epoch + 1) * self.params["steps"] * batch_size
            gan = self.model
            raw = (None if gan.generator_average is None
                   else lambda: raw_samples(gan, EVAL_SAMPLES, EVAL_SEED))
            progress_holder["progress"].epoch_end(
                epoch + 1, seen, lambda: gan.generate(EVAL_SAMPLES, seed=EVAL_SEED), raw)

    settings = dict(preset=preset, epochs=epochs, seed=seed, **(overrides or {}))
    progress_holder["progress"] = Progress(log_path, name or preset, fid_on_test_images(), settings)
    with tempfile.TemporaryDirectory() as folder:  # the callback measures; the run need not
        training.train(preset=preset, seed=seed, epochs=epochs, verbose=0,
                       output_dir=os.path.join(folder, "run"), callbacks=[EpochFid()],
                       **{"eval_samples": 0, **(overrides or {})})


def parse_overrides(pairs):
    """["ema_decay=0.999", "d_lr=1e-4"] -> {"ema_decay": 0.999, "d_lr": 0.0001} (Python literals;
    anything else stays a string)."""
    import ast

    from zoo.errors import ZooError

    overrides = {}
    for pair in pairs or []:
        key, sep, text = pair.partition("=")
        if not sep or not key.isidentifier():
            raise ZooError(f"--set takes name=value pairs, got {pair!r}")
        try:
            overrides[key] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            overrides[key] = text
    return overrides


def read_log(path):
    """(settings record, [evaluation records]) of one recipe's log."""
    from zoo.errors import ZooError

    try:
        with open(path) as f:
            records = [json.loads(line) for line in f if line.strip()]
    except (OSError, ValueError) as error:
        raise ZooError(f"cannot read the time-to-quality log {path}: {error}") from None
    header = [r for r in records if "settings" in r]
    evaluations = [r for r in records if "fid" in r]
    if not header or not evaluations:
        raise ZooError(f"{path} holds no evaluations yet: run a recipe with --log={path} first")
    # A log written twice holds two runs: the newest header and what follows it count.
    last = max(i for i, r in enumerate(records) if "settings" in r)
    header = records[last]
    for resumption in (r for r in records[last:] if "resumed_after_epoch" in r):
        header["settings"]["epochs"] = resumption["epochs"]  # a resumed run may go further
    return header, [r for r in records[last:] if "fid" in r]


def minutes_to_reach(evaluations, target):
    """Training minutes of the first evaluation at or below `target` FID, or None."""
    for record in evaluations:
        if record["fid"] <= target:
            return record["train_seconds"] / 60, record["cpu_seconds"] / 60, record["epoch"]
    return None


def report(logs, baseline="tutorial"):
    """The markdown table of each recipe's curve, and the comparison with the baseline's end."""
    runs = {header["recipe"]: (header, evaluations) for header, evaluations in map(read_log, logs)}
    lines = ["| recipe | epochs run | final FID | best FID | training minutes | CPU minutes | "
             "mean load |", "|---|---|---|---|---|---|---|"]
    for name, (header, evaluations) in runs.items():
        last = evaluations[-1]
        load = sum(r["load"] for r in evaluations) / len(evaluations)
        planned = header["settings"].get("epochs")
        lines.append(f"| `{name}` | {last['epoch']}{f' of {planned}' if planned else ''} | "
                     f"{last['fid']:.2f} | {min(r['fid'] for r in evaluations):.2f} | "
                     f"{last['train_seconds'] / 60:.1f} | {last['cpu_seconds'] / 60:.1f} | {load:.1f} |")
    if baseline in runs:
        base_header, base = runs[baseline]
        target, base_last = base[-1]["fid"], base[-1]
        finished = base_last["epoch"] >= base_header["settings"]["epochs"]
        lines += ["", f"Target: the {baseline} recipe's FID after its epoch {base_last['epoch']} "
                  f"({target:.2f}, {base_last['train_seconds'] / 60:.1f} training minutes"
                  f"{'' if finished else ', a run still under way'}).", "",
                  "| recipe | reaches the target after (training minutes) | CPU minutes | epoch | "
                  "share of the baseline's time (wall / CPU) |", "|---|---|---|---|---|"]
        for name, (_, evaluations) in runs.items():
            if name == baseline:
                continue
            reached = minutes_to_reach(evaluations, target)
            if reached is None:
                lines.append(f"| `{name}` | not within its {evaluations[-1]['epoch']} epochs | | | |")
                continue
            wall, cpu, epoch = reached
            lines.append(f"| `{name}` | {wall:.1f} | {cpu:.1f} | {epoch} | "
                         f"{wall / (base_last['train_seconds'] / 60):.2f} / "
                         f"{cpu / (base_last['cpu_seconds'] / 60):.2f} |")
    return "\n".join(lines), runs


def plot(runs, path):
    """FID (log scale) against training minutes, one curve per recipe."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.5))
    for name, (_, evaluations) in runs.items():
        axes.plot([r["train_seconds"] / 60 for r in evaluations], [r["fid"] for r in evaluations],
                  marker="o", markersize=3, label=name)
    axes.set_yscale("log")
    axes.set_xlabel("training minutes (wall clock, evaluations excluded)")
    axes.set_ylabel("classifier FID on MNIST (lower is better)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main(argv):
    from benchmarks import emit
    from zoo.errors import ZooError

    if len(argv) > 1:
        raise ZooError(f"unexpected arguments {argv[1:]}: flags take the form --name=value")
    if FLAGS.report:
        table, runs = report(FLAGS.report)
        emit(table, FLAGS.out, {name: evaluations for name, (_, evaluations) in runs.items()})
        if FLAGS.out:
            plot(runs, os.path.splitext(FLAGS.out)[0] + ".png")
        return
    if not FLAGS.recipe or not FLAGS.log:
        raise ZooError("give --recipe and --log to run a recipe, or --report=LOG,LOG to report")
    if FLAGS.recipe == "tutorial":
        run_tutorial(FLAGS.log, FLAGS.epochs, FLAGS.seed, checkpoint_dir=FLAGS.checkpoint_dir)
    elif FLAGS.checkpoint_dir:
        raise ZooError("--checkpoint_dir is for --recipe=tutorial; a preset's run resumes "
                       "through train.py --output_dir=... --resume")
    else:
        from zoo import get_preset

        get_preset(FLAGS.recipe)  # an unknown name fails here, with the presets listed
        run_preset(FLAGS.log, FLAGS.recipe, FLAGS.epochs, FLAGS.seed,
                   overrides=parse_overrides(FLAGS.set), name=FLAGS.name)


if __name__ == "__main__":
    flags.DEFINE_string("recipe", None, "'tutorial' or a preset name")
    flags.DEFINE_string("log", None, "JSON-lines file the evaluations are appended to")
    flags.DEFINE_integer("epochs", None, "epochs (default: the recipe's)", lower_bound=1)
    flags.DEFINE_integer("seed", 0, "seed of the run")
    flags.DEFINE_list("set", None, "a preset recipe's settings changed, as name=value pairs "
                      "(e.g. ema_decay=0.999,d_lr=1e-4)")
    flags.DEFINE_string("name", None, "the recipe's name in the log (default: the preset's)")
    flags.DEFINE_string("checkpoint_dir", None, "tutorial: save its state here after every epoch "
                        "and go on from the state found here")
    flags.DEFINE_list("report", None, "logs to report instead of training")
    flags.DEFINE_string("out", None, "with --report: write the table here and the plot beside it")
    from benchmarks import run_benchmark

    run_benchmark(main)
