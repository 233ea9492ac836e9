"""TranslationGAN: the base of the unpaired image-to-image models (cyclegan, and the others
that translate between two domains).

Batches are unpaired (a, b): an image of each domain. The model holds a generator per
direction (`generator_ab`, `generator_ba`) and a discriminator per domain (`discriminator_a`,
`discriminator_b`); `generator` and `discriminator` are the pairs as single keras Models, so
the adversarial step's optimizers, checkpoints and updates work on both at once. It is an
AdversarialModel with no latent prior (not a BaseGAN): it samples nothing, `translate(images,
"a2b")` is its use, and the export serves `a2b` and `b2a`. Its penalties and the remedies that
live in D's layers apply to each domain's discriminator.

The discriminators see generated images through a history pool (Shrivastava et al. 2017, as
CycleGAN uses it): once full, each new image has an even chance of being swapped for one
generated earlier, so D does not forget the generator's past mistakes. Under a distribution
strategy the pool is one pool of the global batch, kept alike on every replica: a step on N
replicas treats the pool as a step on one device over the same global batch does.
"""

import collections

import numpy as np
import tensorflow as tf
import keras

from zoo import losses, replicas
from zoo.core.adversarial import AdversarialModel
from zoo.remedies import ALL_REMEDIES
from zoo.core.model import with_averaged_generator
from zoo.errors import ZooError
from zoo.checks import check_positive_int
from zoo.pixels import images_to_unit_range, to_uint8, to_uint8_tensor, to_unit_range

DIRECTIONS = ("a2b", "b2a")
# A generated batch: both translations, beside the real images they came from.
Translations = collections.namedtuple("Translations", ["fake_a", "fake_b", "real_a", "real_b"])


class HistoryPool:
    """The last `size` generated images of a domain, for the discriminator (size 0: off)."""

    def __init__(self, size, image_shape, noise):
        self.size, self.noise = int(size), noise
        if self.size:
            sync = dict(synchronization=tf.VariableSynchronization.ON_READ,
                        aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA, trainable=False)
            self.images = tf.Variable(tf.zeros((self.size,) + tuple(image_shape), keras.config.floatx()),
                                      **sync)
            self.filled = tf.Variable(0, dtype=tf.int32, **sync)

    def query(self, images):
        """What D sees in place of `images`; the pool takes in the new ones it keeps."""
        if not self.size:
            return images
        # Every replica runs the pool on the whole global batch, with the draws of all replicas,
        # so all copies of the pool stay alike; each replica then takes its own rows back.
        local = tf.shape(images)[0]
        images = replicas.gather(images)
        coin = replicas.gather(self.noise.uniform([local]))
        pick = replicas.gather(self.noise.uniform([local], 0, self.size, dtype=tf.int32))
        n = tf.shape(images)[0]
        position = self.filled + tf.range(n)
        filling = position < self.size
        swap = tf.logical_and(tf.logical_not(filling), coin < 0.5)
        slot = tf.where(filling, position, pick)
        # An image swapped out comes from the pool as this batch's filling images left it, never
        # from its empty start (D would be shown blank images). Swaps within one batch do not
        # see each other (taken one at a time they would); with CycleGAN's batch of 1 none occur.
        with_new = tf.tensor_scatter_nd_update(
            self.images, tf.boolean_mask(position, filling)[:, None], tf.boolean_mask(images, filling))
        older = tf.gather(with_new, tf.minimum(slot, self.size - 1))
        shown = tf.where(swap[:, None, None, None], older, images)
        stored = tf.logical_or(filling, swap)
        # Two new images bound for one slot: the later keeps it, as if the batch were taken in
        # one at a time (a scatter with repeated indices would leave the winner to chance).
        later = tf.range(n)[None, :] > tf.range(n)[:, None]
        overwritten = tf.reduce_any(
            (slot[:, None] == slot[None, :]) & stored[None, :] & later, axis=1)
        stored = tf.logical_and(stored, tf.logical_not(overwritten))
        self.images.assign(tf.tensor_scatter_nd_update(
            self.images, tf.boolean_mask(slot, stored)[:, None], tf.boolean_mask(images, stored)))
        self.filled.assign(tf.minimum(self.filled + n, self.size))
        return replicas.own_rows(shown, local)


class TranslationGAN(AdversarialModel):
    """Args (beyond AdversarialModel's): image_shape and pool_size (the history pool of each
    discriminator; 0 turns it off)."""

    data_needs = "pairs"
    sample_inputs_count = 8
    judged_domains = "ab"  # the domains with a discriminator, each with its own history pool
    remedies = ALL_REMEDIES - {"pack", "unrolled_steps"}
    remedies_refused_because = "a translation model judges single images and unrolls no discriminator"

    def __init__(self, image_shape=(256, 256, 3), pool_size=50, **kwargs):
        self.image_shape = tuple(image_shape)
        if len(self.image_shape) != 3:
            raise ZooError(f"image_shape must be (height, width, channels), got {self.image_shape}")
        if isinstance(pool_size, bool) or not isinstance(pool_size, (int, np.integer)) or pool_size < 0:
            raise ZooError(f"pool_size must be an integer >= 0, got {pool_size!r}")
        self.pool_size = int(pool_size)
        super().__init__(**kwargs)
        self.pools = {domain: HistoryPool(self.pool_size, self.image_shape, self.noise)
                      for domain in self.judged_domains}

    # ----------------------------------------------------------------- networks
    def build_translator(self, name):
        """One direction's generator (image -> image of the other domain)."""
        raise NotImplementedError

    def build_domain_discriminator(self, name):
        raise NotImplementedError

    def build_generator(self):
        self.generator_ab = self.build_translator("generator_ab")
        self.generator_ba = self.build_translator("generator_ba")
        a, b = keras.Input(self.image_shape, name="a"), keras.Input(self.image_shape, name="b")
        return keras.Model([a, b], [self.generator_ab(a), self.generator_ba(b)], name="generator")

    def build_discriminator(self):
        self.discriminator_a = self.build_domain_discriminator("discriminator_a")
        self.discriminator_b = self.build_domain_discriminator("discriminator_b")
        a, b = keras.Input(self.image_shape, name="a"), keras.Input(self.image_shape, name="b")
        return keras.Model([a, b], [self.discriminator_a(a), self.discriminator_b(b)],
                           name="discriminator")

    def translators(self):
        """The networks that translate, by direction (both here; a one-way model has one)."""
        return {"a2b": self.generator_ab, "b2a": self.generator_ba}

    @property
    def sample_shape(self):
        return self.image_shape

    def get_config(self):
        return {**super().get_config(), "image_shape": self.image_shape, "pool_size": self.pool_size}

    # ----------------------------------------------------------------- batches
    def real_batch(self, data):
        """(a, b) from `(a, b)` batches or a dict with "a" and "b"."""
        if isinstance(data, dict) and {"a", "b"} <= set(data):
            return data["a"], data["b"]
        if isinstance(data, (tuple, list)) and len(data) == 2:
            return tuple(data)
        raise ZooError(f"{self.registered_name} translates between two domains and needs "
                       "unpaired batches (a, b): train it on such a dataset (e.g. horse2zebra)")

    def fake_batch(self, real, training=True):
        a, b = real
        return Translations(fake_a=self.generator_ba(b, training=training),
                            fake_b=self.generator_ab(a, training=training), real_a=a, real_b=b)

    def penalties(self, d, real, fake):
        """Each domain's discriminator's penalties: at its own real images and, for the
        gradient penalty, between them and the translations into its domain."""
        del d  # each domain's network alone, with its own variables: D's update reads them
        total = 0.0
        for real_images, fake_images, network in zip(
                real, (fake.fake_a, fake.fake_b), (self.discriminator_a, self.discriminator_b)):
            def critic(images, network=network):
                return losses.full_precision(network(images, training=True))
            total += self.penalty_terms(critic, real_images, lambda images=fake_images: images)
        return total

    def discriminator_loss(self, d, real, fake):
        """Each domain's discriminator: its real images against the translations into it,
        shown through its history pool. `d` runs both: d([a, b]) is (D_a(a), D_b(b))."""
        a, b = real
        real_a, real_b = d([a, b])
        fake_a, fake_b = d([self.pools["a"].query(fake.fake_a), self.pools["b"].query(fake.fake_b)])
        target = 1.0 - self.label_smoothing
        return (self.adversarial_loss.discriminator(real_a, fake_a, real_target=target)
                + self.adversarial_loss.discriminator(real_b, fake_b, real_target=target))

    # ----------------------------------------------------------------- use
    @with_averaged_generator
    def translate(self, images, direction="a2b", batch_size=16):
        """Images of one domain (NHWC in [-1, 1], or uint8 0-255) in the other, as float32 in
        [-1, 1] (uint8 in, uint8 out)."""
        translators = self.translators()
        if direction not in translators:
            raise ZooError(f"{self.registered_name} translates {' and '.join(translators)}, "
                           f"not {direction!r}")
        batch_size = check_positive_int("batch_size", batch_size)
        x, as_uint8 = images_to_unit_range(images, self.image_shape,
                                           f"{self.registered_name} translates")
        network = translators[direction]
        out = np.concatenate([network(x[i:i + batch_size], training=False).numpy()
                              for i in range(0, len(x), batch_size)])
        return to_uint8(out) if as_uint8 else out

    def set_sample_inputs(self, a, b):
        """The test images the per-epoch picture translates (training sets them)."""
        self.sample_inputs = (np.asarray(a, np.float32), np.asarray(b, np.float32))

    def sample_grid(self, count, seed):
        """Two rows per direction: test images of one domain, then their translations."""
        del seed
        directions = list(self.translators())
        sources = dict(zip(DIRECTIONS, (x[:max(count // (2 * len(directions)), 1)]
                                        for x in self.sample_inputs)))
        rows = [row for d in directions for row in (sources[d], self.translate(sources[d], d))]
        return np.concatenate(rows), len(rows[0])

    # ----------------------------------------------------------------- serving
    def _images_spec(self, dtype):
        return tf.TensorSpec((None,) + self.image_shape, dtype, name="images")

    def serving_endpoints(self, serve):
        """`a2b` / `b2a` (those the model has; serving_default is a2b): `images` float32 in
        [-1, 1] in and out; `a2b_uint8` / `b2a_uint8`: uint8 0-255 in and out."""
        del serve
        endpoints = {}
        for direction, network in self.translators().items():
            as_float, as_uint8 = _translation_endpoints(network)
            endpoints[direction] = (as_float, [self._images_spec(tf.float32)])
            endpoints[f"{direction}_uint8"] = (as_uint8, [self._images_spec(tf.uint8)])
        endpoints["serving_default"] = endpoints["a2b"]
        return endpoints


def _translation_endpoints(network):
    """(float function, uint8 function) serving one direction (closures: an exported
    function's arguments are its inputs only)."""
    def as_float(images):
        return {"images": tf.cast(network(images, training=False), tf.float32)}

    def as_uint8(images):
        translated = as_float(to_unit_range(images))["images"]
        return {"images": to_uint8_tensor(translated)}

    return as_float, as_uint8
