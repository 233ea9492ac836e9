"""train.py end to end, as a user runs it."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import zoo
from conftest import REPO, needs_mnist
from zoo import choices


# train.py's enum flags and the zoo's choices they offer.
ENUM_FLAGS = {"optimizer": choices.OPTIMIZERS, "lr_decay": choices.LR_DECAYS,
              "d_normalization": choices.D_NORMALIZATIONS, "updates": choices.UPDATES,
              "distribute": choices.STRATEGIES, "mixed_precision": choices.PRECISIONS,
              "discriminator": choices.CGAN_DISCRIMINATORS}


def train(*args, cwd=None):
    return subprocess.run([sys.executable, os.path.join(REPO, "train.py"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.slow
@needs_mnist
def test_dcgan_on_mnist_writes_a_whole_run_and_resumes(tmp_path):
    run = tmp_path / "demo"
    common = ["--model=dcgan", "--dataset=mnist", "--steps_per_epoch=2", "--batch_size=16",
              "--seed=0", "--eval_samples=1000", f"--output_dir={run}"]
    first = train(*common, "--epochs=1")
    assert first.returncode == 0, first.stderr[-3000:]
    assert (run / "samples" / "epoch_0001.png").stat().st_size > 1000
    assert any(name.startswith("events.out.tfevents") for name in os.listdir(run / "logs" / "train"))
    assert sorted(os.listdir(run / "checkpoint")) == ["epoch_0000", "epoch_0001"]
    assert (run / "export" / "dcgan_mnist" / "1" / "saved_model.pb").is_file()
    assert json.loads((run / "metrics.json").read_text())["fid"] > 0  # from --eval_samples=1000

    second = train(*common, "--epochs=2", "--resume")
    assert second.returncode == 0, second.stderr[-3000:]
    assert "Epoch 2/2" in second.stdout and "Epoch 1/2" not in second.stdout  # continued, not restarted
    assert sorted(os.listdir(run / "checkpoint")) == ["epoch_0001", "epoch_0002"]  # the newest two
    assert (run / "samples" / "epoch_0002.png").is_file()
    assert (run / "export" / "dcgan_mnist" / "2" / "saved_model.pb").is_file()

    gan = zoo.load(str(run))
    images = gan.generate(4, seed=0)
    assert images.shape == (4, 28, 28, 1) and -1 <= images.min() and images.max() <= 1


def test_gan_1d_reports_its_statistics(tmp_path):
    result = train("--model=gan_1d", "--dataset=gaussian_1d", "--epochs=1", "--steps_per_epoch=5",
                   f"--output_dir={tmp_path / 'toy'}")
    assert result.returncode == 0, result.stderr[-3000:]
    for name in ("mean", "std", "ks"):
        assert f"\n{name}: " in "\n" + result.stdout
    # The end of the run says what it measures and where the run's files are.
    assert "measuring 10,000 samples" in result.stdout
    assert f"tensorboard --logdir {tmp_path / 'toy' / 'logs'}" in result.stdout
    metrics = json.loads((tmp_path / "toy" / "metrics.json").read_text())
    assert set(metrics) == {"mean", "std", "ks"} and np.isfinite(metrics["std"])
    assert (tmp_path / "toy" / "samples" / "epoch_0001.png").is_file()


def test_the_optimizer_flags_reach_the_run(tmp_path):
    run = tmp_path / "run"
    result = train("--model=gan", "--dataset=ring8", "--epochs=1", "--steps_per_epoch=2",
                   "--eval_samples=0", "--lr_decay=linear", "--beta_1=0.8", "--beta_2=0.99",
                   f"--output_dir={run}")
    assert result.returncode == 0, result.stderr[-3000:]
    settings = json.loads((run / "run.json").read_text())["train"]
    assert (settings["lr_decay"], settings["beta_1"], settings["beta_2"]) == ("linear", 0.8, 0.99)


def test_train_py_offers_every_choice_without_importing_tensorflow():
    script = ("import json, sys; sys.argv = ['train.py']; import train; "
              "print(json.dumps([{name: train.FLAGS[name].parser.enum_values for name in %r}, "
              "'tensorflow' in sys.modules]))" % list(ENUM_FLAGS))
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    offered, imported_tensorflow = json.loads(result.stdout)
    assert offered == {name: [c for c in values if c] for name, values in ENUM_FLAGS.items()}
    assert not imported_tensorflow


def test_offline_dataset_without_files_says_which_files(tmp_path):
    empty = tmp_path / "files"
    empty.mkdir()
    result = train("--model=dcgan", "--dataset=cifar10", f"--manual_dir={empty}",
                   f"--data_dir={tmp_path / 'tfds'}", f"--output_dir={tmp_path / 'run'}")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "lacks cifar-10-binary.tar.gz" in result.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "run").exists()


def test_output_dir_problems_are_refused(tmp_path):
    (tmp_path / "file").write_text("keep me")
    result = train("--model=gan_1d", "--dataset=gaussian_1d", f"--output_dir={tmp_path / 'file'}")
    assert result.returncode == 2 and "is a file" in result.stderr
    assert (tmp_path / "file").read_text() == "keep me"

    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "run.json").write_text("{}")
    result = train("--model=gan_1d", "--dataset=gaussian_1d", f"--output_dir={tmp_path / 'old'}")
    assert result.returncode == 2 and "already holds a run: pass --resume" in result.stderr
    assert os.listdir(tmp_path / "old") == ["run.json"]

    (tmp_path / "old" / "run.json").write_text('{"model": "gan_1d"')  # cut short
    result = train("--model=gan_1d", "--dataset=gaussian_1d", f"--output_dir={tmp_path / 'old'}",
                   "--resume")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "run.json is not valid JSON" in result.stderr.strip().splitlines()[-1]
    assert (tmp_path / "old" / "run.json").read_text() == '{"model": "gan_1d"'
