"""Latency and throughput of the exported generators, against the Keras generator itself.

    python -m benchmarks.serving --presets=dcgan_mnist,cgan_mnist --batches=1,64 \
        --out=benchmarks/results/serving.md

For each preset, its SavedModel is written by zoo.export to a temporary folder and loaded with
`tf.saved_model.load`, as TF Serving loads it; then each way of calling the generator is timed
on the same inputs, one call per request of `--batches` images:
- `export, seeds`: the `seeds` signature (the server computes the noise from the seeds);
- `export, z`: the `serving_default` signature, the noise sent with the request;
- `keras generator`: `gan.generator(z, training=False)` called eagerly, in the process;
- `keras, tf.function`: the same call compiled once (what `gan.generate` runs).
`--warmup` calls first (tracing, allocation), then `--requests` timed calls; the table gives the
p50 and p99 latency in milliseconds and images/s (batch / mean latency). Without a server in the
loop, the figures are the model's share of a request; TF Serving adds its RPC and (de)serialising.
"""

import os
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from benchmarks import emit  # noqa: E402

FLAGS = flags.FLAGS


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def time_calls(call, requests, warmup):
    """Seconds of each of `requests` calls, after `warmup` untimed ones."""
    for _ in range(warmup):
        call()
    seconds = []
    for _ in range(requests):
        start = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - start)
    return seconds


def callers(gan, loaded, batch, seed=0):
    """name -> a function serving one request of `batch` images, each ending on numpy."""
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    z = tf.constant(rng.standard_normal((batch, gan.latent_dim)).astype("float32"))
    seeds = tf.constant(np.arange(batch), tf.int64)
    conditional = getattr(gan, "num_classes", None) is not None
    label = tf.constant(np.arange(batch) % gan.num_classes, tf.int64) if conditional else None
    extra = {"label": label} if conditional else {}
    keras_inputs = [z, tf.cast(label, tf.int32)] if conditional else z
    by_seed, by_z = loaded.signatures["seeds"], loaded.signatures["serving_default"]
    compiled = tf.function(lambda inputs: gan.generator(inputs, training=False))
    return {
        "export, seeds": lambda: next(iter(by_seed(seeds=seeds, **extra).values())).numpy(),
        "export, z": lambda: next(iter(by_z(z=z, **extra).values())).numpy(),
        "keras generator": lambda: gan.generator(keras_inputs, training=False).numpy(),
        "keras, tf.function": lambda: compiled(keras_inputs).numpy(),
    }


def measure(preset, batches, requests, warmup):
    import tensorflow as tf
    import zoo

    gan = zoo.load(preset)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        loaded = tf.saved_model.load(zoo.export(gan, folder, name=preset))
        for batch in batches:
            for way, call in callers(gan, loaded, batch).items():
                seconds = time_calls(call, requests, warmup)
                rows.append(dict(preset=preset, batch=batch, way=way, requests=requests,
                                 p50_ms=1000 * statistics.median(seconds),
                                 p99_ms=1000 * percentile(seconds, 0.99),
                                 images_per_s=batch / statistics.mean(seconds),
                                 load=os.getloadavg()[0]))
    return rows


def table(rows):
    lines = ["| preset | batch | called as | requests | p50 (ms) | p99 (ms) | images/s | load avg |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| `{r['preset']}` | {r['batch']} | {r['way']} | {r['requests']} | "
                     f"{r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['images_per_s']:,.0f} | {r['load']:.1f} |")
    lines += ["", "In-process calls, no server: TF Serving adds its RPC and (de)serialising. Load avg: "
              "the machine's one-minute load average after the row (2 cores; above 2, another job "
              "was sharing them, and the figures are lower bounds)."]
    return "\n".join(lines)


def main(argv):
    from zoo.errors import ZooError

    if len(argv) > 1:
        raise ZooError(f"unexpected arguments {argv[1:]}: flags take the form --name=value")
    rows = []
    for preset in FLAGS.presets:
        rows += measure(preset, [int(b) for b in FLAGS.batches], FLAGS.requests, FLAGS.warmup)
    emit(table(rows), FLAGS.out, rows)


if __name__ == "__main__":
    flags.DEFINE_list("presets", ["dcgan_mnist", "cgan_mnist"], "shipped presets to serve")
    from zoo.serving import MAX_REQUEST_ROWS

    flags.DEFINE_list("batches", ["1", "64"], "images per request")
    flags.register_validator(
        "batches", lambda sizes: all(s.isdigit() and 0 < int(s) <= MAX_REQUEST_ROWS for s in sizes),
        message=f"--batches takes request sizes from 1 to {MAX_REQUEST_ROWS}, e.g. --batches=1,64")
    flags.DEFINE_integer("requests", 200, "timed requests per batch size and way", lower_bound=1)
    flags.DEFINE_integer("warmup", 10, "untimed requests first", lower_bound=0)
    flags.DEFINE_string("out", None, "also write the table here (and the figures as .json)")
    from benchmarks import run_benchmark

    run_benchmark(main)
