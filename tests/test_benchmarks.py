"""The benchmarks' code paths, on runs short enough for the suite (their figures come from
the full runs in benchmarks/results/)."""

import json
import os
import re
import subprocess
import sys

import pytest

from benchmarks import mixtures
from conftest import REPO, needs_mnist


def test_mixtures_benchmark_trains_measures_and_tabulates_beside_the_paper():
    results = mixtures.run_trials("gan", "ring8", trials=1, epochs=1)
    assert set(results[0]) >= {"modes", "high_quality", "reverse_kl", "seconds", "cpu_seconds"}
    assert 0 <= results[0]["modes"] <= 8
    # A trial is its seed's (XLA included): run again, it measures the same figures.
    again = mixtures.run_trials("gan", "ring8", trials=1, epochs=1)[0]
    assert [again[k] for k in ("modes", "high_quality")] == [results[0][k] for k in ("modes", "high_quality")]
    assert again["reverse_kl"] == pytest.approx(results[0]["reverse_kl"], rel=1e-9, nan_ok=True)
    text = mixtures.table({("gan", "ring8"): results}, trials=1)
    assert "| gan (ours) | ring8 |" in text
    assert "±" not in text.splitlines()[2]  # one trial: a value, no spread
    assert "| GAN (PacGAN paper) | ring8 | 6.3 / 8 | 98.2 | 0.45 |" in text
    assert "grid25" not in text  # only the mixtures that were run


def test_mixtures_resume_keeps_matching_trials_and_trains_the_rest():
    first = mixtures.run_trials("gan", "ring8", trials=1, epochs=1)
    marked = dict(first[0], high_quality=0.5)  # a recorded figure no training would give
    written = []
    results = mixtures.run_trials("gan", "ring8", trials=2, epochs=1, recorded=[marked],
                                  on_trial=lambda so_far: written.append(len(so_far)))
    assert results[0] is marked and [r["seed"] for r in results] == [0, 1]
    assert written == [2]  # called after the one trial it trained
    # Another length is another configuration: the recorded trial is trained again.
    longer = mixtures.run_trials("gan", "ring8", trials=1, epochs=2, recorded=[marked])
    assert longer[0]["generator_steps"] == 2 * marked["generator_steps"]
    assert longer[0]["high_quality"] != 0.5


def test_mixtures_trials_in_worker_processes_measure_what_one_process_measures():
    alone = mixtures.run_trials("gan", "ring8", trials=2, epochs=1)
    kept = []
    together = mixtures.run_trials("gan", "ring8", trials=2, epochs=1, samples=kept, workers=2)
    assert [r["seed"] for r in together] == [0, 1]
    for one, other in zip(alone, together):
        assert [one[k] for k in ("modes", "high_quality")] == [other[k] for k in ("modes", "high_quality")]
        assert other["reverse_kl"] == pytest.approx(one["reverse_kl"], rel=1e-6, nan_ok=True)
    assert kept[0].shape == (mixtures.SAMPLES, 2)  # drawn in the worker, handed back
    row = mixtures.table({("gan", "ring8"): together}, trials=2).splitlines()[2]
    assert "(2 at once) |" in row
    # One trial left to train runs alone, in this process, and is recorded so.
    rest = mixtures.run_trials("gan", "ring8", trials=2, epochs=1, recorded=together[:1], workers=2)
    assert [r["workers"] for r in rest] == [2, 1]


def test_mixtures_cli_resume_runs_only_missing_trials_and_keeps_other_rows(tmp_path):
    out = tmp_path / "mix.md"
    recorded = {"gan grid25": [{"seed": 0, "modes": 3, "high_quality": 0.5, "reverse_kl": 1.0,
                                "seconds": 1, "cpu_seconds": 1, "generator_steps": 7,
                                "batch_size": 100, "jit_compile": True}]}
    # A trial past --trials, as a longer run of the same configuration recorded it.
    seed_1 = dict(recorded["gan grid25"][0], seed=1,
                  **mixtures._trial_settings("gan", "ring8", epochs=1, jit_compile=True))
    recorded["gan ring8"] = [seed_1]
    (tmp_path / "mix.json").write_text(json.dumps(recorded))
    done = subprocess.run([sys.executable, "-m", "benchmarks.mixtures", "--models=gan",
                           "--datasets=ring8", "--trials=1", "--epochs=1", f"--out={out}",
                           "--resume"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    written = json.loads((tmp_path / "mix.json").read_text())
    assert written["gan grid25"] == recorded["gan grid25"]  # not asked for, not lost
    assert [r["seed"] for r in written["gan ring8"]] == [0, 1]  # seed 1 kept, not shown:
    assert re.search(r"\| gan \(ours\) \| ring8 \|[^\n]*\| 1 \| ", out.read_text())
    assert "| gan (ours) | grid25 | 3.0 / 25 | 50.0 |" in out.read_text()
    refused = subprocess.run([sys.executable, "-m", "benchmarks.mixtures", "--resume"],
                             cwd=REPO, capture_output=True, text=True)
    assert refused.returncode == 2 and "give --out too" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_mixtures_picture_draws_the_real_data_beside_each_model(tmp_path):
    import matplotlib.image

    kept = []
    mixtures.run_trials("gan", "ring8", trials=1, epochs=1, samples=kept)
    assert kept[0].shape == (mixtures.SAMPLES, 2)
    path = mixtures.picture("ring8", {"gan": kept[0], "again": kept[0]}, str(tmp_path))
    height, width, _ = matplotlib.image.imread(path).shape
    assert width > 2.5 * height  # three panels side by side


def test_mixtures_resumed_run_draws_its_pictures_without_training_seed_0_again(tmp_path):
    out, pictures = tmp_path / "mix.md", tmp_path / "pictures"

    def run(*more):
        done = subprocess.run([sys.executable, "-m", "benchmarks.mixtures", "--models=gan",
                               "--datasets=ring8", "--trials=1", "--epochs=1", f"--out={out}",
                               f"--pictures={pictures}", *more],
                              cwd=REPO, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    assert "gan ring8 seed 0:" in run()
    drawn = mixtures._recorded_samples(str(out))["gan ring8"]
    assert drawn.shape == (mixtures.SAMPLES, 2)
    (pictures / "mixtures_ring8.png").unlink()
    again = run("--resume")
    assert "seed 0:" not in again  # the recorded trial and its samples were kept
    assert (pictures / "mixtures_ring8.png").stat().st_size > 1000
    assert (mixtures._recorded_samples(str(out))["gan ring8"] == drawn).all()


@pytest.mark.slow
@needs_mnist
def test_loss_family_benchmark_trains_each_on_a_time_budget_and_tabulates():
    from benchmarks import loss_family

    figures = loss_family.run("wgan", minutes=0.005)  # stops after its first step
    assert figures["generator_steps"] == 1 and figures["images_seen"] == 5 * 64
    assert figures["fid"] > 0 and 0 <= figures["precision"] <= 1
    text = loss_family.table({"wgan": figures}, minutes=0.005)
    assert text.splitlines()[2].startswith("| wgan | ") and "| 1 | 320 |" in text


@pytest.mark.slow
@needs_mnist
def test_conditional_benchmark_measures_labels_codes_and_test_error():
    from benchmarks import conditional

    results = conditional.run(["cgan (joint D)", "infogan", "sgan"], minutes=0.003, samples=500,
                              test_examples=1000)
    assert results["cgan (joint D)"]["generator_steps"] == 1
    assert 0 <= results["cgan (joint D)"]["label_accuracy"] <= 1
    assert len(results["cgan (joint D)"]["class_accuracy"]) == 10
    assert 0.1 <= results["infogan"]["code_accuracy"] <= 1  # best matching is at least chance
    assert 0 <= results["sgan"]["test_error"] <= 1 and "label_accuracy" not in results["sgan"]
    text = conditional.table(results)
    assert text.splitlines()[2].startswith("| cgan (joint D) | ") and "| - |" in text


@pytest.mark.slow
@needs_mnist
def test_semi_supervised_benchmark_measures_each_seed_resumes_and_tabulates(tmp_path):
    from benchmarks import semi_supervised
    from zoo.data import load

    test = list(load("mnist", split="test", batch_size=500, shuffle=False))[0]
    images, labels = test[0].numpy(), test[1].numpy()
    short = dict(steps_per_epoch=2)
    first = semi_supervised.run_seed(0, str(tmp_path), images, labels, every=2, epochs=3,
                                     overrides=short)
    assert [epoch for epoch, _ in first["curve"]] == [2, 3] and first["epochs"] == 3
    assert 0 <= first["error"] <= 1 and first["error"] == first["curve"][-1][1]
    again = semi_supervised.run_seed(0, str(tmp_path), images, labels, every=2, epochs=3,
                                     overrides=short)  # finished: read back, not trained
    assert again["curve"] == first["curve"]
    longer = semi_supervised.run_seed(0, str(tmp_path), images, labels, every=2, epochs=4,
                                      overrides=short)  # resumed from epoch 3
    assert longer["curve"][:2] == first["curve"] and [e for e, _ in longer["curve"]] == [2, 3, 4]
    text = semi_supervised.table({"0": first, "1": longer})
    assert "| 0 | " in text and "over 2 seed(s)" in text and "+-" in text


def test_encoders_benchmark_measures_samples_reconstructions_and_the_probe(tmp_path):
    from benchmarks import encoders
    from zoo import training

    # A run trained already (say over several sessions) is measured from its folder.
    training.train(preset="vaegan_mnist", epochs=2, steps_per_epoch=1, eval_samples=0, verbose=0,
                   output_dir=str(tmp_path / "vaegan_run"))
    results, probes = encoders.run(["bigan", "vaegan"], minutes=0.003, probe_examples=2000,
                                   samples=500, test_examples=1000,
                                   run_dirs=[str(tmp_path / "vaegan_run")])
    assert list(results) == ["bigan", "vaegan", "vaegan_run"]
    for figures in results.values():
        assert figures["reconstruction_mse"] > 0
        assert 0 <= figures["reconstruction_digit_kept"] <= 1
        assert 0.1 <= figures["probe_accuracy"] <= 1
    assert results["bigan"]["generator_steps"] == results["vaegan"]["generator_steps"] == 1
    assert results["vaegan_run"]["epochs"] == 2 and "generator_steps" not in results["vaegan_run"]
    assert probes["raw pixels (784)"] > 0.8  # a linear classifier of pixels reads most digits
    text = encoders.table(results, probes)
    assert text.splitlines()[2].startswith("| bigan | ") and "| raw pixels (784) (reference) |" in text
    assert "| 2 | - | - |" in text.splitlines()[4]  # the run's epochs; no steps or minutes


@pytest.mark.slow
@needs_mnist
def test_digit_translation_benchmark_scores_the_floor_the_ceiling_and_dtn():
    from benchmarks import digit_translation

    results, reference = digit_translation.run(["identity", "embolden", "dtn"], minutes=0.003,
                                               judge_epochs=1)
    assert reference["ink_share_b"] > reference["ink_share_a"]
    # Emboldening is what made domain B: as bold as B, and nearer to it than the plain digits.
    assert abs(results["embolden"]["ink_share"] - reference["ink_share_b"]) < 0.02
    assert results["embolden"]["fid"] < results["identity"]["fid"]
    assert results["identity"]["digit_kept"] > 0.9 and results["dtn"]["steps"] == 1
    text = digit_translation.table(results, reference)
    assert text.splitlines()[2].startswith("| identity | ") and "Judge: " in text


def test_serving_benchmark_times_every_way_of_calling_a_shipped_generator():
    from benchmarks import serving

    rows = serving.measure("dcgan_mnist", batches=[1, 4], requests=3, warmup=1)
    assert [(r["batch"], r["way"]) for r in rows] == [
        (batch, way) for batch in (1, 4)
        for way in ("export, seeds", "export, z", "keras generator", "keras, tf.function")]
    assert all(0 < r["p50_ms"] <= r["p99_ms"] and r["images_per_s"] > 0 for r in rows)
    assert "| `dcgan_mnist` | 4 | export, z | 3 |" in serving.table(rows)


@pytest.mark.slow
def test_throughput_benchmark_times_fit_against_the_hand_written_loop():
    from benchmarks import throughput

    row = throughput.measure("dcgan_mnist", steps=2, repeats=2, with_pipeline=False)
    assert row["batch"] == 128 and len(row["zoo_images_per_s"]) == len(row["loop_images_per_s"]) == 2
    assert len(row["alternating_loop_images_per_s"]) == 2
    assert row["ratio"] > 0 and row["ratio_to_alternating"] > 0 and row["zoo_gflop_per_s"] > 0
    # The alternating step runs D once more than the simultaneous one.
    assert 1 < row["loop_step_gflop"] < row["zoo_step_gflop"] < 100
    assert "| `dcgan_mnist` | 128 | 1, off, alternating, off |" in throughput.table([row], ceiling=100.0)
    # With the tutorial's update order the zoo's step does the tutorial's arithmetic.
    row = throughput.measure("dcgan_mnist", steps=2, repeats=1, with_pipeline=False,
                             updates="simultaneous")
    assert row["zoo_step_gflop"] == row["loop_step_gflop"] and row["updates"] == "simultaneous"
    # WGAN-GP's rows have no GFLOP (the penalty's double backward pass is not counted).
    uncounted = dict(row, zoo_step_gflop=None, loop_step_gflop=None, zoo_gflop_per_s=None)
    assert "| - | - | - |" in throughput.table([uncounted], ceiling=100.0)


@pytest.mark.parametrize("name, alternating", [("wgan", True), ("wgan", False),
                                               ("wgan_gp", True)])
def test_the_hand_written_critic_loops_train_d_steps_times_and_clip(name, alternating):
    import keras
    import numpy as np
    import tensorflow as tf
    import zoo
    from benchmarks.throughput import hand_written_step, step_passes
    from tiny import TINY_CONFIGS, tiny_batch

    gan = zoo.create(name, **TINY_CONFIGS[name])
    # Copies, as the benchmark makes: the zoo's D variables carry its clipping constraint.
    generator = keras.models.clone_model(gan.generator)
    discriminator = keras.models.clone_model(gan.discriminator)
    step = hand_written_step(generator, discriminator, 8, gan.latent_dim,
                             alternating=alternating, loss=gan.loss_name, d_steps=gan.d_steps,
                             clip_value=gan.clip_value, gradient_penalty=gan.gradient_penalty)
    g_loss, d_loss = step(tf.constant(tiny_batch(gan)))  # d_steps minibatches of 8
    assert np.isfinite(g_loss.numpy()) and np.isfinite(d_loss.numpy())
    g_optimizer, d_optimizer = step.optimizers
    assert int(g_optimizer.iterations) == 1 and int(d_optimizer.iterations) == gan.d_steps == 5
    if gan.clip_value is not None:
        largest = max(float(tf.reduce_max(tf.abs(w))) for w in discriminator.trainable_weights)
        assert largest <= gan.clip_value
    # What the step's GFLOP count: 4 critic-only updates (1 G + 6 D each) before the last.
    assert step_passes(simultaneous=not alternating, d_steps=5) == dict(
        generator=7, discriminator=(8 if alternating else 7) + 24)


@needs_mnist
def test_the_input_pipeline_is_timed_after_its_first_pass():
    from benchmarks.throughput import pipeline_images_per_second

    assert pipeline_images_per_second("dcgan_mnist", batches=5) > 0


def test_multiply_adds_count_dense_and_convolution_layers():
    import keras
    from benchmarks.throughput import multiply_adds

    model = keras.Sequential([
        keras.Input((4, 4, 1)),
        keras.layers.Conv2D(2, 3, padding="same"),  # 16 positions x 3x3x1x2
        keras.layers.Conv2DTranspose(1, 2, strides=2),  # 16 input positions x 2x2x2x1
        keras.layers.BatchNormalization(), keras.layers.Flatten(),
        keras.layers.Dense(5)])  # 64 x 5
    assert multiply_adds(model) == 16 * 18 + 16 * 8 + 64 * 5
    # Dense layers inside a layer (maxout's pieces) count too.
    from zoo.layers import Maxout

    mlp = keras.Sequential([keras.Input((6,)), Maxout(units=4, pieces=3), keras.layers.Dense(1)])
    assert multiply_adds(mlp) == 6 * 12 + 4 * 1


@pytest.mark.slow
@needs_mnist
def test_time_to_quality_logs_each_epoch_resumes_and_compares_with_the_tutorial(tmp_path):
    import keras
    from benchmarks import time_to_quality as ttq
    from zoo.errors import ZooError

    tutorial_log, zoo_log = str(tmp_path / "tutorial.jsonl"), str(tmp_path / "zoo.jsonl")
    state = str(tmp_path / "tutorial_state")
    # One epoch, then the same run resumed from its saved state for a second one.
    ttq.run_tutorial(tutorial_log, epochs=1, limit=512, checkpoint_dir=state)
    generator, discriminator = ttq.tutorial_networks()
    networks = dict(generator=generator, discriminator=discriminator)
    optimizers = {name: keras.optimizers.Adam() for name in ("g_optimizer", "d_optimizer")}
    for optimizer, network in zip(optimizers.values(), networks.values()):
        optimizer.build(network.trainable_variables)
    after_one = ttq.load_state(state, networks, optimizers)
    assert after_one["epoch"] == 1 and int(optimizers["g_optimizer"].iterations) == 2
    ttq.run_tutorial(tutorial_log, epochs=2, limit=512, checkpoint_dir=state)
    with pytest.raises(ZooError, match="other settings"):
        ttq.run_tutorial(tutorial_log, epochs=2, limit=512, seed=5, checkpoint_dir=state)
    ttq.run_preset(zoo_log, "dcgan_mnist", epochs=1, overrides=dict(steps_per_epoch=2))
    header, evaluations = ttq.read_log(tutorial_log)
    assert header["settings"]["batch_size"] == 256 and header["settings"]["learning_rate"] == 1e-4
    assert [r["epoch"] for r in evaluations] == [1, 2] and evaluations[1]["images"] == 1024
    # The resumed epoch trained from the saved weights and counted on from the saved clocks.
    assert evaluations[0]["train_seconds"] == pytest.approx(after_one["train_seconds"])
    assert ttq.load_state(state, networks, optimizers)["epoch"] == 2
    assert int(optimizers["g_optimizer"].iterations) == 4  # 2 steps on from the saved 2, not from 0
    # The clock only runs forward and leaves the evaluations out.
    assert 0 < evaluations[0]["train_seconds"] < evaluations[1]["train_seconds"]
    assert all(r["fid"] > 0 and r["eval_seconds"] > 0 for r in evaluations)
    table, runs = ttq.report([tutorial_log, zoo_log])
    assert set(runs) == {"tutorial", "dcgan_mnist"} and "| `tutorial` | 2 of 2 |" in table
    ttq.plot(runs, str(tmp_path / "curve.png"))
    assert (tmp_path / "curve.png").stat().st_size > 1000


def test_time_to_quality_reports_the_first_evaluation_under_the_target():
    from benchmarks.time_to_quality import minutes_to_reach

    curve = [dict(fid=90.0, train_seconds=60, cpu_seconds=100, epoch=1),
             dict(fid=30.0, train_seconds=120, cpu_seconds=200, epoch=2),
             dict(fid=20.0, train_seconds=180, cpu_seconds=300, epoch=3)]
    assert minutes_to_reach(curve, 30.0) == (2.0, 200 / 60, 2)
    assert minutes_to_reach(curve, 10.0) is None


BAD_BENCHMARK_FLAGS = [
    (["benchmarks.serving", "--batches=abc"], "--batches takes request sizes from 1 to 1024"),
    (["benchmarks.serving", "--batches=0"], "--batches takes request sizes from 1 to 1024"),
    (["benchmarks.quality", "--preset=dcgan_mnist", "--out={tmp}/missing/quality.md"],
     "the folder .*missing does not exist; make it first"),
    (["benchmarks.diagnosis", "--out={tmp}"], "is a folder: name a file"),
    (["benchmarks.rbm_mixing", "--out={tmp}"], "is a folder: name a file"),
]


@pytest.mark.parametrize("args, message", BAD_BENCHMARK_FLAGS,
                         ids=[" ".join(a) for a, _ in BAD_BENCHMARK_FLAGS])
def test_a_benchmarks_bad_flag_is_one_line_before_it_measures(tmp_path, args, message):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-2000:]
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and re.search(message, last), last
    assert os.listdir(tmp_path) == []


def test_step_profile_counts_a_steps_matrix_products():
    from benchmarks import step_profile

    assert step_profile.matmul_flops([((100, 400), (400, 1000), False, False),
                                      ((400, 100), (100, 1000), True, False)]) == 2 * 2 * 100 * 400 * 1000
    products = step_profile.step_matmuls("gan_ring8")
    # G (2-400-400-400-400-2) and the maxout D (2-1000-1000-1000 with 200 units kept, then 1)
    # on batches of 100: about 0.1 GFLOP per network pass; a step's passes and their gradients
    # come to about 1 GFLOP.
    assert 0.9e9 < step_profile.matmul_flops(products) < 1.1e9
    assert step_profile.matmuls_per_second(products[:2], repeats=3) > 0
