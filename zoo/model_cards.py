"""Model cards: docs/models/<preset>.md for every shipped preset, made from its registration.

    python -m zoo.model_cards                 # writes docs/models/ (cards, samples, walks)

A card's text comes from the preset alone (paper, data and licence, the command that trained
it, hardware and time, scores beside the real data's, known limits, sha256), so a test can
render it again and compare: a card that drifts from its preset fails. The pictures are drawn
from the shipped weights: a sample grid and, for the models that map a latent code to an
image, a walk in the latent space (Radford et al. 2016, section 6.1).
"""

import os

import numpy as np

from zoo.errors import ZooError

CARDS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs",
                         "models")
# Where each dataset comes from and under which terms (docs/presets.md).
DATA = {"mnist": "MNIST (LeCun, Cortes and Burges): 60,000 training digits, 28x28 grey; "
                 "distributed by TensorFlow Datasets under CC BY-SA 3.0.",
        "horse2zebra": "horse2zebra (Zhu et al. 2017, the CycleGAN paper): domain A horses, B "
                       "zebras; 1,067 horse and 1,334 zebra training photos, 120 and 140 test "
                       "photos, drawn from ImageNet and resized here to 64x64; ImageNet's terms "
                       "of access apply (non-commercial research and education)."}
WALK_STEPS, WALK_ROWS = 10, 6
SAMPLES = 100
TRANSLATIONS = 32  # a translator's grid: 8 a row, each direction's test images over their translations


def shipped_presets():
    from zoo.registry import get_preset, list_presets
    return [get_preset(name) for name in list_presets() if get_preset(name).weights]


def _walks(preset):
    """Whether the card shows a latent walk: the models whose generator maps z to an image
    (not a conditional one, whose rows are classes, nor the RBM, which samples by Gibbs).
    clustered_gan's walk crosses clusters where its first noise coordinate crosses a band."""
    return preset.model in ("gan", "dcgan", "clustered_gan", "vae")


def _settings(preset):
    train = ", ".join(f"{key} {value}" for key, value in preset.train.items())
    model = ", ".join(f"{key} {value}" for key, value in preset.model_kwargs.items()
                      if key != "image_shape")
    return train, model


def _translates(preset):
    from zoo.registry import get_model_class
    return get_model_class(preset.model).data_needs == "pairs"


def _classifies(preset):
    from zoo.registry import get_model_class
    return get_model_class(preset.model).inference_needs_discriminator


def _scores_section(preset):
    """What the scores are, and their table beside the real data's."""
    if _classifies(preset):
        error = 100 * preset.metadata["scores"]["test_error"]
        labels = preset.model_kwargs["labelled_examples"]
        return f"""**Scores** of `classify` on the 10,000 {preset.dataset} test images
(`python -m benchmarks.semi_supervised`); its samples are not its point (feature matching
trains the generator for the classifier's sake).

| figure | this model | published |
|---|---|---|
| test error, {labels} labels | {error:.2f}% | {preset.metadata['published']} |"""
    if _translates(preset):
        side = preset.model_kwargs["image_shape"][0]
        return f"""**Scores** on the {preset.dataset} test split at {side}x{side}, both ways, on the zoo's
domain classifier (`python -m benchmarks.translation --run=DIR`; [docs/metrics.md](../metrics.md)
says what each figure is): the share of translations the classifier reads as the target
domain, and the classifier FID of the translations to the real test images of that domain.
"Untranslated" scores the test images left as they are (the floor); "real target images" puts
as many real training images of the target domain in place of the translations (the best a
translator can score).

{_translation_table(preset, side)}"""
    return f"""**Scores** on 10,000 samples against the {preset.dataset} test set, in the features of the
zoo's {preset.dataset} classifier (`python -m benchmarks.quality --preset={preset.name}`;
[docs/metrics.md](../metrics.md) says what each figure is). "Real images" are 10,000 real training images
measured the same way: the best a generator can score.

{_scores_table(preset)}"""


def _translation_table(preset, side):
    from zoo.metrics.quality import FIGURE_LABELS
    from zoo.metrics.translation import REFERENCE_SCORES
    references = REFERENCE_SCORES[(preset.dataset, side)]
    rows = ["| figure | this model | untranslated | real target images |", "|---|---|---|---|"]
    for key, value in preset.metadata["scores"].items():
        rows.append(f"| {FIGURE_LABELS[key]} | {value:g} | {references['identity'][key]:g} | "
                    f"{references['target_train_images'][key]:g} |")
    return "\n".join(rows)


def _scores_table(preset):
    from zoo.metrics.quality import FIGURE_ALIASES, FIGURE_LABELS, REAL_DATA_FLOOR
    floor = REAL_DATA_FLOOR.get(preset.dataset, {})
    rows = ["| figure | this model | real images |", "|---|---|---|"]
    for key, value in preset.metadata.get("scores", {}).items():
        name = FIGURE_ALIASES.get(key, key)
        rows.append(f"| {FIGURE_LABELS.get(name, key)} | {value:g} | {floor.get(name, '-')} |")
    return "\n".join(rows)


def render(preset):
    """The card's markdown, from the preset's registration alone."""
    meta = preset.metadata
    missing = [key for key in ("paper", "trained_with", "hardware", "limits", "scores")
               if key not in meta]
    if missing or preset.dataset not in DATA:
        raise ZooError(f"preset {preset.name!r} lacks {', '.join(missing) or 'a data licence'} "
                       "for its card: add it where the preset is registered")
    train, model = _settings(preset)
    walk = (f"\n**Walking in the latent space** (Radford et al. 2016, section 6.1): each row "
            f"goes in {WALK_STEPS} linear steps from one seed's z to another's.\n\n"
            f"![latent walks]({preset.name}_walk.png)\n") if _walks(preset) else ""
    return f"""# {preset.name}

<!-- Written by `python -m zoo.model_cards` from the preset's registration: edit that. -->

**What it is.** `zoo.load("{preset.name}")`: the zoo's `{preset.model}` model ({meta['paper']})
trained on {preset.dataset}. Model settings: {model or 'the defaults'}.

**Data.** {DATA[preset.dataset]}

**Training.** `{meta['trained_with']}` ({train}). Hardware and time: {meta['hardware']}.

{_scores_section(preset)}

**Samples** ({_samples_caption(preset)}):

![samples]({preset.name}_samples.png)
{walk}
**Known limits.** {meta['limits']}

**Files.** `saved_models/{preset.weights}/` (installed as `zoo/saved_models/{preset.weights}/`);
sha256 over its files (`zoo.saving.folder_digest`): `{preset.sha256}`.
"""


def _samples_caption(preset):
    if _translates(preset):
        return (f"`zoo.load(\"{preset.name}\").translate`: rows 1-2, test images of domain A "
                "and their translations; rows 3-4, test images of B and theirs")
    return f'`zoo.load("{preset.name}")`, seed 0'


def _latent_walks(gan):
    """WALK_ROWS rows of WALK_STEPS images, each from seed 2i's noise to seed 2i+1's."""
    rows = []
    for row in range(WALK_ROWS):
        start, end = (gan.latent_from_seed(1, 2 * row + seed).numpy() for seed in (0, 1))
        weights = np.linspace(0.0, 1.0, WALK_STEPS)[:, None]
        rows.append((1 - weights) * start + weights * end)
    with gan.averaged_weights():
        return np.asarray(gan.generator(np.concatenate(rows).astype(np.float32),
                                        training=False), np.float32)


def write_card(preset, folder=CARDS_DIR):
    """The card and its pictures, in `folder`."""
    import zoo
    from zoo.plotting import save_samples

    os.makedirs(folder, exist_ok=True)
    gan = zoo.load(preset.name)
    translates = _translates(preset)
    if translates:  # the test images it translates (the data folder must hold them)
        from zoo.metrics.translation import domain_arrays
        gan.set_sample_inputs(*domain_arrays(preset.dataset, "test",
                                             preset.model_kwargs["image_shape"][0]))
    samples, columns = gan.sample_grid(TRANSLATIONS if translates else SAMPLES, seed=0)
    save_samples(samples, os.path.join(folder, f"{preset.name}_samples.png"), columns=columns)
    if _walks(preset):
        save_samples(_latent_walks(gan), os.path.join(folder, f"{preset.name}_walk.png"),
                     columns=WALK_STEPS)
    with open(os.path.join(folder, f"{preset.name}.md"), "w") as f:
        f.write(render(preset))


def main(argv=None):
    del argv
    for preset in shipped_presets():
        write_card(preset)
        print(os.path.join(CARDS_DIR, f"{preset.name}.md"))


if __name__ == "__main__":
    main()
