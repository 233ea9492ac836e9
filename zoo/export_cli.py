"""Export a trained run or a preset for TF Serving, from the shell.

    zoo-export --run runs/demo --out exports/         (or python -m zoo.export_cli ...)
    zoo-export --preset dcgan_mnist --out exports/

Prints the versioned path written, and (re)writes `<out>/models.config`, TF Serving's
--model_config_file for every model under `<out>` (`--config_base_path=/models` writes the
paths as a docker container sees the folder mounted there). In Python, call
`zoo.export(gan, "exports/")`, which is `zoo.serving.export`: this module is only the
command line (named so that no module zoo.export shadows that function).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from zoo.errors import ZooError  # noqa: E402

FLAGS = flags.FLAGS


def main(argv):
    if len(argv) > 1:
        raise ZooError(f"unexpected arguments {argv[1:]}: flags take the form --name=value")
    if bool(FLAGS.run) == bool(FLAGS.preset):
        raise ZooError("pass exactly one of --run=RUN_DIR or --preset=NAME")
    from zoo.saving import load
    from zoo.serving import export, write_models_config

    gan = load(FLAGS.run or FLAGS.preset)
    print(export(gan, FLAGS.out, name=FLAGS.name or FLAGS.preset))  # else the model's name
    write_models_config(FLAGS.out, FLAGS.config_base_path)


def run():
    """The command line (console script `zoo-export`)."""
    flags.DEFINE_string("run", None, "a run directory (or saved-model folder) to export")
    flags.DEFINE_string("preset", None, "a preset with shipped weights to export")
    flags.DEFINE_string("out", "exports", "export base directory")
    flags.DEFINE_string("name", None, "model name in the export path (default: the preset's, "
                        "or the name the model was trained under)")
    flags.DEFINE_string("config_base_path", None, "the export folder as the server sees it, "
                        "for the paths in models.config (default: --out's absolute path)")
    from zoo.cli import run_main

    run_main(main)


if __name__ == "__main__":
    run()
