"""Train a GAN from the zoo.

    python train.py --model=dcgan --dataset=mnist --epochs=1 --output_dir=runs/demo
    python train.py --preset=dcgan_mnist
    python train.py --model=gan_1d --dataset=gaussian_1d

Settings start from the model's preset for the dataset where one exists (the preset whose
model and dataset fields match; with several, the one named `<model>_<dataset>`); any flag
given overrides it. Bad input ends with one line on stderr and exit 2.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from zoo import choices  # noqa: E402  (neither imports TensorFlow: --help stays instant)
from zoo.remedies import REMEDIES  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_string("model", None, "registered model name (see zoo.list_models())")
flags.DEFINE_string("dataset", None, "registered dataset name (see zoo.list_datasets())")
flags.DEFINE_string("preset", None, "preset name (see zoo.list_presets())")
flags.DEFINE_integer("epochs", None, "epochs to train (default: the preset's)", lower_bound=1)
flags.DEFINE_integer("steps_per_epoch", None, "steps per epoch (default: one pass over the data)",
                     lower_bound=1)
flags.DEFINE_integer("batch_size", None, "minibatch size per update, across all replicas",
                     lower_bound=1)
flags.DEFINE_integer("latent_dim", None, "size of the noise vector z", lower_bound=1)
flags.DEFINE_float("g_lr", None, "generator learning rate", lower_bound=0.0)
flags.DEFINE_float("d_lr", None, "discriminator learning rate", lower_bound=0.0)
flags.DEFINE_integer("d_steps", None, "discriminator updates per generator update (k)", lower_bound=1)
flags.DEFINE_string("loss", None, "adversarial loss: non_saturating, minimax, wasserstein, hinge "
                    "or least_squares (default: the model's)")
flags.DEFINE_enum("optimizer", None, list(choices.OPTIMIZERS), "optimizer of both networks "
                  "(sgd: with momentum 0.9; default: the preset's, else adam)")
flags.DEFINE_enum("lr_decay", None, [d for d in choices.LR_DECAYS if d], "decay both learning "
                  "rates to 0: linearly over the run, or held for its first half and then "
                  "linearly (default: the preset's, else constant)")
flags.DEFINE_float("beta_1", None, "Adam's first-moment decay (default: the preset's, else 0.5)")
flags.DEFINE_float("beta_2", None, "Adam's second-moment decay (default: the preset's, else 0.999)")
flags.DEFINE_enum("d_normalization", None, list(choices.D_NORMALIZATIONS), "normalization of "
                  "the DCGAN discriminator's hidden layers (none with --spectral_norm, as in "
                  "SN-GAN)")
flags.DEFINE_enum("updates", None, list(choices.UPDATES), "alternating: D's update, "
                  "then G's loss under the updated D (default); simultaneous: both losses from one "
                  "D pass over the fakes (the TF tutorial's step)")
flags.DEFINE_float("time_budget", None, "stop training after this many seconds", lower_bound=0.0)
flags.DEFINE_integer("log_every_steps", None, "write each step's losses to TensorBoard every this "
                     "many steps (logs/steps; default: off)", lower_bound=1)
flags.DEFINE_integer("image_size", None, "resize images to this side", lower_bound=4)
flags.DEFINE_enum("distribute", "none", list(choices.STRATEGIES),
                  "tf.distribute strategy (multiworker reads TF_CONFIG)")
flags.DEFINE_integer("eval_every", None, "also measure samples every N epochs and log the figures "
                     "(default 0: only after training)", lower_bound=0)
flags.DEFINE_integer("eval_samples", None, "samples the measurements take (default: the "
                     "dataset's, 10,000 for MNIST; a translator's take the test split; 0 "
                     "measures nothing)", lower_bound=0)
flags.DEFINE_integer("max_rollbacks", None, "times a run that diverges (a NaN or infinite loss) "
                     "goes back to its last checkpoint before it stops (default 3)", lower_bound=0)
flags.DEFINE_float("rollback_lr_factor", None, "multiply the learning rates by this at each "
                   "rollback (default 0.5)", lower_bound=0.0, upper_bound=1.0)
flags.DEFINE_boolean("jit_compile", False, "compile the train step with XLA")
flags.DEFINE_enum("mixed_precision", "float32", list(choices.PRECISIONS),
                  "compute dtype (float16 adds loss scaling)")
flags.DEFINE_integer("seed", None, "random seed for reproducible runs", lower_bound=0)
flags.DEFINE_string("output_dir", "runs/latest", "run directory: checkpoints, logs, samples, model")
flags.DEFINE_boolean("resume", False, "continue the run in --output_dir if it has a checkpoint")
flags.DEFINE_string("export_dir", None, "where to export the SavedModel (default: <output_dir>/export)")
flags.DEFINE_string("data_dir", None, "tfds data directory (default: $ZOO_DATA_DIR or tfds' own)")
flags.DEFINE_string("manual_dir", None, "folder with a dataset's original files, for offline "
                    "preparation (default: $ZOO_MANUAL_DIR)")

flags.DEFINE_integer("base_filters", None, "width of the DCGAN networks (filters of the first "
                     "conv layer)", lower_bound=1)
flags.DEFINE_integer("generator_filters", None, "cyclegan, unit: width of the translators "
                     "(filters of their first conv layer; the papers' 64)", lower_bound=1)
flags.DEFINE_enum("discriminator", None, list(choices.CGAN_DISCRIMINATORS), "cgan: one score "
                  "for real and matching, or separate realness and match outputs")
flags.DEFINE_float("mismatch_weight", None, "cgan: weight of the (real image, wrong label) pairs "
                   "(0: a plain cGAN)", lower_bound=0.0, upper_bound=1.0)
flags.DEFINE_integer("labelled_examples", None, "sgan: how many training labels it may use",
                     lower_bound=1)
flags.DEFINE_integer("labelled_seed", None, "sgan: the seed that draws its labelled examples "
                     "(default: --seed)", lower_bound=0)
flags.DEFINE_integer("clusters", None, "clustered_gan: the k of k-means, the clusters of the "
                     "training images it is conditioned on", lower_bound=2)
flags.DEFINE_integer("cluster_seed", None, "clustered_gan: the seed of its k-means",
                     lower_bound=0)
flags.DEFINE_float("ema_decay", None, "keep a moving average of the generator's weights with this "
                   "decay (e.g. 0.999; 0: none): samples, evaluation, the saved model and the "
                   "export use it")
flags.DEFINE_float("feature_weight", None, "vaegan: the decoder's weight of the reconstruction in "
                   "the discriminator's features against its adversarial loss", lower_bound=0.0)

# The remedies and regularisers, one flag per row of their table (the model checks the value).
for _remedy in REMEDIES.values():
    _define = {bool: flags.DEFINE_boolean, int: flags.DEFINE_integer}.get(type(_remedy.off),
                                                                         flags.DEFINE_float)
    _define(_remedy.name, None, _remedy.help)

OVERRIDES = ("epochs", "steps_per_epoch", "batch_size", "latent_dim", "g_lr", "d_lr", "d_steps",
             "loss", "image_size", "eval_every", "eval_samples", "max_rollbacks",
             "rollback_lr_factor", "optimizer", "lr_decay", "beta_1", "beta_2", "time_budget",
             "log_every_steps", "d_normalization",
             "base_filters", "generator_filters", "discriminator", "mismatch_weight",
             "labelled_examples", "labelled_seed", "clusters", "cluster_seed", "feature_weight",
             "updates", "ema_decay",
             *REMEDIES)


def main(argv):
    if len(argv) > 1:
        from zoo.errors import ZooError
        raise ZooError(f"unexpected arguments {argv[1:]}: flags take the form --name=value")
    # Import after flag parsing so that --help is instant and bad flags cost no TF start-up.
    from zoo import training

    gan, summary = training.train(
        model=FLAGS.model, dataset=FLAGS.dataset, preset=FLAGS.preset,
        output_dir=FLAGS.output_dir, resume=FLAGS.resume, distribute=FLAGS.distribute,
        seed=FLAGS.seed, export_dir=FLAGS.export_dir, data_dir=FLAGS.data_dir,
        manual_dir=FLAGS.manual_dir, jit_compile=FLAGS.jit_compile,
        mixed_precision=FLAGS.mixed_precision,
        **{name: FLAGS[name].value for name in OVERRIDES})
    if "note" in summary:
        print(summary["note"])
    for rollback in summary.get("rollbacks", []):
        print(f"recovered: training diverged at epoch {rollback['epoch']}, step "
              f"{rollback['step']} (a NaN or infinite loss or weight) and went back to the "
              f"checkpoint of epoch {rollback['restored_epoch']} with the learning rates times "
              f"{rollback['learning_rate_factor']:g}")
    _print_end(FLAGS.model or FLAGS.preset, summary)


def _print_end(name, summary):
    """What the run measured, each figure said in words beside the real data's, and where
    its files are."""
    from zoo.metrics.quality import describe_figures

    run = summary["output_dir"]
    took = f" in {summary['train_seconds'] / 60:.1f} min" if "train_seconds" in summary else ""
    epochs = summary["completed_epochs"]
    print(f"\n{name}: {epochs} epoch{'s' * (epochs != 1)}{took}")
    for line in describe_figures(summary.get("dataset"), summary.get("metrics", {})):
        print(line)
    if summary.get("metrics"):
        print(f"every figure: {os.path.join(run, 'metrics.json')}")
    print(f"samples: {os.path.join(run, 'samples')} (a grid per epoch)")
    print(f"logs: tensorboard --logdir {os.path.join(run, 'logs')}")
    print(f"model saved to {summary['model_dir']} (zoo.load(\"{run}\"))")
    print(f"generator exported to {summary['export']}")


def run():
    from zoo.cli import run_main

    run_main(main)


if __name__ == "__main__":
    run()
