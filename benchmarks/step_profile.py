"""Where a training step's time goes: arithmetic or overhead.

    python -m benchmarks.step_profile --preset=gan_grid25 --out=benchmarks/results/mixtures_step_profile.md

Times the preset's own `fit` loop (its batch size and steps_per_execution) with and without
XLA, counts the floating-point operations of the matrix products in the step's graph (nearly
all of an MLP's), and times those matrix products alone,
at the step's shapes, in one XLA-compiled function. The products' share of the step time is
what stacking trials or any other rearrangement could not remove.
"""

import math
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from benchmarks import emit  # noqa: E402

FLAGS = flags.FLAGS
MATMUL_OPS = ("MatMul", "BatchMatMulV2", "BatchMatMulV3")


def _built(preset, jit_compile):
    from zoo import training

    plan = training.plan_run(None, None, preset, 0, {})
    model, batches = training._build(plan, training.make_strategy("none"),
                                     training.DataSource(None, None, None, 0), "float32", jit_compile)
    return model, batches, plan.settings


def steps_per_second(preset, jit_compile, steps):
    """The preset's fit loop, timed after one warm-up epoch (which traces and compiles)."""
    model, batches, settings = _built(preset, jit_compile)
    steps -= steps % settings.steps_per_execution
    model.fit(batches, epochs=1, steps_per_epoch=settings.steps_per_execution * 2, verbose=0)
    start = time.perf_counter()
    model.fit(batches, epochs=1, steps_per_epoch=steps, verbose=0)
    return steps / (time.perf_counter() - start)


def step_matmuls(preset):
    """[(a's shape, b's shape, transpose_a, transpose_b)] of every matrix product in one step."""
    import tensorflow as tf

    model, batches, _ = _built(preset, jit_compile=False)
    graph = tf.function(model.train_step).get_concrete_function(next(iter(batches))).graph
    products = []
    for op in graph.get_operations():
        if op.type in MATMUL_OPS:
            a, b = (tuple(t.shape.as_list()) for t in op.inputs[:2])
            flags_ = [op.get_attr(k) for k in (("transpose_a", "transpose_b") if op.type == "MatMul"
                                              else ("adj_x", "adj_y"))]
            products.append((a, b, *flags_))
    return products


def matmul_flops(products):
    """Multiply-adds (2 FLOPs each) of the products; a batched product counts each matrix."""
    total = 0
    for a, b, transpose_a, transpose_b in products:
        rows, inner = (a[-1], a[-2]) if transpose_a else (a[-2], a[-1])
        cols = b[-2] if transpose_b else b[-1]
        total += 2 * math.prod(a[:-2]) * rows * inner * cols
    return total


def matmuls_per_second(products, repeats):
    """Steps' worth of the step's matrix products per second, alone, XLA-compiled."""
    import tensorflow as tf

    operands = [(tf.random.normal(a), tf.random.normal(b), ta, tb) for a, b, ta, tb in products]

    @tf.function(jit_compile=True)
    def run():
        return tf.add_n([tf.reduce_sum(tf.linalg.matmul(a, b, transpose_a=ta, transpose_b=tb))
                         for a, b, ta, tb in operands])

    run().numpy()
    start = time.perf_counter()
    for _ in range(repeats):
        run().numpy()
    return repeats / (time.perf_counter() - start)


def main(argv):
    del argv
    import tensorflow as tf

    products = step_matmuls(FLAGS.preset)
    flops = matmul_flops(products)
    plain = steps_per_second(FLAGS.preset, False, FLAGS.steps)
    xla = steps_per_second(FLAGS.preset, True, FLAGS.steps)
    alone = matmuls_per_second(products, FLAGS.steps)
    threads = tf.config.threading.get_intra_op_parallelism_threads() or os.cpu_count()
    rows = ["| what | steps/s | ms per step | GFLOP/s of the matrix products |", "|---|---|---|---|"]
    for name, rate in (("fit, TensorFlow's graph", plain), ("fit, XLA", xla),
                       ("the step's matrix products alone (XLA)", alone)):
        rows.append(f"| {name} | {rate:.1f} | {1000 / rate:.2f} | {flops * rate / 1e9:.1f} |")
    rows.append("")
    rows.append(f"{FLAGS.preset}: {len(products)} matrix products, {flops / 1e6:.1f} MFLOP per "
                f"step; {threads} intra-op threads. The products alone take "
                f"{100 * xla / alone:.0f}% of an XLA step, {100 * plain / alone:.0f}% of a plain one"
                f"{' (over 100%: XLA runs fewer products than the graph holds)' if xla > alone else ''}.")
    emit("\n".join(rows), FLAGS.out, dict(preset=FLAGS.preset, flops_per_step=flops,
                                          matmuls=len(products), plain_steps_per_second=plain,
                                          xla_steps_per_second=xla, matmuls_alone_per_second=alone,
                                          intra_op_threads=threads))


def define_flags():
    flags.DEFINE_string("preset", "gan_grid25", "the preset whose step to profile")
    flags.DEFINE_integer("steps", 2000, "steps timed per configuration", lower_bound=1)
    flags.DEFINE_string("out", None, "also write the table to this file")


if __name__ == "__main__":
    define_flags()
    from benchmarks import run_benchmark

    run_benchmark(main)
