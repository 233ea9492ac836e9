"""Faults: kill -9 at any moment, a loss that turns NaN, a disk that fills up.

Each test checks what is on disk afterwards: nothing half-written, nothing lost beyond the
last checkpoint.
"""

import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import time
from unittest import mock

import h5py
import matplotlib.image
import numpy as np
import pytest
import tensorflow as tf

from conftest import REPO
from poison import PoisonGenerator
from zoo import recovery, run_folder, training
from zoo.errors import ZooError

DRIVER = os.path.join(REPO, "tests", "fault_driver.py")
EPOCHS, STEPS = 12, 100
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
    for name in (run_folder.RECORD_FILE, run_folder.HISTORY_FILE, run_folder.RESULT_FILE):
        if (run / name).exists():
            json.loads((run / name).read_text())
    exports = run / "export" / "gan_1d_gaussian_1d"
    for version in os.listdir(exports) if exports.is_dir() else []:
        if version.isdigit():  # staging folders start with a dot: TF Serving ignores them
            assert (exports / version / "saved_model.pb").is_file()


def _tensorboard_epochs(run):
    """The epochs (0-based steps) of every epoch_d_loss scalar in the event files, in order,
    an epoch listed twice listed twice."""
    steps = []
    logs = run / "logs" / "train"
    for name in os.listdir(logs):
        for event in tf.compat.v1.train.summary_iterator(str(logs / name)):
            steps += [event.step for value in event.summary.value if value.tag == "epoch_d_loss"]
    return sorted(steps)


@pytest.mark.slow
def test_kill_9_at_random_moments_and_inside_checkpoint_writes_loses_nothing(tmp_path):
    run, marker = tmp_path / "run", tmp_path / "writing"
    command = [sys.executable, DRIVER, *TOY_FLAGS, f"--output_dir={run}", "--resume"]
    env = dict(os.environ, ZOO_WRITE_MARKER=str(marker), ZOO_WRITE_PAUSE="0")
    rng = random.Random(9)
    # Three kills while a checkpoint is half made (in the second checkpoint write of a launch,
    # which pauses there, so that each launch also commits an epoch) and three at a random
    # moment up to 1 s after a launch's first checkpoint (no pause): in an epoch's steps, while
    # its sample grid, history or TensorBoard scalars or its checkpoint are written. A launch
    # commits two epochs at most, so every one is still training when its kill comes.
    plan = ["inside a checkpoint write"] * 3 + ["at a random moment"] * 3
    rng.shuffle(plan)
    kills = 0
    for moment in plan:
        marker.unlink(missing_ok=True)
        inside_a_write = moment == "inside a checkpoint write"
        process = subprocess.Popen(command, env=dict(env, ZOO_WRITE_PAUSE=str(int(inside_a_write))),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        writes = 2 if inside_a_write else 1
        deadline = time.monotonic() + 300
        while (not marker.exists() or len(marker.read_text().splitlines()) < writes) \
                and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        if not inside_a_write:  # a random moment, by the third write of the launch at the latest
            kill_at = time.monotonic() + rng.uniform(0.0, 1.0)
            while time.monotonic() < kill_at and len(marker.read_text().splitlines()) < 3:
                time.sleep(0.005)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
        _assert_nothing_half_written(run)
    assert kills == len(plan)  # each launch was killed, none had finished

    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr[-3000:]

    _assert_nothing_half_written(run)
    assert json.loads((run / run_folder.RESULT_FILE).read_text())["completed_epochs"] == EPOCHS
    history = json.loads((run / run_folder.HISTORY_FILE).read_text())
    assert len(history) == EPOCHS and all(np.isfinite(e["g_loss"]) for e in history)
    assert sorted(os.listdir(run / "samples")) == [f"epoch_{e:04d}.png" for e in range(1, EPOCHS + 1)]
    assert _tensorboard_epochs(run) == list(range(EPOCHS))  # each epoch once
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


RING = dict(model="gan", dataset="ring8", epochs=3, steps_per_epoch=4, batch_size=32,
            steps_per_execution=1, seed=0, verbose=0)


def test_a_nan_loss_rolls_back_to_the_last_checkpoint_with_lower_learning_rates(tmp_path):
    run = tmp_path / "run"
    with mock.patch.object(training.logging, "warning") as warning:
        gan, summary = training.train(**RING, output_dir=str(run),
                                      callbacks=[PoisonGenerator(epoch=2, step=1)])
    # Step 2 of epoch 2 saw the NaN: back to the checkpoint of epoch 1, at half the rate.
    assert summary["rollbacks"] == [{"epoch": 2, "step": 2, "losses": "d_loss nan, g_loss nan",
                                     "restored_epoch": 1, "learning_rate_factor": 0.5}]
    said = [c.args[0] % c.args[1:] for c in warning.call_args_list]
    assert any("rolling back to the checkpoint of epoch 1 with the learning rates times 0.5" in s
               for s in said), said
    assert float(gan.g_optimizer.learning_rate) == pytest.approx(0.5 * 1e-4)
    assert float(gan.d_optimizer.learning_rate) == pytest.approx(0.5 * 1e-4)
    # The diverged epoch's step went with it: 3 epochs of 4 steps.
    assert int(gan.g_optimizer.iterations) == 12
    assert all(np.isfinite(w.numpy()).all() for w in gan.weights)
    history = json.loads((run / run_folder.HISTORY_FILE).read_text())
    assert len(history) == 3 and all(np.isfinite(e["g_loss"]) for e in history)
    assert sorted(os.listdir(run / "samples")) == [f"epoch_{e:04d}.png" for e in (1, 2, 3)]
    assert summary["completed_epochs"] == 3 and summary["metrics"]["modes"] >= 0


def test_a_run_that_keeps_diverging_stops_with_its_checkpoint_intact(tmp_path):
    run = tmp_path / "run"
    with pytest.raises(ZooError, match=r"diverged at epoch 2, step 2 .* after 1 rollbacks; the "
                                       r"checkpoint of epoch 1 is intact: lower --g_lr"):
        training.train(**RING, output_dir=str(run), max_rollbacks=1,
                       callbacks=[PoisonGenerator(epoch=2, step=1, times=2)])
    assert not (run / "model").exists() and not (run / "export").exists()  # nothing NaN kept
    assert recovery.checkpointed_epoch(str(run / "checkpoint")) == 1
    gan, summary = training.train(**RING, output_dir=str(run), resume=True)
    assert summary["completed_epochs"] == 3 and "rollbacks" not in summary


def test_train_py_says_when_it_recovered(tmp_path):
    result = subprocess.run(
        [sys.executable, DRIVER, "--model=gan", "--dataset=ring8", "--epochs=2",
         "--steps_per_epoch=4", "--batch_size=32", f"--output_dir={tmp_path / 'run'}"],
        env=dict(os.environ, ZOO_POISON_AT="1,4"), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    # The NaN came with epoch 1's last update: its losses were finite, its weights were not,
    # so epoch 1 was not checkpointed and training went back to the start.
    assert ("recovered: training diverged at epoch 1, step 4 (a NaN or infinite loss or weight) "
            "and went back to the checkpoint of epoch 0 with the learning rates times 0.5"
            ) in result.stdout
    assert json.loads((tmp_path / "run" / run_folder.RESULT_FILE).read_text())["completed_epochs"] == 2


@pytest.mark.slow
def test_a_damaged_newest_checkpoint_falls_back_to_the_one_before(tmp_path):
    run = tmp_path / "run"
    training.train(**{**RING, "epochs": 2}, output_dir=str(run))
    newest = run / "checkpoint" / "epoch_0002" / recovery.WEIGHTS_FILE
    newest.write_bytes(newest.read_bytes()[:1000])  # cut short, as by a failing disk
    gan, summary = training.train(**RING, output_dir=str(run), resume=True)
    assert int(gan.g_optimizer.iterations) == 12  # epoch 1's state, then epochs 2 and 3
    assert summary["completed_epochs"] == 3

    for folder in ("epoch_0002", "epoch_0003"):
        (run / "checkpoint" / folder / recovery.WEIGHTS_FILE).write_bytes(b"")
    with pytest.raises(ZooError, match="no checkpoint in .* can be loaded"):
        training.train(**{**RING, "epochs": 4}, output_dir=str(run), resume=True)


def test_a_kill_while_an_old_checkpoint_is_deleted_leaves_none_half_deleted(tmp_path):
    """The deletion of the checkpoint past `keep` stops half done (its metadata gone, its
    weights not yet), as a kill -9 inside it would: no checkpoint is listed without both."""
    real_rmtree = shutil.rmtree

    def killed_halfway(path, *args, **kwargs):
        for root, _, files in os.walk(path):
            if recovery.METADATA_FILE in files:
                os.remove(os.path.join(root, recovery.METADATA_FILE))
                raise KeyboardInterrupt  # the process dies here
        real_rmtree(path, *args, **kwargs)

    run = tmp_path / "run"
    training.train(**{**RING, "epochs": 2}, output_dir=str(run))  # epochs 1 and 2 kept
    with mock.patch.object(recovery.shutil, "rmtree", killed_halfway):
        with pytest.raises(KeyboardInterrupt):
            training.train(**{**RING, "epochs": 3}, output_dir=str(run), resume=True)
    listed = recovery.checkpoints(run / "checkpoint")
    assert [epoch for epoch, _ in listed] == [3, 2]
    _assert_nothing_half_written(run)


def test_a_disk_that_fills_up_gives_one_line_and_leaves_no_partial_checkpoint(tmp_path):
    run = tmp_path / "run"

    def limit_file_size():  # as a full disk would: writes past 256 KiB fail (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (256 << 10, 256 << 10))

    result = subprocess.run(
        [sys.executable, os.path.join(REPO, "train.py"), "--model=gan", "--dataset=ring8",
         "--epochs=1", "--steps_per_epoch=2", f"--output_dir={run}"],
        preexec_fn=limit_file_size, capture_output=True, text=True, timeout=600)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-2000:]
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: could not write") and "File too large" in last
    assert "no checkpoint was written yet" in last and "--resume" in last
    assert os.listdir(run / "checkpoint") == []  # the half-written one was removed


def test_too_little_free_space_is_refused_before_anything_is_written(tmp_path):
    full = shutil._ntuple_diskusage(total=10 << 30, used=10 << 30, free=1 << 20)
    with mock.patch.object(run_folder.shutil, "disk_usage", return_value=full):
        with pytest.raises(ZooError, match=r"has 1 MiB free but this run needs about \d+ MiB"):
            training.train(**RING, output_dir=str(tmp_path / "run"))
    assert not (tmp_path / "run").exists()
