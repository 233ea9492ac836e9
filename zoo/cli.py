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


def _own_flags_in_help(main):
    """Make `--help` list the program's flags when it runs as a console script: absl lists
    those of the module named by sys.argv[0] (the script, which defines none)."""
    module = sys.modules[main.__module__]
    for flag in flags.FLAGS.get_key_flags_for_module(module):
        flags.FLAGS.register_key_flag_for_module(sys.argv[0], flag)


def run_main(main):
    """`absl.app.run(main)`, turning flag errors and `ZooError`s into one line and exit 2."""
    _own_flags_in_help(main)

    def guarded(argv):
        if not flags.FLAGS["verbosity"].present:
            logging.set_verbosity(logging.WARNING)  # keep tfds' and TF's INFO lines out of the way
        try:
            return main(argv)
        except ZooError as error:
            _fail(error)

    app.run(guarded, flags_parser=_parse_flags)
