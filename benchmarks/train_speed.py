"""Training throughput of the zoo's `fit` on a preset's networks and batch, in images/s.

    python -m benchmarks.train_speed --preset=dcgan_mnist --steps=50 --repeats=3

Data are synthetic tensors of the preset's shape, cached in memory, so the figure is the
training step's own speed (the input pipeline is measured by the data tests). The first
call (tracing) is excluded. Prints a markdown table; --out writes it to a file too.
"""

import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from benchmarks import emit  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_string("preset", "dcgan_mnist", "preset whose networks and batch size to time")
flags.DEFINE_integer("steps", 50, "training steps per timed repeat", lower_bound=1)
flags.DEFINE_integer("repeats", 3, "timed repeats (median and spread are reported)", lower_bound=1)
flags.DEFINE_string("out", None, "also write the table to this file")


def main(argv):
    del argv
    import numpy as np
    import tensorflow as tf
    import zoo

    preset = zoo.get_preset(FLAGS.preset)
    batch = preset.train.get("batch_size", 64)
    gan = zoo.create(preset.model, **preset.model_kwargs)
    gan.compile()
    shape = (batch * gan.d_steps,) + tuple(gan.sample_shape)
    data = tf.data.Dataset.from_tensors(
        np.random.default_rng(0).uniform(-1, 1, shape).astype("float32")).cache().repeat()
    gan.fit(data, steps_per_epoch=2, epochs=1, verbose=0)  # trace and warm up
    rates = []
    for _ in range(FLAGS.repeats):
        start = time.perf_counter()
        gan.fit(data, steps_per_epoch=FLAGS.steps, epochs=1, verbose=0)
        rates.append(FLAGS.steps * batch * gan.d_steps / (time.perf_counter() - start))
    table = "\n".join([
        "| preset | batch | steps x repeats | images/s (median) | min | max |",
        "|---|---|---|---|---|---|",
        f"| {FLAGS.preset} | {batch} | {FLAGS.steps} x {FLAGS.repeats} | "
        f"{statistics.median(rates):.0f} | {min(rates):.0f} | {max(rates):.0f} |",
    ])
    emit(table, FLAGS.out)


if __name__ == "__main__":
    from zoo.cli import run_main

    run_main(main)
