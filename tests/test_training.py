"""zoo.training.train in process: resuming, precision policies and a mirrored run, on the 1-D toy."""

import json
import os

import numpy as np
import pytest
import keras

from zoo import training
from conftest import two_replica_strategy

TOY = dict(model="gan_1d", dataset="gaussian_1d", steps_per_epoch=3, batch_size=32, seed=0,
           verbose=0)


def test_resume_continues_the_optimizers_and_a_finished_run_stays_as_it_is(tmp_path):
    run = str(tmp_path / "run")
    first, summary = training.train(**TOY, epochs=1, output_dir=run)
    assert int(first.g_optimizer.iterations) == 3

    resumed, summary = training.train(**TOY, epochs=2, output_dir=run, resume=True)
    assert len(summary["history"]["g_loss"]) == 1  # epoch 2 only
    # The checkpoint brought back both optimizers' state: 3 steps before, 3 after.
    assert int(resumed.g_optimizer.iterations) == 6
    assert int(resumed.d_optimizer.iterations) == 6
    assert sorted(os.listdir(os.path.join(run, "samples"))) == ["epoch_0001.png", "epoch_0002.png"]
    assert summary["export"].endswith(os.path.join("gan_1d_gaussian_1d", "2"))

    again, note = training.train(**TOY, epochs=2, output_dir=run, resume=True)
    assert "nothing to do" in note["note"]
    assert note["export"] == summary["export"]  # no new version of the same weights
    assert sorted(os.listdir(os.path.join(run, "export", "gan_1d_gaussian_1d"))) == ["1", "2"]
    np.testing.assert_array_equal(again.generate(5, seed=1), resumed.generate(5, seed=1))
    with open(os.path.join(run, "result.json")) as f:
        assert json.load(f)["export"] == summary["export"]


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


def test_mirrored_training_runs_the_preset_with_two_replicas(tmp_path):
    # The preset's steps_per_execution=50 is set to 1 under 2 replicas (a Keras limitation).
    gan, summary = training.train(preset="gan_1d_gaussian_1d", epochs=1, steps_per_epoch=4,
                                  verbose=0, seed=0, strategy=two_replica_strategy(),
                                  output_dir=str(tmp_path / "mirrored"))
    assert gan.distribute_strategy.num_replicas_in_sync == 2
    assert int(gan.g_optimizer.iterations.numpy()) == 4
    assert np.isfinite(summary["metrics"]["std"])
