"""Running an absl program so that bad input costs one line and exit status 2, no traceback."""

import os
import sys

from absl import app, flags, logging

from zoo.errors import ZooError

USAGE_ERROR = 2


def _fail(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(USAGE_ERROR)


def _parse_flags(argv):
    try:
        return flags.FLAGS(argv)
    except flags.Error as error:
        _fail(f"{error} (see --helpfull)")


def check_out_file(path):
    """An --out file must be writable where it is named, checked before the work it reports."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise ZooError(f"--out={path} is a folder: name a file (e.g. benchmarks/results/x.md)")
    if not os.path.isdir(folder):
        raise ZooError(f"--out={path}: the folder {folder} does not exist; make it first")
    if not os.access(folder, os.W_OK):
        raise ZooError(f"--out={path}: can't write to {folder}; pick another folder")


def run_main(main):
    """`absl.app.run(main)`, turning flag errors and `ZooError`s into one line and exit 2. A
    program's --out (the benchmarks') is checked before `main` runs."""

    def guarded(argv):
        if not flags.FLAGS["verbosity"].present:
            logging.set_verbosity(logging.WARNING)  # keep tfds' and TF's INFO lines out of the way
        try:
            if "out" in flags.FLAGS and flags.FLAGS.out:
                check_out_file(flags.FLAGS.out)
            return main(argv)
        except ZooError as error:
            _fail(error)

    app.run(guarded, flags_parser=_parse_flags)
