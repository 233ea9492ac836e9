"""Tiny configurations of every registered model, so tests build and step them in seconds."""

import numpy as np
import tensorflow as tf

_TINY_POINTS = dict(image_shape=(2,), latent_dim=2, g_hidden=(8,), d_hidden=(8,), maxout_pieces=2)
_TINY_IMAGES = dict(image_shape=(16, 16, 1), latent_dim=4, base_filters=4)

TINY_CONFIGS = {
    "gan": dict(image_shape=(8, 8, 1), latent_dim=4, g_hidden=(16,), d_hidden=(8,), maxout_pieces=2),
    "gan_1d": dict(latent_dim=1, hidden=(8,)),
    "dcgan": dict(_TINY_IMAGES),
    # The loss family: the MLPs for points on one, the DCGAN networks on the others.
    "wgan": dict(_TINY_POINTS),
    "wgan_gp": dict(_TINY_IMAGES),
    "lsgan": dict(_TINY_IMAGES),
    "ebgan": dict(_TINY_IMAGES, code_dim=4),
    # Conditional: labelled batches (x, y) of 16x16 images, 3 classes.
    "cgan": dict(_TINY_IMAGES, num_classes=3),
    "acgan": dict(_TINY_IMAGES, num_classes=3),
    "infogan": dict(_TINY_IMAGES, categories=3, continuous=2),
    "clustered_gan": dict(_TINY_IMAGES, clusters=3),
    "stackgan": dict(_TINY_IMAGES, num_classes=3, condition_dim=2, embedding_dim=4,
                     stage_one_filters=8, stage_two_filters=8, residual_blocks=1),
    "cyclegan": dict(image_shape=(16, 16, 3), generator_filters=4, discriminator_filters=4,
                     residual_blocks=1, pool_size=3),
    "unit": dict(image_shape=(16, 16, 3), generator_filters=4, discriminator_filters=4,
                 residual_blocks=1, shared_blocks=1, pool_size=3),
    # An encoder beside the generator.
    "bigan": dict(_TINY_IMAGES),
    "vaegan": dict(_TINY_IMAGES),
    "dtn": dict(image_shape=(16, 16, 1), encoder=None, base_filters=4),
    # The likelihood baselines.
    "vae": dict(_TINY_IMAGES),
    "rbm": dict(image_shape=(8, 8, 1), hidden_units=8, gibbs_steps=5),
    "sgan": dict(image_shape=(8, 8, 1), latent_dim=4, num_classes=3, labelled_examples=3,
                 g_hidden=(16,), d_hidden=(16, 8)),
}

# Randomness that is not drawn from the model's noise stream, turned off so that two runs
# see the same thing: dropout (gan) and sgan's Gaussian noise layers.
DETERMINISTIC = {"gan": dict(input_dropout=0.0, dropout=0.0),
                 "sgan": dict(input_noise=0.0, hidden_noise=0.0)}


def trained_networks(gan):
    """Every network a model trains, by name: the generator-side ones, for a GAN D, and the
    average of the generator's weights where generator EMA is on."""
    critic = {"discriminator": gan.discriminator} if hasattr(gan, "discriminator") else {}
    average = ({"generator_average": gan.generator_average}
               if gan.generator_average is not None else {})
    return {**gan.generator_networks(), **critic, **average}


def tiny_batch(gan, size=None, seed=0):
    """A fit batch for `gan` (by default `d_steps` minibatches of 8): examples uniform in
    [-1, 1], with labels (x, y) for a conditional model, and a labelled batch beside them
    for a semi-supervised one."""
    rng = np.random.default_rng(seed)
    size = size or 8 * gan.minibatches_per_step
    examples = rng.uniform(-1, 1, (size,) + tuple(gan.sample_shape)).astype("float32")
    if gan.data_needs == "examples":
        return examples
    if gan.data_needs == "pairs":  # two domains: a dark one and a light one
        return (examples - 1) / 2, (examples + 1) / 2
    labels = rng.integers(0, gan.num_classes, size).astype("int32")
    if gan.data_needs == "labels":
        return examples, labels
    return {"image": examples, "labelled_image": examples[::-1].copy(), "label": labels}


def found_clusters(gan, batch):
    """`gan`, with a clustered model's clusters found from `batch` as train.py finds them
    before fit (its fit refuses to start without them); other models as they are."""
    if hasattr(gan, "centres"):
        gan.initialize_from_data(tf.data.Dataset.from_tensor_slices(batch).batch(8))
    return gan


def tiny_samples(gan, n, seed):
    """What a model makes: n samples drawn with `seed`, or n translated images for a
    translation model (images made from the seed)."""
    if gan.data_needs != "pairs":
        return gan.generate(n, seed=seed)
    images = np.random.default_rng(seed).uniform(-1, 1, (n,) + tuple(gan.sample_shape))
    return gan.translate(images.astype("float32"), "a2b")
