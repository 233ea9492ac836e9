"""Unpaired translation on horse2zebra, scored on the zoo's horse/zebra classifier.

    python -m benchmarks.translation --configs=identity,cyclegan_64 --minutes=60 \
        --manual_dir=FOLDER --out=benchmarks/results/translation_horse2zebra_64.md
    python -m benchmarks.translation --run=runs/h2z_64 --manual_dir=FOLDER  # a trained run
        (and its per-epoch curve, where it trained with --eval_every)

FOLDER holds horse2zebra's trainA/ trainB/ testA/ testB/ (or FOLDER/horse2zebra does; the
environment variable ZOO_MANUAL_DIR does as well as the flag).

Each configuration translates the test split (120 horses, 140 zebras) at --image_size both
ways, and zoo.metrics.translation scores it on the shipped horse/zebra classifier at that size
(or --classifier=DIR): the share of translated horses the classifier calls zebras and their
classifier-feature FID to the real test zebras (a2b), and the same from zebras to horses (b2a).
Rows:
- identity: the images left as they are, the floor;
- target_train_images: as many real train images of the target domain as there are sources, in
  place of translations: what a perfect translator would score against the same test images
  (with 120-140 images a side the FID is far from 0 even for real images; the classifier was
  trained on these images, so their share is its train accuracy, a little above a new image's);
- each of CONFIGS: its preset trained for --minutes of training time (or --epochs; by default
  the preset's own 200 epochs), the data read from --manual_dir; a time budget cuts the run
  before CycleGAN's learning-rate decay, which is laid out over the preset's epochs;
- each --run: a run directory trained already, loaded with zoo.load.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from benchmarks import (check_configurations, completed_epochs, define_configuration_flags,  # noqa: E402
                        emit, run_label, train_preset)

FLAGS = flags.FLAGS

DATASET = "horse2zebra"
# Rows that train nothing.
BASELINES = ("identity", "target_train_images")
CONFIGS = {  # label -> (preset, overrides); the preset must translate --image_size images
    "cyclegan_64": ("cyclegan_horse2zebra_64", {}),
    "cyclegan_128": ("cyclegan_horse2zebra_128", {}),
    "unit_64": ("unit_horse2zebra_64", {}),
    "unit_128": ("unit_horse2zebra_128", {}),
}


def baseline_translator(label, train_a, train_b):
    """translate(images, direction) of a row that trains nothing."""
    if label == "identity":
        return lambda images, direction: images
    targets = {"a2b": train_b, "b2a": train_a}
    return lambda images, direction: targets[direction][:len(images)]


def config_side(label):
    """The side of the images a configuration of CONFIGS trains on."""
    import zoo

    preset_name, overrides = CONFIGS[label]
    return overrides.get("image_size") or zoo.get_preset(preset_name).train.get("image_size")


def check_side(gan, label, image_size):
    """Refuse a model that does not translate `image_size` images (the classifier's)."""
    from zoo.errors import ZooError

    shape = tuple(getattr(gan, "image_shape", ()))
    if len(shape) != 3 or not hasattr(gan, "translate"):
        raise ZooError(f"{label} is no translation model (it has no translate(images, direction))")
    if shape[0] != image_size:
        raise ZooError(f"{label} translates {shape[0]}x{shape[1]} images: measure it with "
                       f"--image_size={shape[0]} (and a classifier of that size)")


def _cell(value, fmt):
    return "-" if value is None else format(value, fmt)


def table(results, image_size, classifier_info):
    accuracy = classifier_info.get("test_accuracy")
    rows = ["| configuration | a2b zebra share | a2b FID | b2a horse share | b2a FID | epochs "
            "| training steps | minutes |", "|---|---|---|---|---|---|---|---|"]
    for label, r in results.items():
        rows.append(f"| {label} | {100 * r['a2b_target_share']:.1f}% | {r['a2b_fid']:.2f} | "
                    f"{100 * r['b2a_target_share']:.1f}% | {r['b2a_fid']:.2f} | "
                    f"{_cell(r.get('epochs'), 'd')} | {_cell(r.get('steps'), 'd')} | "
                    f"{_cell(r.get('seconds') and r['seconds'] / 60, '.1f')} |")
    any_row = next(iter(results.values()), {})
    rows += ["", f"{image_size}x{image_size}; {any_row.get('a2b_source_count', '?')} test horses, "
             f"{any_row.get('b2a_source_count', '?')} test zebras. Classifier: "
             f"{classifier_info.get('command', '?')} (test accuracy "
             f"{_cell(accuracy and 100 * accuracy, '.1f')}%). Share: translated images the "
             "classifier assigns to the target domain; FID: on the classifier's 128 features, "
             "to the real test images of the target domain. Minutes: the whole training call's "
             "wall time (data, tracing and export included)."]
    return "\n".join(rows)


CURVE_FIGURES = {"a2b_target_share": "a2b zebra share", "a2b_fid": "a2b FID",
                 "b2a_target_share": "b2a horse share", "b2a_fid": "b2a FID"}


def curve_table(run_dir):
    """The run's figures after each epoch it measured (train.py --eval_every), read from its
    history.json: the averaged translators' and, with EMA on, the raw ones'; None if it
    measured none."""
    from zoo.run_folder import HISTORY_FILE, read_json

    history = read_json(os.path.join(run_dir, HISTORY_FILE), default=[], kind=list)
    measured = [(epoch, logs) for epoch, logs in enumerate(history, 1)
                if "quality/a2b_fid" in logs]
    if not measured:
        return None
    prefixes = [p for p in ("quality", "quality_raw") if f"{p}/a2b_fid" in measured[0][1]]
    names = {"quality": "", "quality_raw": "raw "}
    header = ["epoch"] + [names[p] + label for p in prefixes for label in CURVE_FIGURES.values()]
    rows = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for epoch, logs in measured:
        cells = [_figure(figure, logs[f"{p}/{figure}"]) for p in prefixes for figure in CURVE_FIGURES]
        rows.append(f"| {epoch} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _figure(name, value):
    return f"{100 * value:.1f}%" if name.endswith("share") else f"{value:.2f}"


def load_classifier_for(image_size, folder=None):
    """The classifier in `folder`, else the shipped horse/zebra one at `image_size`."""
    from zoo.metrics.classifier import load_classifier, load_classifier_dir

    return load_classifier_dir(folder) if folder else load_classifier(DATASET, image_size=image_size)


def run(labels, run_dirs=(), image_size=64, minutes=None, epochs=None, seed=0, manual_dir=None,
        data_dir=None, classifier_dir=None):
    """Measure each of `labels` (BASELINES and CONFIGS) and each run directory: ({label:
    figures}, the classifier's info)."""
    import zoo
    from zoo.errors import ZooError
    from zoo.metrics.translation import domain_arrays, flat_translation_scores

    for label in labels:  # before anything trains: a preset at another size would be wasted
        if label in CONFIGS and config_side(label) != image_size:
            raise ZooError(f"{label} trains on {config_side(label)}-pixel images, not --image_size="
                           f"{image_size}: leave it out of --configs or change --image_size")
    classifier = load_classifier_for(image_size, classifier_dir)
    side = int(classifier.input.shape[1])
    if side != image_size:
        raise ZooError(f"the classifier reads {side}x{side} images, not {image_size}x{image_size}: "
                       f"pass --image_size={side} or a classifier of that size")
    data = dict(image_size=image_size, manual_dir=manual_dir, data_dir=data_dir)
    test_a, test_b = domain_arrays(DATASET, "test", **data)
    train_a, train_b = (domain_arrays(DATASET, "train", limit=max(len(test_a), len(test_b)), **data)
                        if "target_train_images" in labels else (None, None))
    results = {}

    def report(label, translate, **figures):
        results[label] = dict(flat_translation_scores(translate, test_a, test_b, classifier),
                              **figures)
        print(f"{label}: " + ", ".join(f"{k} {v:.4f}" for k, v in results[label].items()
                                       if isinstance(v, float)), flush=True)

    for label in labels:
        if label in BASELINES:
            report(label, baseline_translator(label, train_a, train_b))
            continue
        preset, overrides = CONFIGS[label]
        gan, summary, seconds = train_preset(
            preset, dict(overrides, manual_dir=manual_dir, data_dir=data_dir), seed, minutes, epochs)
        check_side(gan, label, image_size)
        report(label, gan.translate, epochs=summary["completed_epochs"],
               steps=int(gan.g_optimizer.iterations), seconds=seconds)
    for run_dir in run_dirs:
        gan = zoo.load(run_dir)
        check_side(gan, run_dir, image_size)
        report(run_label(run_dir), gan.translate, epochs=completed_epochs(run_dir))
    return results, classifier.info


def main(argv):
    del argv
    check_configurations(FLAGS.configs, dict.fromkeys(BASELINES) | CONFIGS)
    if FLAGS["configs"].present:
        configs = FLAGS.configs
    elif FLAGS.run:  # the runs, beside the identity floor only
        configs = ["identity"]
    else:  # everything that translates --image_size images
        configs = [c for c in FLAGS.configs if c in BASELINES or config_side(c) == FLAGS.image_size]
    results, info = run(configs, FLAGS.run or (), FLAGS.image_size, FLAGS.minutes, FLAGS.epochs,
                        FLAGS.seed, FLAGS.manual_dir, FLAGS.data_dir, FLAGS.classifier)
    text = table(results, FLAGS.image_size, info)
    for run_dir in FLAGS.run or ():
        curve = curve_table(run_dir)
        if curve:
            text += (f"\n\n{run_label(run_dir)} after each epoch (its run's --eval_every "
                     f"figures, the same test images and classifier):\n\n{curve}")
    emit(text, FLAGS.out, results)


if __name__ == "__main__":
    # Without --configs: the baselines and the configurations at --image_size.
    define_configuration_flags(list(BASELINES) + list(CONFIGS), minutes=None)
    flags.DEFINE_integer("epochs", None, "epochs per configuration instead of --minutes "
                         "(default: the preset's)", lower_bound=1)
    flags.DEFINE_integer("image_size", 64, "side of the images translated and classified",
                         lower_bound=8)
    flags.DEFINE_multi_string("run", None, "a trained run directory to measure (repeatable)")
    flags.DEFINE_string("classifier", None, "folder of a domain classifier to use instead of "
                        "the shipped one (python -m zoo.metrics.classifier --out=DIR)")
    flags.DEFINE_string("manual_dir", None, "folder holding horse2zebra's trainA/ ... testB/ "
                        "(or a folder holding horse2zebra/)")
    flags.DEFINE_string("data_dir", None, "tensorflow-datasets folder")
    from benchmarks import run_benchmark

    run_benchmark(main)
