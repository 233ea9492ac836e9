"""train.py, pausing inside every checkpoint write so that a test can kill -9 it there.

    ZOO_WRITE_MARKER=/tmp/marker python tests/fault_driver.py --model=gan_1d ...

With ZOO_WRITE_MARKER set, when a checkpoint's weights are written (its metadata not yet,
its folder not yet renamed into place) the driver appends a line to the marker file and
sleeps for ZOO_WRITE_PAUSE seconds (default 1). With ZOO_POISON_AT=EPOCH,STEP it sets a
generator weight to NaN after that step (once), as a diverging run would.
"""

import os
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [REPO, os.path.join(REPO, "tests")]

import keras  # noqa: E402

from zoo import run_folder, training  # noqa: E402

_save_weights = keras.Model.save_weights


def _save_weights_and_pause(model, filepath, *args, **kwargs):
    _save_weights(model, filepath, *args, **kwargs)
    if (os.environ.get("ZOO_WRITE_MARKER")
            and f"{os.sep}{run_folder.CHECKPOINT_DIR}{os.sep}" in os.fspath(filepath)):
        with open(os.environ["ZOO_WRITE_MARKER"], "a") as marker:
            marker.write(f"{filepath}\n")
        time.sleep(float(os.environ.get("ZOO_WRITE_PAUSE", "1")))


keras.Model.save_weights = _save_weights_and_pause

if os.environ.get("ZOO_POISON_AT"):
    from poison import PoisonGenerator

    epoch, step = map(int, os.environ["ZOO_POISON_AT"].split(","))
    _train = training.train
    training.train = lambda **kwargs: _train(**kwargs, callbacks=[PoisonGenerator(epoch, step)])

if __name__ == "__main__":
    sys.argv[0] = os.path.join(REPO, "train.py")
    import train

    train.run()
