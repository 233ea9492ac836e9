"""How rbm_mnist's samples spread over the digits under different Gibbs samplers.

    python -m benchmarks.rbm_mixing --out=benchmarks/results/rbm_mixing_mnist.md

Which digits rbm_mnist's samples reach depends on the Gibbs sampler. Whether a missing digit is the
sampler (chains that stay in the basin they fall into first) or the model (little mass on
those digits) is what this measures: the same weights, 5,000 chains per sampler, each chain's
last p(v | h) read by the zoo's MNIST classifier.

Samplers: chains from uniform random images (1,000 to 5,000 Gibbs steps; the shipped sampler
takes 3,000), chains from the training pixels' base rates, and annealed chains that start from the
base-rate distribution and move along Salakhutdinov & Murray's (2008) path to the model
(inverse temperature 0 to 1 over T steps, then 200 steps at 1), which lets chains cross
between basins while the distribution is still flat.
"""

import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from benchmarks import emit  # noqa: E402

FLAGS = flags.FLAGS
CHAINS = 5000
SEED = 7
SETTLE = 200  # Gibbs steps at the model itself after an annealed start


def samplers():
    """name -> (start: "uniform" or "base", inverse temperatures per Gibbs step)."""
    import numpy as np
    return {
        "uniform start, 1,000 steps": ("uniform", np.ones(1000)),
        "uniform start, 2,000 steps": ("uniform", np.ones(2000)),
        "uniform start, 3,000 steps (shipped)": ("uniform", np.ones(3000)),
        "uniform start, 5,000 steps": ("uniform", np.ones(5000)),
        "base-rate start, 1,000 steps": ("base", np.ones(1000)),
        "annealed over 1,000 steps, then 200": ("base", np.r_[np.linspace(0, 1, 1000), np.ones(SETTLE)]),
        "annealed over 3,000 steps, then 200": ("base", np.r_[np.linspace(0, 1, 3000), np.ones(SETTLE)]),
    }


def base_rates(manual_dir=None):
    """Each pixel's share of on values among 20,000 binarised training images."""
    import numpy as np
    from zoo.metrics.quality import real_images
    images = real_images("mnist", "train", limit=20000, manual_dir=manual_dir)
    return np.clip((images.reshape(len(images), -1) > 0).mean(0), 0.01, 0.99)


def chain_runner(rbm, base_logits):
    """A function (binary starts, inverse temperatures per step) -> p(v | h) after those Gibbs
    steps (RBM.gibbs_step), traced once for every sampler's length."""
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([None, rbm.rbm.visible_units], tf.float32),
                                  tf.TensorSpec([None], tf.float32)])
    def chains(visible, betas):
        def step(i, visible, _):
            seeds = iter((2 * i, 2 * i + 1))  # one stream for h, one for v', per step

            def draw(shape):
                return tf.random.stateless_uniform(shape, [SEED, next(seeds)])
            visible, probabilities, _ = rbm.gibbs_step(visible, draw, betas[i], base_logits)
            return i + 1, visible, probabilities
        _, _, probabilities = tf.while_loop(lambda i, *_: i < tf.shape(betas)[0], step,
                                            (0, visible, tf.zeros_like(visible)))
        return probabilities

    return lambda start, betas: chains(tf.constant(start), tf.constant(betas, tf.float32)).numpy()


def measure(manual_dir=None):
    import numpy as np
    import zoo
    from zoo.metrics.classifier import classify, load_classifier

    rbm, classifier = zoo.load("rbm_mnist"), load_classifier("mnist")
    rates = base_rates(manual_dir)
    base_logits = np.log(rates / (1 - rates)).astype(np.float32)
    rng = np.random.default_rng(0)
    starts = {"uniform": (rng.uniform(size=(CHAINS, rates.size)) < 0.5).astype(np.float32),
              "base": (rng.uniform(size=(CHAINS, rates.size)) < rates).astype(np.float32)}
    run_chains = chain_runner(rbm, base_logits)
    rows = {}
    for name, (start, betas) in samplers().items():
        began = time.monotonic()
        probabilities = run_chains(starts[start], betas)
        images = probabilities.reshape((-1, 28, 28, 1)) * 2.0 - 1.0
        read = classify(classifier, images)[1]
        rows[name] = {"shares": np.bincount(read.argmax(1), minlength=10).tolist(),
                      "confident": float((read.max(1) >= 0.9).mean()),
                      "seconds": round(time.monotonic() - began, 1)}
    return rows


def table(rows):
    lines = ["| sampler | " + " | ".join(str(d) for d in range(10)) + " | fewest | confident (p >= 0.9) | seconds |",
             "|---" * 14 + "|"]
    for name, row in rows.items():
        shares = [count / CHAINS for count in row["shares"]]
        lines.append(f"| {name} | " + " | ".join(f"{s:.3f}" for s in shares)
                     + f" | {min(shares):.3f} | {row['confident']:.3f} | {row['seconds']:.0f} |")
    return "\n".join(lines)


def main(argv):
    del argv
    rows = measure(FLAGS.manual_dir)
    emit(table(rows), FLAGS.out, rows)


if __name__ == "__main__":
    flags.DEFINE_string("out", None, "write the table here (and its figures beside it as .json)")
    flags.DEFINE_string("manual_dir", None, "a folder with the original MNIST files (offline)")
    from benchmarks import run_benchmark

    run_benchmark(main)
