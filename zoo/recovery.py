"""Training that survives being killed, and that notices when it diverges.

- `CrashSafeBackup`: keras' BackupAndRestore with every checkpoint written whole or not at
  all. Keras writes `latest.weights.h5` and `training_metadata.json` in place, one after the
  other, so a kill can leave a half-written weights file, or new weights beside the old
  epoch number (that epoch is then trained twice). Here each checkpoint is a folder
  `epoch_NNNN/` written under a temporary name, flushed to disk and renamed into place; the
  newest `keep` folders stay (an older one is renamed away before it is deleted, so a kill
  never leaves one half deleted under its name). A resume loads the newest folder that
  loads, falling back to the one before if the newest is damaged, and clears what a killed
  write left behind.
- `DivergenceGuard`: stops the epoch as soon as a logged loss is NaN or infinite (or the
  weights are, at the epoch's end), so that the trainer can roll back to the last
  checkpoint. It comes first among the callbacks and gives its verdict once: the epoch-end
  writers after it skip a diverged epoch (`diverged(model)`), so no checkpoint, sample grid
  or history entry is made from it.
- `disk_errors()`: an OSError from a write (disk full, file too large, read-only or
  unwritable folder) becomes one `ZooError` line that says which checkpoint is intact.
"""

import contextlib
import errno
import json
import math
import os
import re
import shutil
import tempfile

import keras
from absl import logging

from zoo.errors import ZooError
from zoo.internals import set_initial_epoch

WEIGHTS_FILE = "state.weights.h5"  # the model's variables and both optimizers' state
METADATA_FILE = "training_metadata.json"
_CHECKPOINT = re.compile(r"^epoch_(\d{4,})$")
STAGING_PREFIX = ".staging-"
# Errors of the disk, not of the program: they get a one-line message, not a traceback.
DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM,
               errno.EIO}


def finite(logs):
    """Whether every number in a callback's logs is finite (None and {} count as finite)."""
    return all(math.isfinite(float(value)) for value in (logs or {}).values()
               if hasattr(value, "__float__"))


def finite_weights(model):
    """Whether every weight of `model` is finite (one reduction, one read back to the host)."""
    return bool(keras.ops.all(keras.ops.stack(
        [keras.ops.all(keras.ops.isfinite(w)) for w in model.weights])))


def diverged(model):
    """Whether the DivergenceGuard has found the current epoch diverged."""
    return getattr(model, "diverged", False)


def _fsync(path):
    """Flush a file, or a folder's entries, to the disk (so a rename is not kept without them)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def checkpoints(directory):
    """[(epoch, folder)] of the whole checkpoints in `directory`, newest first."""
    if not os.path.isdir(directory):
        return []
    found = [(int(match.group(1)), os.path.join(directory, name))
             for name in os.listdir(directory) if (match := _CHECKPOINT.match(name))]
    return sorted(found, reverse=True)


def checkpointed_epoch(directory):
    """Epochs completed by the newest checkpoint in `directory` (0 without one)."""
    for epoch, folder in checkpoints(directory):
        if os.path.isfile(os.path.join(folder, WEIGHTS_FILE)):
            return epoch
    return 0


def adopt_keras_checkpoint(directory):
    """Copy a checkpoint in keras' BackupAndRestore layout (`latest.weights.h5` beside
    `training_metadata.json`, as runs made before the epoch folders wrote it) into an epoch
    folder, so that such a run resumes where it stopped. The old files stay as they are."""
    weights = os.path.join(directory, "latest.weights.h5")
    metadata = os.path.join(directory, METADATA_FILE)
    if checkpoints(directory) or not (os.path.isfile(weights) and os.path.isfile(metadata)):
        return
    with open(metadata) as f:
        epoch = int(json.load(f)["epoch"])
    staging = tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=directory)
    shutil.copy2(weights, os.path.join(staging, WEIGHTS_FILE))
    shutil.copy2(metadata, os.path.join(staging, METADATA_FILE))
    os.rename(staging, os.path.join(directory, f"epoch_{epoch:04d}"))
    logging.warning("took over the keras checkpoint of epoch %d in %s", epoch, directory)


class CrashSafeBackup(keras.callbacks.BackupAndRestore):
    """Per-epoch checkpoints that a kill at any moment leaves whole (see the module docstring).

    Before the first epoch of a new run it writes `epoch_0000`, so that a run that diverges in
    its first epoch has a state to roll back to.
    """

    def __init__(self, backup_dir, keep=2):
        super().__init__(backup_dir, save_freq="epoch", delete_checkpoint=False)
        if keep < 1:
            raise ValueError(f"keep must be at least 1, got {keep}")
        self.keep = keep

    # ------------------------------------------------------------------ restore
    def on_train_begin(self, logs=None):
        self._clear_staging()
        self._current_epoch = self._restore()
        if not checkpoints(self.backup_dir):
            self._save_model()

    def _restore(self):
        """Load the newest checkpoint that loads; return its epoch (0 without one)."""
        for epoch, folder in checkpoints(self.backup_dir):
            try:
                with open(os.path.join(folder, METADATA_FILE)) as f:
                    recorded = int(json.load(f)["epoch"])
                if recorded != epoch:
                    raise ValueError(f"records epoch {recorded}")
                self.model.load_weights(os.path.join(folder, WEIGHTS_FILE))
            except (OSError, ValueError, KeyError, TypeError) as error:
                logging.warning("checkpoint %s can't be loaded (%s); trying the one before",
                                folder, str(error).splitlines()[0])
                continue
            set_initial_epoch(self.model, epoch)
            return epoch
        if checkpoints(self.backup_dir):
            raise ZooError(f"no checkpoint in {self.backup_dir} can be loaded (see the warnings "
                           "above): restore it, or delete the run directory to start over")
        set_initial_epoch(self.model, 0)
        return 0

    def _clear_staging(self):
        if os.path.isdir(self.backup_dir):
            for name in os.listdir(self.backup_dir):
                if name.startswith(STAGING_PREFIX):
                    shutil.rmtree(os.path.join(self.backup_dir, name), ignore_errors=True)

    # ------------------------------------------------------------------ save
    def on_epoch_end(self, epoch, logs=None):
        if diverged(self.model):  # the rollback goes to the checkpoint before
            return
        super().on_epoch_end(epoch, logs)

    def _save_model(self):
        os.makedirs(self.backup_dir, exist_ok=True)
        final = os.path.join(self.backup_dir, f"epoch_{self._current_epoch:04d}")
        staging = tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.backup_dir)
        try:
            weights = os.path.join(staging, WEIGHTS_FILE)
            self.model.save_weights(weights, overwrite=True)
            metadata = os.path.join(staging, METADATA_FILE)
            with open(metadata, "w") as f:
                json.dump({"epoch": self._current_epoch}, f)
            for path in (weights, metadata, staging):
                _fsync(path)
            if os.path.exists(final):  # the same epoch again (a run resumed past its end)
                self._discard(final)
            os.rename(staging, final)
            _fsync(self.backup_dir)
        except BaseException as error:
            shutil.rmtree(staging, ignore_errors=True)
            if isinstance(error, OSError) and error.filename is None:
                error.filename = final  # h5py names the file only inside its message
            raise
        for _, older in checkpoints(self.backup_dir)[self.keep:]:
            self._discard(older)

    def _discard(self, folder):
        """Delete a checkpoint so that a kill never leaves it half deleted under its epoch's
        name: it is renamed into a staging folder first (one atomic step), then removed there
        (what a kill leaves of it is cleared at the next start)."""
        doomed = tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.backup_dir)
        os.rename(folder, os.path.join(doomed, os.path.basename(folder)))
        shutil.rmtree(doomed, ignore_errors=True)


class DivergenceGuard(keras.callbacks.Callback):
    """Stops training at the first non-finite loss or weight, remembers where, and marks the
    model `diverged` for the callbacks after it.

    The losses of an epoch's last step are computed before its update, so an update that
    breaks the weights shows only in the weights: they are checked at each epoch's end.
    `learning_rate_scale` multiplies both optimizers' learning rates when the first epoch
    begins (after the checkpoint has been restored): the trainer passes its rollback factor on
    the fit that follows a divergence.
    """

    def __init__(self, learning_rate_scale=1.0):
        super().__init__()
        self.learning_rate_scale = learning_rate_scale
        self.diverged_at = None  # (epoch, step, logs) where the divergence was seen first
        self._epoch = self._steps = 0

    def on_train_begin(self, logs=None):
        self.model.diverged = False

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        if self.learning_rate_scale != 1.0:
            for optimizer in self.model.trained_optimizers:
                if not scale_learning_rate(optimizer, self.learning_rate_scale):
                    logging.warning("%s follows a learning-rate schedule, which is kept as it "
                                    "is after the rollback", optimizer.name)
            self.learning_rate_scale = 1.0  # once, on this fit's first epoch

    def on_train_batch_end(self, batch, logs=None):
        self._steps = batch + 1
        if not finite(logs):
            self._stop(logs)

    def on_epoch_end(self, epoch, logs=None):
        if not (finite(logs) and finite_weights(self.model)):
            self._stop(logs)

    def _stop(self, logs):
        if self.diverged_at is None:
            self.diverged_at = (self._epoch + 1, self._steps,
                                {k: float(v) for k, v in logs.items() if hasattr(v, "__float__")})
        self.model.diverged = self.model.stop_training = True


def learning_rate_of(optimizer):
    """An optimizer's current learning rate (a replicated variable's too), as a float."""
    inner = getattr(optimizer, "inner_optimizer", optimizer)  # a LossScaleOptimizer's own
    return float(keras.ops.convert_to_numpy(inner.learning_rate))


def set_learning_rate(optimizer, rate):
    """Set an optimizer's constant learning rate; False (nothing set) for a schedule."""
    inner = getattr(optimizer, "inner_optimizer", optimizer)
    try:
        inner.learning_rate = rate
    except TypeError:  # keras refuses to set the rate of a schedule
        return False
    return True


def scale_learning_rate(optimizer, factor):
    """Multiply an optimizer's constant learning rate by `factor`; False for a schedule."""
    return set_learning_rate(optimizer, learning_rate_of(optimizer) * factor)


@contextlib.contextmanager
def disk_errors(checkpoint_dir):
    """Turn a failed write into one ZooError line naming the intact checkpoint."""
    try:
        yield
    except OSError as error:
        if error.errno not in DISK_ERRNOS:
            raise
        where = error.filename or "the run's files"
        kept = (f"the checkpoint of epoch {checkpointed_epoch(checkpoint_dir)} is intact"
                if checkpoints(checkpoint_dir) else "no checkpoint was written yet")
        raise ZooError(f"could not write {where}: {os.strerror(error.errno)}; {kept}: make room "
                       "(or fix the folder's permissions) and run the same command with "
                       "--resume") from None

