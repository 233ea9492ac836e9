"""zoo.training.train in process: resuming, precision policies and a mirrored run, on the 1-D toy."""

import json
import os
import shutil

from unittest import mock

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo import run_folder, training
from conftest import two_replica_strategy
from tiny import TINY_CONFIGS

TOY = dict(model="gan_1d", dataset="gaussian_1d", steps_per_epoch=3, batch_size=32, seed=0,
           verbose=0)


def _snapshot(directory):
    """{path: modification time} of every file under directory."""
    return {os.path.join(root, name): os.stat(os.path.join(root, name)).st_mtime_ns
            for root, _, names in os.walk(directory) for name in names}


def test_resume_continues_the_optimizers_and_the_history(tmp_path):
    run = str(tmp_path / "run")
    first, first_summary = training.train(**TOY, epochs=1, output_dir=run)
    assert int(first.g_optimizer.iterations) == 3

    resumed, summary = training.train(**TOY, epochs=2, output_dir=run, resume=True)
    # The checkpoint brought back both optimizers' state: 3 steps before, 3 after.
    assert int(resumed.g_optimizer.iterations) == 6
    assert int(resumed.d_optimizer.iterations) == 6
    assert summary["completed_epochs"] == 2
    assert len(summary["history"]["g_loss"]) == 2
    assert summary["history"]["g_loss"][0] == first_summary["history"]["g_loss"][0]
    assert sorted(os.listdir(os.path.join(run, "samples"))) == ["epoch_0001.png", "epoch_0002.png"]
    assert summary["export"].endswith(os.path.join("gan_1d_gaussian_1d", "2"))
    assert run_folder.read_json(os.path.join(run, run_folder.RECORD_FILE))["train"]["epochs"] == 2
    assert zoo.load(run).name == "gan_1d_gaussian_1d"  # so `python -m zoo.export_cli --run` names it so


def test_a_resume_trains_at_the_learning_rates_it_is_given_and_says_so(tmp_path):
    run = str(tmp_path / "run")
    ring = dict(model="gan", dataset="ring8", steps_per_epoch=2, steps_per_execution=1,
                batch_size=32, seed=0, verbose=0, output_dir=run)  # constant rates (the toy's preset decays them)
    training.train(**ring, epochs=1, g_lr=1e-3, d_lr=1e-3)
    with mock.patch("zoo.callbacks.logging.warning") as warning:
        resumed, _ = training.train(**ring, epochs=2, g_lr=5e-4, d_lr=1e-3, resume=True)
    assert float(resumed.g_optimizer.learning_rate) == pytest.approx(5e-4, rel=1e-6)
    assert float(resumed.d_optimizer.learning_rate) == pytest.approx(1e-3, rel=1e-6)
    said = [call.args[0] % call.args[1:] for call in warning.call_args_list
            if "learning rate" in call.args[0]]
    assert said == ["g_optimizer: the checkpoint trained at a learning rate of 0.001; training "
                    "on at 0.0005 as given"]


@pytest.mark.parametrize("rate", [float("inf"), float("nan"), 0.0, -1e-4])
def test_learning_rates_must_be_finite_and_positive(rate):
    with pytest.raises(zoo.ZooError, match="g_lr must be a positive number, got"):
        training.resolve(**{k: v for k, v in TOY.items() if k in ("model", "dataset")}, g_lr=rate)


def test_a_linear_decay_ends_at_zero_and_adams_decays_reach_both_optimizers(tmp_path):
    gan, _ = training.train(model="gan", dataset="ring8", epochs=2, steps_per_epoch=2,
                            eval_samples=0, g_lr=1e-3, d_lr=4e-4, lr_decay="linear", beta_1=0.8,
                            beta_2=0.99, seed=0, verbose=0, output_dir=str(tmp_path / "run"))
    for optimizer in (gan.g_optimizer, gan.d_optimizer):
        assert float(optimizer.learning_rate) == 0.0  # after the run's last step
        assert (optimizer.beta_1, optimizer.beta_2) == (0.8, 0.99)


def test_adams_decays_are_refused_for_another_optimizer():
    with pytest.raises(zoo.ZooError, match="beta_1 is Adam's and this run trains with sgd"):
        training.resolve(model="gan", dataset="ring8", optimizer="sgd", beta_1=0.9)


@pytest.mark.parametrize("eval_samples, measured", [(0, None), (300, 300)])
def test_eval_samples_sets_how_many_samples_the_run_measures(eval_samples, measured, tmp_path):
    from zoo.metrics import quality

    sizes = []
    evaluator_for = quality.evaluator_for

    def counting_evaluator(*args, **kwargs):
        evaluate = evaluator_for(*args, **kwargs)
        return lambda samples: sizes.append(len(samples)) or evaluate(samples)

    with mock.patch.object(training, "evaluator_for", counting_evaluator):
        _, summary = training.train(**TOY, epochs=1, eval_samples=eval_samples,
                                    output_dir=str(tmp_path / "run"))
    assert sizes == ([] if measured is None else [measured])
    assert ("metrics" in summary) == (measured is not None)
    assert os.path.exists(tmp_path / "run" / "metrics.json") == (measured is not None)
    with pytest.raises(zoo.ZooError, match="eval_samples must be 0"):
        training.train(**TOY, epochs=1, eval_samples=-5, output_dir=str(tmp_path / "refused"))
    with pytest.raises(zoo.ZooError, match="eval_every=1 measures samples and eval_samples=0"):
        training.train(**TOY, epochs=1, eval_samples=0, eval_every=1,
                       output_dir=str(tmp_path / "refused"))
    assert not (tmp_path / "refused").exists()


def test_resuming_a_finished_run_writes_nothing_and_says_how_far_it_got(tmp_path):
    run = str(tmp_path / "run")
    trained, summary = training.train(**TOY, epochs=2, output_dir=run)
    before = _snapshot(run)

    again, note = training.train(**TOY, epochs=1, output_dir=run, resume=True)
    assert "already finished 2 epochs" in note["note"]
    assert note["export"] == summary["export"]
    assert _snapshot(run) == before  # no new export version, events file or record
    np.testing.assert_array_equal(again.generate(5, seed=1), trained.generate(5, seed=1))


def test_a_run_that_crashed_after_its_last_checkpoint_is_saved_on_resume(tmp_path):
    run = str(tmp_path / "run")
    training.train(**TOY, epochs=1, output_dir=run)
    # Epoch 2 is checkpointed, then the process dies before saving: result.json still
    # describes the finished first call.
    with mock.patch.object(training, "save", side_effect=KeyboardInterrupt):
        with pytest.raises(KeyboardInterrupt):
            training.train(**TOY, epochs=2, output_dir=run, resume=True)
    assert run_folder.read_json(os.path.join(run, "result.json"))["completed_epochs"] == 1

    resumed, summary = training.train(**TOY, epochs=2, output_dir=run, resume=True)
    assert "note" not in summary
    assert int(resumed.g_optimizer.iterations) == 6  # restored, not trained again
    assert summary["completed_epochs"] == 2 and len(summary["history"]["g_loss"]) == 2
    assert summary["export"].endswith(os.path.join("gan_1d_gaussian_1d", "2"))
    assert run_folder.read_json(os.path.join(run, "result.json"))["completed_epochs"] == 2


def test_an_epoch_logged_but_not_checkpointed_is_not_listed(tmp_path):
    run = str(tmp_path / "run")
    training.train(**TOY, epochs=2, output_dir=run)
    history_file = os.path.join(run, run_folder.HISTORY_FILE)
    logged = run_folder.read_json(history_file)
    # As if a longer run had logged epoch 3 and died before its checkpoint and its result.
    with open(history_file, "w") as f:
        json.dump(logged + [{"d_loss": -1.0, "g_loss": -1.0}], f)
    os.remove(os.path.join(run, run_folder.RESULT_FILE))

    _, summary = training.train(**TOY, epochs=2, output_dir=run, resume=True)  # trains nothing
    assert summary["history"]["g_loss"] == [epoch["g_loss"] for epoch in logged]
    _, summary = training.train(**TOY, epochs=3, output_dir=run, resume=True)
    assert summary["history"]["g_loss"][:2] == [epoch["g_loss"] for epoch in logged]
    assert len(summary["history"]["g_loss"]) == 3 and summary["history"]["g_loss"][2] != -1.0


def test_a_changed_image_size_does_not_take_the_presets_name():
    model, dataset, kwargs, settings, preset = training.resolve(
        model="dcgan", dataset="celeb_a", image_size=32)
    assert preset == "dcgan_celeb_a_64"  # its training settings are still the defaults
    kwargs["image_shape"] = (32, 32, 3)
    assert not training._keeps_preset_networks(preset, kwargs)
    assert training._keeps_preset_networks(preset, {**kwargs, "image_shape": [64, 64, 3]})


def _one_sgd_step(precision, weights, batch):
    with training._precision_policy(precision):
        gan = zoo.create("gan_1d", noise_seed=0, **TINY_CONFIGS["gan_1d"])
    gan.set_weights(weights)
    optimizer = (keras.optimizers.LossScaleOptimizer if precision == "float16"
                 else lambda inner: inner)
    gan.compile(d_optimizer=optimizer(keras.optimizers.SGD(0.1)),
                g_optimizer=optimizer(keras.optimizers.SGD(0.1)))
    gan.train_step(batch)
    return [w.numpy().astype("float64") - w0 for w, w0 in zip(gan.weights, weights)]


def test_float16_gradients_are_unscaled_to_the_float32_size():
    # The LossScaleOptimizer divides the gradients by its scale (2**15 at first); the step must
    # have multiplied the loss by it, or every update would be 32768 times too small.
    # A fixed start: from some starts the first float16 gradients overflow at the scale of
    # 2**15 and the LossScaleOptimizer skips that update (as it should), which is not the
    # size this test compares.
    keras.utils.set_random_seed(0)
    weights = [w.numpy() for w in zoo.create("gan_1d", **TINY_CONFIGS["gan_1d"]).weights]
    batch = tf.constant(np.random.default_rng(0).normal(4.0, 1.25, (16, 1)), tf.float32)
    full = _one_sgd_step("float32", weights, batch)
    half = _one_sgd_step("float16", weights, batch)
    full_size = sum(np.abs(d).sum() for d in full)
    half_size = sum(np.abs(d).sum() for d in half)
    assert full_size > 0
    assert 0.9 < half_size / full_size < 1.1


@pytest.mark.parametrize("precision", ["bfloat16", "float16"])
def test_mixed_precision_trains_finite_and_leaves_the_global_policy_alone(precision, tmp_path):
    gan, summary = training.train(**TOY, epochs=1, mixed_precision=precision,
                                  output_dir=str(tmp_path / precision))
    assert keras.mixed_precision.global_policy().name == "float32"
    assert gan.generator.layers[1].compute_dtype == precision
    assert isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer) == (precision == "float16")
    assert all(np.isfinite(summary["history"][k][0]) for k in ("d_loss", "g_loss"))
    samples = gan.generate(4, seed=0)
    assert samples.dtype == np.float32 and np.isfinite(samples).all()
    # The export serves float32 whatever the policy the generator computes in.
    served = tf.saved_model.load(summary["export"]).signatures["seeds"](seeds=tf.constant([0], tf.int64))
    (output,) = served.values()
    assert output.dtype == tf.float32
    np.testing.assert_allclose(output.numpy(), gan.generate(1, seed=0), atol=1e-6)


def test_mirrored_training_runs_the_preset_with_two_replicas(tmp_path):
    # The preset's steps_per_execution=50 is set to 1 under 2 replicas (a Keras limitation).
    gan, summary = training.train(preset="gan_1d_gaussian_1d", epochs=1, steps_per_epoch=4,
                                  verbose=0, seed=0, strategy=two_replica_strategy(),
                                  output_dir=str(tmp_path / "mirrored"))
    assert gan.distribute_strategy.num_replicas_in_sync == 2
    assert int(gan.g_optimizer.iterations.numpy()) == 4
    assert np.isfinite(summary["metrics"]["std"])


def test_a_run_checkpointed_in_keras_layout_resumes(tmp_path):
    # Runs made before the epoch folders kept keras' BackupAndRestore files.
    run = str(tmp_path / "run")
    training.train(**TOY, epochs=1, output_dir=run)
    checkpoint = os.path.join(run, run_folder.CHECKPOINT_DIR)
    os.rename(os.path.join(checkpoint, "epoch_0001", "state.weights.h5"),
              os.path.join(checkpoint, "latest.weights.h5"))
    os.rename(os.path.join(checkpoint, "epoch_0001", "training_metadata.json"),
              os.path.join(checkpoint, "training_metadata.json"))
    os.rmdir(os.path.join(checkpoint, "epoch_0001"))
    shutil.rmtree(os.path.join(checkpoint, "epoch_0000"))

    resumed, summary = training.train(**TOY, epochs=2, output_dir=run, resume=True)
    assert int(resumed.g_optimizer.iterations) == 6  # 3 steps restored, 3 trained
    assert summary["completed_epochs"] == 2


def test_a_time_budget_ends_training_at_the_first_step_past_it(tmp_path):
    # gan_1d's preset runs 50 steps per execution: the budget is looked at between executions.
    gan, summary = training.train(**{**TOY, "steps_per_epoch": 200}, epochs=4, time_budget=1e-3,
                                  output_dir=str(tmp_path / "run"))
    assert summary["completed_epochs"] == 1  # the cut epoch counts as done
    assert int(gan.g_optimizer.iterations) == 50


def test_wgans_preset_trains_with_rmsprop_and_n_critic_5(tmp_path):
    gan, _ = training.train(preset="wgan_ring8", epochs=1, steps_per_epoch=2, seed=0, verbose=0,
                            output_dir=str(tmp_path / "run"))
    assert isinstance(gan.d_optimizer, keras.optimizers.RMSprop)
    assert float(gan.d_optimizer.learning_rate) == pytest.approx(5e-5)
    assert int(gan.d_optimizer.iterations) == 5 * int(gan.g_optimizer.iterations) == 10


def _summaries(folder, tag):
    """(step, value) of every summary `tag` in the event files of `folder`, repeats kept."""
    found = []
    for path in sorted(folder.glob("*tfevents*")):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            found += [(event.step, value) for value in event.summary.value if value.tag == tag]
    return sorted(found, key=lambda pair: pair[0])


def _scalar(value):
    return float(tf.make_ndarray(value.tensor)) if value.HasField("tensor") else value.simple_value


def _tensorboard_steps(run):
    """Every epoch_d_loss scalar's step in the run's event files, repeats kept."""
    return [step for step, _ in _summaries(run / "logs" / "train", "epoch_d_loss")]


def test_tensorboard_holds_the_sample_grids_learning_rates_and_each_steps_losses(tmp_path):
    run = tmp_path / "run"
    toy = dict(model="gan_1d", dataset="gaussian_1d", steps_per_epoch=4, eval_samples=100,
               eval_every=1, g_lr=3e-4, d_lr=1e-4, log_every_steps=1, steps_per_execution=1,
               seed=0, verbose=0, output_dir=str(run))
    gan, _ = training.train(**toy, epochs=2)
    train_logs, step_logs = run / "logs" / "train", run / "logs" / "steps"
    images = _summaries(train_logs, "samples")
    assert [step for step, _ in images] == [0, 1]
    height, width = (int(dim) for dim in images[0][1].tensor.string_val[:2])
    assert (height, width) == (400, 400)  # the 4x4-inch, 100 dpi picture of 1-D samples
    # The rates as they stand at each epoch's end (this toy's decay lowers them as it goes).
    rates = {name: _summaries(train_logs, f"learning_rate/{name}")
             for name in ("g_optimizer", "d_optimizer")}
    for name, logged in rates.items():
        assert [step for step, _ in logged] == [0, 1]
        assert _scalar(logged[-1][1]) == pytest.approx(
            float(getattr(gan, name).learning_rate), rel=1e-6)
    assert _scalar(rates["g_optimizer"][0][1]) == pytest.approx(3 * _scalar(rates["d_optimizer"][0][1]))
    assert [step for step, _ in _summaries(train_logs, "epoch_quality/ks")] == [0, 1]
    # Each step's own loss, one per step; an epoch's mean of them is the epoch's logged mean.
    for name in ("d_loss", "g_loss"):
        steps = _summaries(step_logs, f"step/{name}")
        assert [step for step, _ in steps] == list(range(1, 9))
        epochs = _summaries(train_logs, f"epoch_{name}")
        for epoch, (_, mean) in enumerate(epochs):
            own = [_scalar(value) for _, value in steps[4 * epoch:4 * epoch + 4]]
            assert np.mean(own) == pytest.approx(_scalar(mean), rel=1e-4, abs=1e-5)
        assert len({round(_scalar(value), 6) for _, value in steps}) > 1
    # A resume past a lost checkpoint drops the steps written after it, then writes them again.
    shutil.rmtree(run / "checkpoint" / "epoch_0002")
    (run / "result.json").unlink()
    training.train(**toy, epochs=3, resume=True)
    assert [step for step, _ in _summaries(step_logs, "step/d_loss")] == list(range(1, 13))
    assert [step for step, _ in _summaries(train_logs, "samples")] == [0, 1, 2]


def test_tensorboard_lists_each_epoch_once_after_a_resume_past_a_lost_checkpoint(tmp_path):
    # A kill inside epoch 2's checkpoint write leaves its scalars in the event file and no
    # checkpoint: the resume trains epoch 2 again, and must not list it twice.
    run = tmp_path / "run"
    toy = dict(model="gan_1d", dataset="gaussian_1d", steps_per_epoch=2, eval_samples=100,
               verbose=0, output_dir=str(run))
    training.train(**toy, epochs=2)
    assert _tensorboard_steps(run) == [0, 1]
    shutil.rmtree(run / "checkpoint" / "epoch_0002")
    (run / "result.json").unlink()
    training.train(**toy, epochs=3, resume=True)
    assert _tensorboard_steps(run) == [0, 1, 2]
