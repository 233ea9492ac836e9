"""Faults: kill -9 at any moment, a loss that turns NaN, a disk that fills up.

Each test checks what is on disk afterwards: nothing half-written, nothing lost beyond the
last checkpoint.
"""

import json
import os
import random
import resource
import signal
import subprocess
import sys
import time

import h5py
import matplotlib.image
import numpy as np
import pytest
import tensorflow as tf

from conftest import REPO
from zoo import recovery, training

DRIVER = os.path.join(REPO, "tests", "fault_driver.py")
EPOCHS, STEPS = 6, 100
TOY_FLAGS = ["--model=gan_1d", "--dataset=gaussian_1d", f"--epochs={EPOCHS}",
             f"--steps_per_epoch={STEPS}", "--batch_size=64", "--seed=0"]


def _assert_nothing_half_written(run):
    """Every file a reader would pick up is whole: checkpoints, samples, records, exports."""
    for epoch, folder in recovery.checkpoints(run / "checkpoint"):
        with open(os.path.join(folder, recovery.METADATA_FILE)) as f:
            assert json.load(f)["epoch"] == epoch
        with h5py.File(os.path.join(folder, recovery.WEIGHTS_FILE), "r") as weights:
            assert len(weights.keys()) > 0
    for name in os.listdir(run / "samples") if (run / "samples").is_dir() else []:
        if name.endswith(".png"):
            assert matplotlib.image.imread(str(run / "samples" / name)).size > 0
    for name in (training.RECORD_FILE, training.HISTORY_FILE, training.RESULT_FILE):
        if (run / name).exists():
            json.loads((run / name).read_text())
    exports = run / "export" / "gan_1d_gaussian_1d"
    for version in os.listdir(exports) if exports.is_dir() else []:
        if version.isdigit():  # staging folders start with a dot: TF Serving ignores them
            assert (exports / version / "saved_model.pb").is_file()


def _tensorboard_epochs(run):
    """The epochs (0-based steps) that have an epoch_d_loss scalar in the event files."""
    steps = set()
    logs = run / "logs" / "train"
    for name in os.listdir(logs):
        for event in tf.compat.v1.train.summary_iterator(str(logs / name)):
            steps |= {event.step for value in event.summary.value if value.tag == "epoch_d_loss"}
    return steps


def test_kill_9_at_random_moments_and_inside_checkpoint_writes_loses_nothing(tmp_path):
    run, marker = tmp_path / "run", tmp_path / "writing"
    command = [sys.executable, DRIVER, *TOY_FLAGS, f"--output_dir={run}", "--resume"]
    env = dict(os.environ, ZOO_WRITE_MARKER=str(marker), ZOO_WRITE_PAUSE="1")
    rng = random.Random(9)
    # Three kills while a checkpoint is half made (the second write of a launch, so that each
    # launch also commits an epoch), three at random moments: start-up, epochs, samples,
    # the final save and export.
    plan = ["inside a checkpoint write"] * 3 + ["at a random moment"] * 3
    rng.shuffle(plan)
    kills = 0
    for moment in plan:
        marker.unlink(missing_ok=True)
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        if moment == "inside a checkpoint write":
            deadline = time.monotonic() + 120
            while (not marker.exists() or len(marker.read_text().splitlines()) < 2) \
                    and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
        else:
            time.sleep(rng.uniform(2.0, 12.0))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
        _assert_nothing_half_written(run)

    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert kills >= 5  # the runs were killed, not finished before their kill

    _assert_nothing_half_written(run)
    assert json.loads((run / training.RESULT_FILE).read_text())["completed_epochs"] == EPOCHS
    history = json.loads((run / training.HISTORY_FILE).read_text())
    assert len(history) == EPOCHS and all(np.isfinite(e["g_loss"]) for e in history)
    assert sorted(os.listdir(run / "samples")) == [f"epoch_{e:04d}.png" for e in range(1, EPOCHS + 1)]
    assert _tensorboard_epochs(run) == set(range(EPOCHS))
    assert sorted(os.listdir(run / "checkpoint")) == [f"epoch_{EPOCHS - 1:04d}", f"epoch_{EPOCHS:04d}"]
    # The expected step count: the weights and both optimizers came back from each checkpoint,
    # so an epoch cut short by a kill was trained again from its start, not added to.
    gan, summary = training.train(model="gan_1d", dataset="gaussian_1d", epochs=EPOCHS,
                                  steps_per_epoch=STEPS, batch_size=64, seed=0, verbose=0,
                                  output_dir=str(run), resume=True)
    assert "already finished" in summary["note"]
    assert int(gan.g_optimizer.iterations) == EPOCHS * STEPS
    assert int(gan.d_optimizer.iterations) == EPOCHS * STEPS
    newest = max(int(v) for v in os.listdir(run / "export" / "gan_1d_gaussian_1d") if v.isdigit())
    served = tf.saved_model.load(str(run / "export" / "gan_1d_gaussian_1d" / str(newest)))
    samples = served.signatures["seeds"](seeds=tf.constant([1, 2], tf.int64))["samples"]
    np.testing.assert_allclose(samples.numpy(), gan.generate(1, seed=1).tolist()
                               + gan.generate(1, seed=2).tolist(), atol=1e-5)
