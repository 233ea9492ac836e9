"""MultiWorkerMirroredStrategy across 2 processes on 127.0.0.1: the workers train in step,
only the chief keeps the run, and a restarted cluster resumes from its checkpoints."""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

import zoo
from conftest import REPO

# One worker: dcgan on tfds' mock MNIST (random images), resized to 16x16, two replicas in all.
WORKER = """
import json, sys
from unittest import mock
import numpy as np
import tensorflow_datasets as tfds
from zoo import training

output_dir, weights_file, epochs, resume = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "resume"
with tfds.testing.mock_data(num_examples=64), mock.patch.object(
        tfds.core.DatasetBuilder, "is_prepared", return_value=True):
    gan, summary = training.train(model="dcgan", dataset="mnist", image_size=16, latent_dim=8,
                                  batch_size=8, epochs=epochs, steps_per_epoch=3, seed=0,
                                  distribute="multiworker", output_dir=output_dir, resume=resume,
                                  verbose=0)
np.savez(weights_file, *[w.numpy() for w in gan.weights])
print(json.dumps({"output_dir": summary["output_dir"], "export": summary["export"],
                  "replicas": gan.distribute_strategy.num_replicas_in_sync,
                  "steps": int(gan.g_optimizer.iterations.numpy())}))
"""

SAMPLE_FROM_EXPORT = """
import sys, numpy as np, tensorflow as tf
served = tf.saved_model.load(sys.argv[1]).signatures["seeds"](seeds=tf.constant([5, 6], tf.int64))
np.save(sys.argv[2], served["images"].numpy())
"""


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _run_cluster(tmp_path, output_dir, epochs, resume):
    """Both workers to the end; their printed summaries and final weights, chief first."""
    cluster = {"worker": [f"127.0.0.1:{port}" for port in _free_ports(2)]}
    workers = []
    for index in range(2):
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=REPO,
                   TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}))
        weights = tmp_path / f"weights_{index}_{epochs}.npz"
        command = [sys.executable, "-c", WORKER, str(output_dir), str(weights), str(epochs),
                   "resume" if resume else "new"]
        workers.append((subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, text=True), weights))
    results = []
    for process, weights in workers:
        try:
            out, err = process.communicate(timeout=600)
        except subprocess.TimeoutExpired:
            for other, _ in workers:
                other.kill()
            raise
        assert process.returncode == 0, err[-3000:]
        summary = json.loads(out.strip().splitlines()[-1])
        with np.load(weights) as saved:
            summary["weights"] = [saved[key] for key in saved.files]
        results.append(summary)
    return results


@pytest.mark.slow
def test_two_worker_processes_train_in_step_and_only_the_chief_keeps_the_run(tmp_path):
    run = tmp_path / "run"  # both workers are told the same folder, as on shared storage
    chief, worker = _run_cluster(tmp_path, run, epochs=2, resume=False)

    assert chief["replicas"] == worker["replicas"] == 2
    assert chief["steps"] == worker["steps"] == 6  # 2 epochs of 3 steps
    assert len(chief["weights"]) == len(worker["weights"]) > 0
    for mine, theirs in zip(chief["weights"], worker["weights"]):
        np.testing.assert_array_equal(mine, theirs)

    # The chief writes the run; the other worker writes the same files beside it, never into it.
    assert chief["output_dir"] == str(run)
    assert worker["output_dir"] == f"{run}.worker_1"
    assert chief["export"].startswith(str(run)) and not worker["export"].startswith(str(run) + os.sep)
    for name in ("result.json", "history.json", "checkpoint", "model", "samples"):
        assert os.path.exists(run / name), name

    # The chief's export serves, in a fresh process, what the chief's saved model generates.
    served = tmp_path / "served.npy"
    subprocess.run([sys.executable, "-c", SAMPLE_FROM_EXPORT, chief["export"], str(served)],
                   check=True, capture_output=True, cwd=tmp_path)
    expected = zoo.load(os.path.join(chief["output_dir"], "model")).generate(2, seed=5)
    np.testing.assert_allclose(np.load(served)[:1], expected[:1], atol=1e-5)

    # Started again for a third epoch, each worker restores its own checkpoint (the other
    # worker's folder is its restore point) and the two stay in step.
    chief, worker = _run_cluster(tmp_path, run, epochs=3, resume=True)
    assert chief["steps"] == worker["steps"] == 9
    for mine, theirs in zip(chief["weights"], worker["weights"]):
        np.testing.assert_array_equal(mine, theirs)
