"""Training throughput: the zoo's fit() against a hand-written loop on the same networks, and the
step's arithmetic rate against the machine's float32 matmul rate.

    python -m benchmarks.throughput --presets=dcgan_mnist --steps=50 --repeats=5 \
        --out=benchmarks/results/throughput.md

For each preset (its model, shapes and batch), on one batch of random data held in memory (so
the figure is the step's own; the input pipeline is measured apart):
- `zoo fit`: one `gan.fit` call of `--repeats` + 1 epochs of `--steps` steps each
  (`--steps_per_execution` steps per call into the graph), each epoch timed by a callback and the
  first (tracing) left out. One call, not one per repetition: a fit that stops part-way through
  a dataset (steps_per_epoch on a repeated one) ends by deleting its iterator, and with an
  autotuned stage in the pipeline that waits for tf.data's autotuning thread to wake, which
  measured up to 4 s here, a cost paid once per fit call rather than per step;
- `hand-written loop`: the same generator and discriminator trained by the TensorFlow DCGAN
  tutorial's pattern, one `tf.function` step computing both non-saturating losses under two
  tapes (simultaneous updates, D run once on the fakes), called from Python each step;
- `hand-written alternating loop`: the same networks trained by a `tf.function` step of the
  zoo's algorithm (D's update, then G's loss under the updated D, one G forward pass for both),
  so that the ratio to it shows what `fit` and the zoo's step cost beyond the arithmetic, apart
  from the extra D pass the alternating algorithm makes;
- images/s of each (median of `--repeats` timed runs, after a warm-up run), their ratios in the
  same process, the step's GFLOP and GFLOP/s, and the machine's float32 matmul GFLOP/s (a
  2048x2048 product, median of 20) as the ceiling.

The GFLOP are counted from the networks: 2 per multiply-add of their dense and convolution
layers (normalisation and activations are left out), times the passes a step makes. Counting
a backward pass as two forward ones (gradients of the activations and of the weights) and one
that stops at the inputs as one, the zoo's alternating step costs 3 G + 8 D forward passes per
example: G once (its fakes serve both updates) and its backward pass (2); D on the real and the
fake batch and back (2 + 4), then, for G's loss under the updated D, on the fakes again and back
to its input (1 + 1). The tutorial's simultaneous step shares D's forward pass on the fakes
between the two losses: 3 G + 7 D, as does the zoo's with `--updates=simultaneous`. With
`--ema_decay` the zoo's model also updates its generator's average after each step (the loops
do not: the ratio is then the average's cost too). A critic
trained alone on d_steps - 1 more minibatches first (WGAN) adds 1 G + 6 D for each. WGAN-GP's
penalty (a double backward pass) is not counted: its rows have no GFLOP. (TF's profiler was tried
and dropped: it counts the traced graph before grappler removes the gradients nobody uses.)

The models with a twin (TWINNED_MODELS) are those whose step is BaseGAN's with no setting but
the loss, d_steps, clipping and the gradient penalty: gan, dcgan, lsgan, wgan and wgan_gp. Both
loops use Adam (2e-4, beta_1 0.5) for both networks, as the zoo's default compile does. Images/s
count the examples a step reads: d_steps minibatches of the preset's batch.
"""

import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from benchmarks import emit  # noqa: E402

FLAGS = flags.FLAGS


def matmul_gflops(side=2048, repeats=20):
    """The machine's float32 matmul rate: median GFLOP/s of a side x side product."""
    import tensorflow as tf

    a = tf.random.normal((side, side))
    b = tf.random.normal((side, side))
    product = tf.function(lambda: tf.reduce_sum(tf.matmul(a, b)))
    product()
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        product().numpy()
        rates.append(2 * side ** 3 / (time.perf_counter() - start) / 1e9)
    return statistics.median(rates)


def step_passes(simultaneous, d_steps=1):
    """Forward-pass equivalents per example of a minibatch, over one training step of `d_steps`
    minibatches (see the module docstring): the last minibatch's 3 G + 8 D (alternating) or
    3 G + 7 D (simultaneous: D's pass over the fakes shared, as in the tutorial's step), and
    1 G + 6 D for each critic-only update before it."""
    return dict(generator=3 + (d_steps - 1), discriminator=(7 if simultaneous else 8) + 6 * (d_steps - 1))


def multiply_adds(model):
    """Multiply-adds of one example's forward pass through the dense and convolution layers."""
    import numpy as np

    total = 0
    for layer in model._flatten_layers(include_self=False, recursive=True):
        kind = type(layer).__name__
        if kind in ("Dense", "Conv2D", "Conv2DTranspose"):
            kernel = int(np.prod(layer.kernel.shape))
            # A convolution applies its kernel at each output position; a transposed one at each
            # input position. (A dense layer inside another layer, maxout's, has no graph node to
            # ask for shapes, and needs none.)
            if kind == "Dense":
                positions = 1
            elif kind == "Conv2D":
                positions = np.prod(layer.output.shape[1:-1])
            else:
                positions = np.prod(layer.input.shape[1:-1])
            total += int(positions) * kernel
    return total


def step_gflop(generator, discriminator, batch_size, passes):
    """GFLOP of one training step: 2 per multiply-add, times the forward-pass equivalents."""
    return 2 * batch_size * (passes["generator"] * multiply_adds(generator)
                             + passes["discriminator"] * multiply_adds(discriminator)) / 1e9


def hand_written_step(generator, discriminator, batch_size, latent_dim, learning_rate=2e-4,
                      beta_1=0.5, alternating=False, loss="non_saturating", d_steps=1,
                      clip_value=None, gradient_penalty=0.0):
    """The TensorFlow DCGAN tutorial's step on these networks: a tf.function of one batch,
    with its two optimizers as `step.optimizers` (generator's, discriminator's) for checkpoints.
    `alternating`: D's update first, then G's loss under the updated D (the zoo's algorithm).
    (The tutorial's Adam is keras' default, beta_1 0.9; the DCGAN paper's, 0.5, is the default
    here because the throughput comparison trains the zoo's networks with their own settings.)

    The critics of WGAN and WGAN-GP, written the same way: a batch of `d_steps` minibatches of
    `batch_size`, D trained alone (fresh noise) on each but the last, whose step is the one above;
    `loss` one of zoo.losses' adversarial losses (the tutorial's cross-entropy objects for
    non_saturating), D's weights clipped into [-clip_value, clip_value] after each of its updates,
    WGAN-GP's penalty added to D's loss with weight `gradient_penalty`."""
    import keras
    import tensorflow as tf
    from zoo import losses

    g_optimizer = keras.optimizers.Adam(learning_rate, beta_1=beta_1)
    d_optimizer = keras.optimizers.Adam(learning_rate, beta_1=beta_1)
    if loss == "non_saturating":
        cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True)

        def generator_loss(fake_output):
            return cross_entropy(tf.ones_like(fake_output), fake_output)

        def discriminator_loss(real_output, fake_output):
            return (cross_entropy(tf.ones_like(real_output), real_output)
                    + cross_entropy(tf.zeros_like(fake_output), fake_output))
    else:
        adversarial = losses.get_adversarial_loss(loss)

        def generator_loss(fake_output):
            return tf.reduce_mean(adversarial.generator(fake_output))

        def discriminator_loss(real_output, fake_output):
            return tf.reduce_mean(adversarial.discriminator(real_output, fake_output))

    def noise():
        return tf.random.normal([batch_size, latent_dim])

    def judge(images, generated):
        """(D's output on the fakes, D's loss): D run once on each batch."""
        real_output = discriminator(images, training=True)
        fake_output = discriminator(generated, training=True)
        d_loss = discriminator_loss(real_output, fake_output)
        if gradient_penalty:
            d_loss += gradient_penalty * tf.reduce_mean(losses.gradient_penalty(
                lambda x: discriminator(x, training=True), images, generated))
        return fake_output, d_loss

    def apply(optimizer, tape, loss, network):
        variables = network.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        if network is discriminator and clip_value is not None:
            for variable in variables:
                variable.assign(tf.clip_by_value(variable, -clip_value, clip_value))

    def critic_updates(images):
        """D alone on every minibatch but the last, which is returned."""
        minibatches = tf.split(images, d_steps) if d_steps > 1 else [images]
        for minibatch in minibatches[:-1]:
            generated = generator(noise(), training=True)
            with tf.GradientTape() as d_tape:
                d_loss = judge(minibatch, generated)[1]
            apply(d_optimizer, d_tape, d_loss, discriminator)
        return minibatches[-1]

    @tf.function
    def alternating_step(images):
        images = critic_updates(images)
        with tf.GradientTape() as g_tape:
            generated = generator(noise(), training=True)
        with tf.GradientTape() as d_tape:
            d_loss = judge(images, tf.stop_gradient(generated))[1]
        apply(d_optimizer, d_tape, d_loss, discriminator)
        with g_tape:
            g_loss = generator_loss(discriminator(generated, training=True))
        apply(g_optimizer, g_tape, g_loss, generator)
        return g_loss, d_loss

    @tf.function
    def step(images):
        images = critic_updates(images)
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake_output, d_loss = judge(images, generator(noise(), training=True))
            g_loss = generator_loss(fake_output)
        apply(g_optimizer, g_tape, g_loss, generator)
        apply(d_optimizer, d_tape, d_loss, discriminator)
        return g_loss, d_loss

    chosen = alternating_step if alternating else step
    chosen.optimizers = (g_optimizer, d_optimizer)
    return chosen


def pipeline_images_per_second(preset, batches=200):
    """The input pipeline alone, as training builds it (the preset's dataset and batch, shuffled,
    repeated): images/s over `batches` batches, after one full pass (decoding and the in-memory
    cache are the first epoch's work)."""
    from zoo import get_preset
    from zoo.registry import get_dataset

    preset = get_preset(preset)
    batch_size = preset.train.get("batch_size", 64)
    loader = get_dataset(preset.dataset).loader
    epoch = int(loader(split="train", batch_size=batch_size, shuffle=False).cardinality())
    iterator = iter(loader(split="train", batch_size=batch_size, shuffle=True, seed=0, repeat=True))
    for _ in range(max(epoch, 0)):  # the first pass decodes and fills the cache
        next(iterator)
    start = time.perf_counter()
    for _ in range(batches):
        next(iterator)
    return batches * batch_size / (time.perf_counter() - start)


def fit_images_per_second(model, data, steps, batch_size, repeats):
    """images/s of each epoch of one fit call, after a first epoch left out (tracing)."""
    import keras

    seconds = []

    class EpochClock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            seconds.append(time.perf_counter() - self.start)

    model.fit(data, steps_per_epoch=steps, epochs=repeats + 1, verbose=0, callbacks=[EpochClock()])
    return [steps * batch_size / s for s in seconds[1:]]


def images_per_second(run, steps, batch_size, repeats):
    run(steps)  # warm-up: tracing, allocation
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        run(steps)
        rates.append(steps * batch_size / (time.perf_counter() - start))
    return rates


# Models whose step is BaseGAN's with no setting but the loss, d_steps, clipping and the
# gradient penalty, which the hand-written loops reproduce: G takes z alone, D returns one score.
TWINNED_MODELS = ("gan", "dcgan", "lsgan", "wgan", "wgan_gp")


def measure(preset_name, steps, repeats, steps_per_execution=1, seed=0, jit_compile=False,
            updates="alternating", ema_decay=0.0, with_pipeline=True):
    import keras
    import numpy as np
    import tensorflow as tf
    import zoo
    from zoo.errors import ZooError

    preset = zoo.get_preset(preset_name)
    batch_size = preset.train.get("batch_size", 64)
    keras.utils.set_random_seed(seed)
    gan = zoo.create(preset.model, **{**preset.model_kwargs, "updates": updates,
                                      "ema_decay": ema_decay})
    if preset.model not in TWINNED_MODELS or gan.pack != 1 or gan.r1_gamma or gan.unrolled_steps:
        raise ZooError(f"{preset_name}: only {', '.join(TWINNED_MODELS)} without packing, R1 or "
                       "unrolling have a hand-written twin here")
    gan.compile(steps_per_execution=steps_per_execution, jit_compile=jit_compile)
    examples_per_step = batch_size * gan.d_steps  # a fit batch holds one minibatch per D update
    images = np.random.default_rng(seed).uniform(-1, 1, (examples_per_step,) + gan.sample_shape)
    images = tf.constant(images.astype("float32"))
    data = tf.data.Dataset.from_tensors(images).repeat()

    def hand_written(alternating):
        """A run of the hand-written loop on fresh copies of the networks."""
        twin_generator = keras.models.clone_model(gan.generator)
        twin_discriminator = keras.models.clone_model(gan.discriminator)
        step = hand_written_step(twin_generator, twin_discriminator, batch_size, gan.latent_dim,
                                 alternating=alternating, loss=gan.loss_name, d_steps=gan.d_steps,
                                 clip_value=gan.clip_value,
                                 gradient_penalty=gan.gradient_penalty)

        def run(count):
            for _ in range(count):
                losses = step(images)
            float(losses[0])  # wait for the last step

        return run, twin_generator, twin_discriminator

    zoo_rates = fit_images_per_second(gan, data, steps, examples_per_step, repeats)
    tutorial_loop, twin_generator, twin_discriminator = hand_written(alternating=False)
    loop_rates = images_per_second(tutorial_loop, steps, examples_per_step, repeats)
    alternating_rates = images_per_second(hand_written(alternating=True)[0], steps,
                                          examples_per_step, repeats)
    # The penalty's double backward pass has no count here: no GFLOP for WGAN-GP.
    zoo_gflop = loop_gflop = None
    if not gan.gradient_penalty:
        zoo_gflop = step_gflop(gan.generator, gan.discriminator, batch_size,
                               step_passes(updates == "simultaneous", gan.d_steps))
        loop_gflop = step_gflop(twin_generator, twin_discriminator, batch_size,
                                step_passes(True, gan.d_steps))
    pipeline_rate = None
    if with_pipeline:
        try:
            pipeline_rate = pipeline_images_per_second(preset_name)
        except ZooError as error:  # its dataset is not on this machine: the step is still timed
            print(f"{preset_name}: input pipeline not timed: {error}", file=sys.stderr)
    zoo_median = statistics.median(zoo_rates)
    return dict(preset=preset_name, model=preset.model, batch=examples_per_step, steps=steps,
                repeats=repeats, steps_per_execution=steps_per_execution, jit_compile=jit_compile,
                updates=updates, ema_decay=ema_decay,
                zoo_images_per_s=zoo_rates, loop_images_per_s=loop_rates,
                alternating_loop_images_per_s=alternating_rates,
                ratio=zoo_median / statistics.median(loop_rates),
                ratio_to_alternating=zoo_median / statistics.median(alternating_rates),
                zoo_step_gflop=zoo_gflop, loop_step_gflop=loop_gflop, pipeline_images_per_s=pipeline_rate,
                zoo_gflop_per_s=None if zoo_gflop is None else zoo_gflop * zoo_median / examples_per_step,
                load=os.getloadavg()[0])


def table(rows, ceiling):
    def spread(rates):
        return f"{statistics.median(rates):,.0f} ({min(rates):,.0f}-{max(rates):,.0f})"

    lines = ["| preset | examples per step | steps per execution, XLA, updates, EMA | zoo fit images/s (median, range) | "
             "tutorial's loop images/s | ratio | alternating loop images/s | ratio | "
             "GFLOP per step (zoo / tutorial's) | zoo GFLOP/s | share of matmul | "
             "input pipeline alone, images/s | load avg |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| `{r['preset']}` | {r['batch']} | {r['steps_per_execution']}, "
            f"{'on' if r['jit_compile'] else 'off'}, {r['updates']}, "
            f"{r.get('ema_decay') or 'off'} | "
            f"{spread(r['zoo_images_per_s'])} | "
            f"{spread(r['loop_images_per_s'])} | {r['ratio']:.2f} | "
            f"{spread(r['alternating_loop_images_per_s'])} | {r['ratio_to_alternating']:.2f} | "
            + ("- | - | - | " if r["zoo_step_gflop"] is None else
               f"{r['zoo_step_gflop']:.2f} / {r['loop_step_gflop']:.2f} | {r['zoo_gflop_per_s']:.1f} | "
               f"{r['zoo_gflop_per_s'] / ceiling:.0%} | ") +
            f"{'-' if r['pipeline_images_per_s'] is None else format(r['pipeline_images_per_s'], ',.0f')} | "
            f"{r['load']:.1f} |")
    lines += ["", f"float32 matmul (2048x2048, median of 20): {ceiling:.1f} GFLOP/s. Steps per timed run "
              f"and repeats: {rows[0]['steps']} x {rows[0]['repeats']} (after one warm-up run)."
              if rows else ""]
    return "\n".join(lines)


def main(argv):
    from zoo.errors import ZooError

    if len(argv) > 1:
        raise ZooError(f"unexpected arguments {argv[1:]}: flags take the form --name=value")
    ceiling = matmul_gflops()
    rows = [measure(preset, FLAGS.steps, FLAGS.repeats, FLAGS.steps_per_execution,
                    jit_compile=FLAGS.jit_compile, updates=FLAGS.updates,
                    ema_decay=FLAGS.ema_decay)
            for preset in FLAGS.presets]
    emit(table(rows, ceiling), FLAGS.out, {"matmul_gflops": ceiling, "rows": rows})


if __name__ == "__main__":
    flags.DEFINE_list("presets", ["dcgan_mnist"], "presets to measure")
    flags.DEFINE_integer("steps", 50, "steps per timed run", lower_bound=1)
    flags.DEFINE_integer("repeats", 5, "timed runs", lower_bound=1)
    flags.DEFINE_integer("steps_per_execution", 1, "steps per call into the graph (zoo fit)",
                         lower_bound=1)
    flags.DEFINE_boolean("jit_compile", False, "compile the zoo's step with XLA")
    flags.DEFINE_enum("updates", "alternating", ["alternating", "simultaneous"],
                      "the zoo's update order (the loops are measured as ever)")
    flags.DEFINE_float("ema_decay", 0.0, "generator EMA of the zoo's model (0: off)")
    flags.DEFINE_string("out", None, "also write the table here (and the figures as .json)")
    from benchmarks import run_benchmark

    run_benchmark(main)
