"""CycleGAN's training speed at 256, 128 and 64 pixels, in steps/s at batch 1 (the paper's).

    python -m benchmarks.translation_speed --sizes=256,128,64 --steps=5,20,20 --repeats=3 \
        --out=benchmarks/results/cyclegan_speed.md

Each size builds the model of its cyclegan_horse2zebra preset (9 residual blocks at 256, 6
below) with training's optimizers (Adam 2e-4) and runs `fit` on one random pair of images
held in memory, so the figure is the training step's own (the JPEG pipeline is not in it).
`--warmup` steps come first (they include tracing), then `--repeats` timed runs of `--steps`
steps; the table gives the median and the range of the repeats. The one-minute load average
of the machine at the start and end of each size is in the table too: on a machine shared
with other jobs the figures are lower bounds.
"""

import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from benchmarks import emit  # noqa: E402

FLAGS = flags.FLAGS
PRESETS = {256: "cyclegan_horse2zebra", 128: "cyclegan_horse2zebra_128",
           64: "cyclegan_horse2zebra_64"}


def time_size(side, steps, repeats, warmup, seed=0):
    """Figures of one image side: steps/s of each timed repeat, the model's size, the load."""
    import keras
    import numpy as np
    import tensorflow as tf
    import zoo

    preset = zoo.get_preset(PRESETS[side])
    keras.utils.set_random_seed(seed)
    gan = zoo.create(preset.model, **preset.model_kwargs)
    gan.compile()
    rng = np.random.default_rng(seed)
    pair = tuple(rng.uniform(-1, 1, (1, side, side, 3)).astype("float32") for _ in range(2))
    data = tf.data.Dataset.from_tensors(pair).cache().repeat()
    load_before = os.getloadavg()[0]
    gan.fit(data, steps_per_epoch=warmup, epochs=1, verbose=0)  # tracing, first allocations
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        gan.fit(data, steps_per_epoch=steps, epochs=1, verbose=0)
        rates.append(steps / (time.perf_counter() - start))
    parameters = gan.generator.count_params() + gan.discriminator.count_params()
    return dict(side=side, preset=preset.name, residual_blocks=gan.residual_blocks,
                parameters=parameters, steps=steps, repeats=repeats, rates=rates,
                load_before=load_before, load_after=os.getloadavg()[0])


def table(results):
    rows = ["| image size | preset | residual blocks | parameters (G+D) | steps x repeats | "
            "steps/s (median) | min | max | s/step (median) | load avg before / after |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        median = statistics.median(r["rates"])
        rows.append(f"| {r['side']} | {r['preset']} | {r['residual_blocks']} | "
                    f"{r['parameters'] / 1e6:.1f} M | {r['steps']} x {r['repeats']} | "
                    f"{median:.3f} | {min(r['rates']):.3f} | {max(r['rates']):.3f} | "
                    f"{1 / median:.2f} | {r['load_before']:.1f} / {r['load_after']:.1f} |")
    rows += ["", f"{os.cpu_count()} CPU cores, batch 1, random images in memory; TensorFlow's "
             "default threading, no XLA."]
    return "\n".join(rows)


def main(argv):
    del argv
    from zoo.errors import ZooError

    try:
        sizes = [int(size) for size in FLAGS.sizes]
        steps = [int(count) for count in FLAGS.steps]
    except ValueError:
        raise ZooError(f"--sizes and --steps take whole numbers separated by commas (e.g. "
                       f"--sizes=256,128,64 --steps=5,20,20), got --sizes={','.join(FLAGS.sizes)} "
                       f"--steps={','.join(FLAGS.steps)}") from None
    if len(steps) == 1:
        steps *= len(sizes)
    if len(steps) != len(sizes) or min(steps) < 1:
        raise ZooError(f"--steps takes one positive count, or one per size ({len(sizes)}), got "
                       f"{','.join(FLAGS.steps)}")
    unknown = sorted(set(sizes) - set(PRESETS))
    if unknown:
        raise ZooError(f"no cyclegan preset for image sizes {unknown}: choose from {sorted(PRESETS)}")
    results = []
    for side, count in zip(sizes, steps):
        results.append(time_size(side, count, FLAGS.repeats, FLAGS.warmup, FLAGS.seed))
        rates = ", ".join(f"{rate:.3f}" for rate in results[-1]["rates"])
        print(f"{side}: steps/s {rates}", flush=True)
    emit(table(results), FLAGS.out, results)


if __name__ == "__main__":
    flags.DEFINE_list("sizes", ["256", "128", "64"], "image sides to time")
    flags.DEFINE_list("steps", ["20"], "training steps per timed repeat: one count, or one per "
                      "size (a step at 256 takes ~16x one at 64)")
    flags.DEFINE_integer("repeats", 3, "timed repeats (the median and the range are reported)",
                         lower_bound=1)
    flags.DEFINE_integer("warmup", 3, "untimed steps first (tracing)", lower_bound=1)
    flags.DEFINE_integer("seed", 0, "seed of the weights and the images")
    flags.DEFINE_string("out", None, "also write the table to this file (and the figures as .json)")
    from benchmarks import run_benchmark

    run_benchmark(main)
