"""The files of a run folder, and the checks made before a run writes any.

    run.json         the resolved settings (a resume must keep the model and data)
    checkpoint/      epoch_NNNN/: weights, both optimizers and the epoch, each written whole
                     (zoo.recovery.CrashSafeBackup); the newest two are kept
    logs/            TensorBoard
    samples/         epoch_0001.png, ...
    model/           the trained model (zoo.load(run_dir) reads it)
    export/<name>/<version>/   the SavedModel (unless --export_dir says elsewhere)
    history.json     every epoch's losses, across resumed calls
    metrics.json     figures measured on generated samples, where the dataset defines them
    result.json      written last: the history, metrics and paths of the finished run

JSON files are written whole or not at all (a temporary file, then a rename).
"""

import json
import math
import os
import shutil

import numpy as np

from zoo import recovery
from zoo.checks import writable_folder
from zoo.errors import ZooError

RESULT_FILE = "result.json"  # written last: the run finished the epochs it records
HISTORY_FILE = "history.json"
RECORD_FILE = "run.json"
METRICS_FILE = "metrics.json"
CHECKPOINT_DIR = "checkpoint"
LOGS_DIR = "logs"
SAMPLES_DIR = "samples"
EXPORT_DIR = "export"


def own_folder(path, strategy, chief):
    """Where this worker writes what `path` would hold: `path` itself on the chief. Another
    worker writes the same files (every worker runs the same saving code) to a folder of its
    own beside it, which it also restores from after a restart (BackupAndRestore)."""
    if chief or path is None:
        return path
    resolver = strategy.cluster_resolver
    return f"{os.path.normpath(path)}.{resolver.task_type}_{resolver.task_id}"


def check_writable_dir(option, path):
    """`path` made absolute, or a ZooError if it can't be (made and) written as a directory."""
    if not isinstance(path, (str, os.PathLike)) or not os.fspath(path).strip():
        raise ZooError(f"{option} must name a directory (e.g. runs/demo), got {path!r}")
    path = os.path.abspath(path)
    if os.path.exists(path) and not os.path.isdir(path):
        raise ZooError(f"{option} {path} is a file; pass a directory")
    if not writable_folder(path):
        raise ZooError(f"can't write to {option} {path} (not a writable directory); pick another")
    return path


def check_output_dir(path, resume, settings_record):
    """Refuse a run directory that can't be used, before anything is written or trained."""
    path = check_writable_dir("--output_dir", path)
    record_file = os.path.join(path, RECORD_FILE)
    previous = None
    if os.path.exists(record_file):
        if not resume:
            raise ZooError(f"{path} already holds a run: pass --resume to continue it, or pick "
                           "another --output_dir")
        previous = read_json(record_file, kind=dict)
        read_json(os.path.join(path, HISTORY_FILE), kind=list)  # damaged: refused before any write
        for key in ("model", "dataset", "model_kwargs"):
            if previous.get(key) != settings_record[key]:
                raise ZooError(f"--resume: this run was started with {key}={previous.get(key)!r}, "
                               f"not {settings_record[key]!r}; resume with the same settings")
    return path, previous


def write_record(path, settings_record):
    """Create the run directory and record the settings it runs with (a resume updates them)."""
    os.makedirs(path, exist_ok=True)
    write_json(os.path.join(path, RECORD_FILE), settings_record)


_DAMAGED = "the run directory is damaged: restore or delete that file"


def read_json(path, default=None, kind=None):
    """The file's value, or `default` when it does not exist. With `kind` (dict or list), a
    value of another type is a damaged file; a list's items must then be dicts."""
    try:
        with open(path) as f:
            value = json.load(f)
    except FileNotFoundError:
        return default
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ZooError(f"{path} is not valid JSON ({error}); {_DAMAGED}") from None
    except IsADirectoryError:
        raise ZooError(f"{path} is a folder where a file was expected; {_DAMAGED}") from None
    if kind is not None and not (isinstance(value, kind) and (
            kind is not list or all(isinstance(item, dict) for item in value))):
        what = "a list of objects" if kind is list else "an object"
        raise ZooError(f"{path} holds {json.dumps(value)[:40]} where {what} was expected; {_DAMAGED}")
    return value


def checkpointed_epoch(output_dir):
    """Epochs completed by the newest checkpoint, 0 without one."""
    return recovery.checkpointed_epoch(os.path.join(output_dir, CHECKPOINT_DIR))


# Room for what a run writes besides its checkpoints: logs, sample grids, the export's graph.
FILES_MARGIN_BYTES = 16 << 20


def check_free_space(gan, paths, keep_checkpoints):
    """Refuse to start when the disk can't hold the run's files (a rough upper estimate)."""
    def size(variables):  # from shapes and dtypes: no copy of the values
        return sum(math.prod(v.shape) * np.dtype(v.dtype).itemsize for v in variables)

    state = size(gan.weights + [v for o in gan.trained_optimizers for v in o.variables])
    generator = size(gan.generator.weights)
    # keep_checkpoints whole ones and one being written, the final model, the export.
    needed = state * (keep_checkpoints + 1) + state + generator + FILES_MARGIN_BYTES
    for path in paths:
        existing = os.path.abspath(path)
        while not os.path.exists(existing):
            existing = os.path.dirname(existing)
        free = shutil.disk_usage(existing).free
        if free < needed:
            raise ZooError(f"{existing} has {free / 2**20:.0f} MiB free but this run needs about "
                           f"{needed / 2**20:.0f} MiB: make room or pick another --output_dir")


def write_json(path, value):
    """Write whole or not at all: a crash mid-write leaves the old file (or none)."""
    with open(path + ".tmp", "w") as f:
        json.dump(value, f, indent=2)
    os.replace(path + ".tmp", path)
