"""The package as users install it: a wheel that carries the shipped presets and classifiers."""

import glob
import os
import subprocess
import sys
import zipfile

import pytest

import zoo
from tests.conftest import REPO
from zoo.metrics.classifier import SHIPPED as SHIPPED_CLASSIFIERS


def _shipped_folders():
    """Every folder of saved_models/ that a registered preset or classifier names."""
    presets = [zoo.get_preset(name).weights for name in zoo.list_presets()]
    return sorted({p for p in presets if p} | {c["folder"] for c in SHIPPED_CLASSIFIERS.values()})


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    # No build isolation: the build uses the installed setuptools, offline.
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                             "--no-build-isolation", "-w", str(out), str(REPO)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return glob.glob(str(out / "*.whl"))[0]


def test_the_wheel_holds_every_shipped_file_byte_for_byte(wheel):
    with zipfile.ZipFile(wheel) as archive:
        held = set(archive.namelist())
        for folder in _shipped_folders():
            files = os.listdir(os.path.join(REPO, "saved_models", folder))
            assert files, folder
            for name in files:
                member = f"zoo/saved_models/{folder}/{name}"
                assert member in held, f"{member} is not in the wheel"
                with open(os.path.join(REPO, "saved_models", folder, name), "rb") as f:
                    assert archive.read(member) == f.read(), member


@pytest.mark.slow
def test_an_installed_wheel_loads_a_preset_and_runs_its_scripts_outside_the_clone(wheel, tmp_path):
    venv = tmp_path / "venv"
    # The virtualenv sees the installed dependencies (TensorFlow), not this clone: the zoo it
    # imports is the wheel's.
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", wheel], check=True,
                   capture_output=True, timeout=300)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZOO_")}
    code = ("import zoo, zoo.saving, zoo.metrics.classifier as c; "
            "print(zoo.__file__); print(zoo.saving.preset_dir()); "
            "print('x'.join(map(str, zoo.load('dcgan_mnist').generate(4, seed=0).shape))); "
            "print(c.load_classifier('mnist') is not None)")
    result = subprocess.run([python, "-c", code], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    module, presets, shape, classifier = result.stdout.split()[-4:]
    site = str(venv / "lib")
    assert module.startswith(site) and presets.startswith(site), result.stdout
    assert shape == "4x28x28x1", result.stdout
    assert classifier == "True"
    # The console scripts list their own flags (absl lists the main module's, which a console
    # script's is not). absl's --help exits with status 1.
    for script, flag in (("zoo-train", "--epochs"), ("zoo-export", "--preset")):
        shown = subprocess.run([str(venv / "bin" / script), "--help"], cwd=tmp_path, env=env,
                               capture_output=True, text=True, timeout=300)
        assert flag in shown.stdout, shown.stdout + shown.stderr
