"""How well a translator carries images from one unpaired domain to the other.

Both figures read a classifier of the two domains that the zoo trains itself
(zoo.metrics.classifier; for horse2zebra at 64x64: `load_classifier("horse2zebra", image_size=64)`):
- target_share: the share of translated source images the classifier takes for the target
  domain (translated horses called zebras). Real target images score about the classifier's
  test accuracy on that domain.
- fid: the Fréchet distance between the classifier features ("features", its penultimate
  layer) of the translated images and of real target-domain test images.

Each comes with the same figure for the identity mapping (the source images left as they
are), `identity_target_share` and `identity_fid`: the floor a translator has to rise from.
A translator that fools the classifier by a few stripes gains target share but little FID; one
that only darkens or blurs gains neither.

`TranslationQuality` measures a translation model on a dataset's test split, both ways, with
the shipped domain classifier (what training's --eval_every runs on a translator).
"""

import numpy as np

from zoo.errors import ZooError
from zoo.metrics.classifier import classify
from zoo.metrics.distances import frechet_distance

# The floor and the ceiling of the figures on each (dataset, side) with a shipped classifier:
# the test images left as they are, and as many real training images of the target domain in
# place of translations (`python -m benchmarks.translation --configs=identity,target_train_images`,
# benchmarks/results/translation_horse2zebra_64.md).
REFERENCE_SCORES = {
    ("horse2zebra", 64): {
        "identity": {"a2b_target_share": 0.058, "a2b_fid": 110.93,
                     "b2a_target_share": 0.064, "b2a_fid": 110.93},
        "target_train_images": {"a2b_target_share": 0.975, "a2b_fid": 1.25,
                                "b2a_target_share": 0.964, "b2a_fid": 0.40},
    },
}
# Domain A is class 0 of the domain classifier, B class 1; a direction reads one, writes the other.
DOMAIN_CLASSES = {"a": 0, "b": 1}
DIRECTIONS = {"a2b": ("a", "b"), "b2a": ("b", "a")}


def identity(images):
    """The translation that changes nothing: the floor of the figures."""
    return images


def _images(name, images):
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4 or len(images) < 2:
        raise ZooError(f"{name} must be images of shape (N, height, width, channels) with N >= 2, "
                       f"got shape {images.shape}")
    return images


def translation_scores(translate_fn, source_images, target_images, classifier, target_class):
    """Scores of `translate_fn` (images -> images of the same shape) on `source_images`, against
    `target_images` (real images of the target domain, NHWC in [-1, 1]) on `classifier` (a
    zoo domain classifier; `target_class` is the target domain's class): a dict of
    target_share, fid, identity_target_share, identity_fid, and the counts of images compared."""
    source = _images("source_images", source_images)
    target = _images("target_images", target_images)
    if source.shape[1:] != target.shape[1:]:
        raise ZooError(f"source and target images differ in shape: {source.shape[1:]} and "
                       f"{target.shape[1:]}; load both domains at one image size")
    num_classes = int(classifier.output.shape[-1])
    if isinstance(target_class, bool) or target_class not in range(num_classes):
        raise ZooError(f"target_class must be a class of the classifier (0 to {num_classes - 1}), "
                       f"got {target_class!r}")
    translated = np.asarray(translate_fn(source), dtype=np.float32)
    if translated.shape != source.shape:
        raise ZooError(f"the translation must give one image per source image, of the same "
                       f"shape {source.shape}; it gave {translated.shape}")
    # One pass over the three sets: each call of the classifier costs a pipeline's set-up.
    features, probabilities = classify(classifier, np.concatenate([target, translated, source]))
    ends = np.cumsum([len(target), len(source)])
    target_features = features[:ends[0]]
    scores = {"source_count": len(source), "target_count": len(target)}
    # The identity mapping's translations are the source images themselves.
    for prefix, part in (("", slice(ends[0], ends[1])), ("identity_", slice(ends[1], None))):
        scores[prefix + "target_share"] = float(np.mean(probabilities[part].argmax(axis=1)
                                                        == target_class))
        scores[prefix + "fid"] = frechet_distance(target_features, features[part])
    return scores


def domain_translation_scores(translate, images_a, images_b, classifier):
    """`translation_scores` both ways: {"a2b": ..., "b2a": ...}. `translate(images, direction)`
    is a translator's (e.g. a TranslationGAN's bound `translate`); `images_a`, `images_b` are
    the real test images of each domain, each the source of one direction and the target of the
    other."""
    images = {"a": images_a, "b": images_b}
    return {direction: translation_scores(lambda x, direction=direction: translate(x, direction),
                                          images[source], images[target], classifier,
                                          DOMAIN_CLASSES[target])
            for direction, (source, target) in DIRECTIONS.items()}


def flat_translation_scores(translate, images_a, images_b, classifier):
    """`domain_translation_scores` in one flat dict: a2b_target_share, a2b_fid, ..."""
    scores = domain_translation_scores(translate, images_a, images_b, classifier)
    return {f"{direction}_{key}": value for direction, figures in scores.items()
            for key, value in figures.items()}


class TranslationQuality:
    """model -> its figures both ways on the test split, flat: a2b_target_share, a2b_fid,
    b2a_target_share, b2a_fid. The test images and the classifier are loaded once."""

    FIGURES = ("target_share", "fid")

    def __init__(self, classifier, images_a, images_b):
        self.classifier, self.images_a, self.images_b = classifier, images_a, images_b

    def __call__(self, model):
        scores = flat_translation_scores(model.translate, self.images_a, self.images_b,
                                         self.classifier)
        return {f"{direction}_{name}": scores[f"{direction}_{name}"]
                for direction in DIRECTIONS for name in self.FIGURES}


def domain_arrays(dataset, split="test", image_size=None, limit=None, manual_dir=None,
                  data_dir=None):
    """(images of domain A, images of domain B) of a split of an unpaired set, each a float32
    array in [-1, 1] of every image once in file order (the first `limit` of each)."""
    from zoo.data.unpaired import DOMAINS, domain_images

    arrays = []
    for domain in DOMAINS:
        images = domain_images(dataset, split, domain, image_size, manual_dir=manual_dir,
                               data_dir=data_dir)
        if limit:
            images = images.take(limit)
        arrays.append(np.concatenate(list(images.batch(256).as_numpy_iterator())))
    return tuple(arrays)
