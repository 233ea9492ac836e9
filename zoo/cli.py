"""Running an absl program so that bad input costs one line and exit status 2, no traceback."""

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


def run_main(main):
    """`absl.app.run(main)`, turning flag errors and `ZooError`s into one line and exit 2."""

    def guarded(argv):
        if not flags.FLAGS["verbosity"].present:
            logging.set_verbosity(logging.WARNING)  # keep tfds' and TF's INFO lines out of the way
        try:
            return main(argv)
        except ZooError as error:
            _fail(error)

    app.run(guarded, flags_parser=_parse_flags)
