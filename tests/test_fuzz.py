"""Fuzzing, bounded in count and seeded: random and mutated inputs at the exported
signatures, and damaged model folders at zoo.load. Only clean errors may come back: the
signatures' own InvalidArgument messages, or one ZooError line."""

import json
import os
import random
import shutil

import numpy as np
import pytest
import tensorflow as tf

import zoo
from tiny import TINY_CONFIGS
from zoo import saving, serving

# What a signature may answer a request with.
SIGNATURE_MESSAGES = ("must have shape", "must hold as many rows each", "rows (split a larger request)",
                      "must lie in")
REQUESTS = 60
DAMAGED_FOLDERS = 60


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("exports"))
    return {name: tf.saved_model.load(zoo.export(zoo.create(name, **TINY_CONFIGS[name]), folder))
            for name in ("gan_1d", "cgan", "cyclegan")}


def _random_array(rng, dtype, rows):
    rank = rng.choice([0, 1, 1, 2, 2, 2, 3, 4, 4, 5])
    shape = [rows] + [rng.choice([0, 1, 3, 4, 16]) for _ in range(max(rank - 1, 0))]
    shape = shape[:rank]
    if dtype.is_integer:
        return rng.integers(-5, 8, shape).astype(dtype.as_numpy_dtype)
    values = rng.choice([0.0, 1.0, -1.0, np.nan, np.inf, 1e30, 255.0], shape)
    return values.astype(dtype.as_numpy_dtype)


def test_random_requests_get_an_answer_or_the_signatures_own_error(served):
    rng = np.random.default_rng(0)
    endpoints = [(name, key) for name, model in served.items() for key in model.signatures]
    for request in range(REQUESTS):
        name, key = endpoints[rng.integers(len(endpoints))]
        signature = served[name].signatures[key]
        specs = signature.structured_input_signature[1]
        rows = int(rng.choice([0, 1, 2, 3, serving.MAX_REQUEST_ROWS + 1]))
        feed = {input_name: tf.constant(_random_array(rng, spec.dtype, rows))
                for input_name, spec in specs.items()}
        try:
            signature(**feed)
        except tf.errors.InvalidArgumentError as error:
            assert any(m in error.message for m in SIGNATURE_MESSAGES), (name, key, error.message)


def _flip_bytes(rng, path):
    data = bytearray(open(path, "rb").read())
    for _ in range(rng.randint(1, 8)):
        if data:
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    open(path, "wb").write(bytes(data))


def _truncate(rng, path):
    with open(path, "r+b") as f:
        f.truncate(rng.randrange(max(os.path.getsize(path), 1)))


def _odd_config_value(rng, path):
    saved = json.load(open(path))
    key = rng.choice(sorted(saved["config"]))
    saved["config"][key] = rng.choice([None, -1, 0, 10 ** 12, "x", [], {}, 1.5, True, [1, 2]])
    json.dump(saved, open(path, "w"))


def _remove(rng, path):
    os.remove(path)


MUTATIONS = (_flip_bytes, _truncate, _odd_config_value, _remove)


@pytest.fixture(scope="module")
def saved_models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("saved")
    return [saving.save(zoo.create(name, **TINY_CONFIGS[name]), folder / name)
            for name in ("gan_1d", "dcgan", "vae")]


def test_damaged_model_folders_load_or_give_one_zoo_error_line(saved_models, tmp_path):
    rng = random.Random(0)
    for case in range(DAMAGED_FOLDERS):
        source = rng.choice(saved_models)
        folder = shutil.copytree(source, tmp_path / f"case{case}")
        files = sorted(os.listdir(folder))
        target = rng.choice(files)
        mutation = rng.choice(MUTATIONS)
        if mutation is _odd_config_value and target != saving.CONFIG_FILE:
            target = saving.CONFIG_FILE
        mutation(rng, os.path.join(folder, target))
        try:
            zoo.load(str(folder))
        except zoo.ZooError as error:
            assert "\n" not in str(error), (mutation.__name__, target, str(error))
        except Exception as error:  # noqa: BLE001 - what the fuzz looks for
            pytest.fail(f"{mutation.__name__} of {os.path.basename(source)}/{target}: "
                        f"{type(error).__name__}: {str(error)[:300]}")
