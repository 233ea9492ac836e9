"""ConditionalGAN: the base of the class-conditional variants (cgan, acgan, stackgan, ...).

A conditional model's batch is a pair (examples, labels): `fit` hands it `(x, y)` batches,
the generated batch carries the labels it was made for, G(z, c) with c the real batch's
labels (the same marginal distribution of classes as the data), and everything the base
class does with batches (the d_steps split, stopping gradients, the penalties, unrolling)
works on the pair. A variant supplies its discriminator and, where its objective differs,
the losses; the generator, the label handling, sampling and the exported signatures
(`label` beside `z` or `seeds`) live here, once.

Labels are integers in [0, num_classes); the generator sees them one-hot, concatenated to z
(Mirza & Osindero 2014). The condition interface is `condition_vector(labels)`, which a
variant with another kind of condition (an embedding, StackGAN's conditioning augmentation)
overrides.
"""

import numpy as np
import tensorflow as tf

from zoo.core.adversarial import batch_size_of
from zoo.remedies import ALL_REMEDIES
from zoo.core.standard import StandardGAN
from zoo.errors import ZooError
from zoo.networks import conditional_generator, dcgan_generator


def check_labels(labels, n, num_classes, name="labels"):
    """`labels` (an int, or one per sample) as an int32 array of n labels, or a ZooError."""
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu" or labels.ndim > 1:
        raise ZooError(f"{name} must be an integer or a list of integers, got {labels!r}")
    labels = np.broadcast_to(labels, (n,)) if labels.ndim == 0 else labels
    if len(labels) != n:
        raise ZooError(f"got {len(labels)} {name} for {n} samples: give one, or one per sample")
    if labels.size and not (0 <= labels.min() and labels.max() < num_classes):
        raise ZooError(f"{name} must lie in [0, {num_classes}), got {labels.min()} to {labels.max()}")
    return labels.astype(np.int32)


def checked_in_graph(labels, num_classes, name="label"):
    """Served labels as int32, checked in the graph: one outside [0, num_classes) is an
    InvalidArgument error that names the range, not a silent all-zero one-hot."""
    labels = tf.convert_to_tensor(labels)
    message = f"{name} must lie in [0, {num_classes})"
    with tf.control_dependencies([
            tf.debugging.assert_non_negative(labels, message=message),
            tf.debugging.assert_less(labels, tf.cast(num_classes, labels.dtype), message=message)]):
        return tf.cast(tf.identity(labels), tf.int32)


class ConditionalGAN(StandardGAN):
    """Args (beyond StandardGAN's): num_classes, the number of labels the model is conditioned on."""

    data_needs = "labels"
    remedies = ALL_REMEDIES - {"pack"}
    remedies_refused_because = "packing would mix examples of different labels"

    def __init__(self, num_classes=10, image_shape=(28, 28, 1), **kwargs):
        if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) \
                or num_classes < 2:
            raise ZooError(f"num_classes must be an integer >= 2, got {num_classes!r}")
        if len(tuple(image_shape)) != 3:
            raise ZooError(f"conditional models generate images: image_shape must be "
                           f"(height, width, channels), got {tuple(image_shape)}")
        self.num_classes = int(num_classes)
        super().__init__(image_shape=image_shape, **kwargs)

    def build_generator(self):
        body = dcgan_generator(self.latent_dim + self.num_classes, self.image_shape,
                               self.base_filters, name="generator_body")
        return conditional_generator(body, self.latent_dim, self.num_classes)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}

    # ----------------------------------------------------------------- batches
    def real_batch(self, data):
        """(x, labels) from `(x, y)` batches or a dict with "image" and "label"."""
        if isinstance(data, dict) and "label" in data:
            images, labels = data["image"], data["label"]
        elif isinstance(data, (tuple, list)) and len(data) >= 2:
            images, labels = data[0], data[1]
        else:
            raise ZooError(f"{self.registered_name} is conditional and needs labelled batches "
                           "(x, y): train it on a dataset with labels")
        return images, tf.cast(labels, tf.int32)

    def fake_batch(self, real, training=True):
        labels = real[1]
        z = self.sample_latent(batch_size_of(real))
        return self.generator([z, labels], training=training), labels

    @staticmethod
    def examples(batch):
        return batch[0]

    def critic_for(self, d, batch):
        labels = batch[1]
        return lambda x: self.critic(d, [x, labels])

    def mismatched_labels(self, labels):
        """For each label another one, uniformly among the other num_classes - 1 (Reed et al.
        2016's mismatched text, for labels)."""
        shift = self.noise.uniform(tf.shape(labels), minval=1, maxval=self.num_classes,
                                   dtype=tf.int32)
        return (labels + shift) % self.num_classes

    # ----------------------------------------------------------------- sampling
    def generate(self, n, seed=None, batch_size=2048, labels=None):
        """`n` samples of the given `labels` (one int, or one per sample; by default the
        classes in turn, 0, 1, ..., num_classes - 1, 0, ...)."""
        if labels is None and isinstance(n, (int, np.integer)) and not isinstance(n, bool):
            labels = np.arange(max(n, 0)) % self.num_classes
        return super().generate(n, seed=seed, batch_size=batch_size, labels=labels)

    def generator_inputs(self, z, labels=None):
        return [z, tf.constant(check_labels(labels, int(z.shape[0]), self.num_classes))]

    def sample_grid(self, count, seed):
        """One row per class, count // num_classes columns (at least 1)."""
        columns = max(count // self.num_classes, 1)
        labels = np.repeat(np.arange(self.num_classes), columns)
        return self.generate(len(labels), seed=seed, labels=labels), columns

    # ----------------------------------------------------------------- serving
    def serving_endpoints(self, serve):
        label = tf.TensorSpec([None], tf.int64, name="label")
        return {
            "serving_default": (lambda z, label: serve([z, checked_in_graph(label, self.num_classes)]),
                                [tf.TensorSpec([None, self.latent_dim], tf.float32, name="z"),
                                 label]),
            "seeds": (lambda seeds, label: serve([self.latent_from_seeds(seeds),
                                                  checked_in_graph(label, self.num_classes)]),
                      [tf.TensorSpec([None], tf.int64, name="seeds"), label]),
        }
