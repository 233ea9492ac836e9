"""Clustered GAN: a conditional GAN on clusters of its training data, sampled without labels.

Sage et al. 2018 ("Logo Synthesis and Manipulation with Clustered Generative Adversarial
Networks") train a conditional GAN on k-means clusters of their images; Liu et al. 2020
("Diverse Image Generation via Self-Conditioned GANs") cluster the discriminator's features
and find that conditioning on clusters keeps the generator from dropping modes. Here the
clusters are k-means of the training images' pixels, found once before training
(zoo.core.clusters); the model is cgan on them (either discriminator design). It learns the
data as a whole and samples as an unconditional model does: each sample's cluster is drawn
from its noise, in the clusters' shares of the training data (zoo.layers.ClusterDraw), so
`generate(n)`, the run's pictures and the exported `z` and `seeds` signatures take noise alone.

Why: a generator that maps a connected noise space continuously onto data in separate
classes must put some samples between them (on MNIST about a fifth of an unconditional
DCGAN's, benchmarks/results/cause_dcgan_mnist.md); the draw of a cluster is the jump.
"""

import keras
import numpy as np
import tensorflow as tf

from zoo.core.adversarial import batch_size_of
from zoo.checks import check_positive_int, check_seed
from zoo.core.clusters import kmeans, nearest_centre
from zoo.core.generative import GenerativeModel
from zoo.core.model import ZooModel, first_examples
from zoo.errors import ZooError
from zoo.layers import ClusterDraw
from zoo.models.cgan import CGAN, MNIST_RECIPE_MODEL, MNIST_RECIPE_TRAIN
from zoo.networks import conditional_generator, dcgan_generator
from zoo.registry import Preset, register_model, register_preset

# The examples k-means reads: all of MNIST's training split, a sample of larger sets.
CLUSTER_EXAMPLES = 60_000


@register_model("clustered_gan")
class ClusteredGAN(CGAN):
    """Args (beyond cgan's, without num_classes): clusters, the k of k-means, and
    cluster_seed, its seed (the same data and seed give the same clusters)."""

    data_needs = "examples"
    remedies_refused_because = "packing would mix examples of different clusters"

    def __init__(self, clusters=50, cluster_seed=0, **kwargs):
        if "num_classes" in kwargs:
            raise ZooError("clustered_gan is conditioned on clusters of its data, not on "
                           "labels: set clusters=K instead of num_classes")
        check_positive_int("clusters", clusters, minimum=2)
        if cluster_seed is None:
            raise ZooError("cluster_seed must be an integer: the clusters are found once and "
                           "must be found again alike")
        self.cluster_seed = check_seed("cluster_seed", cluster_seed)
        super().__init__(num_classes=clusters, **kwargs)
        self.centres = self.add_weight(shape=(self.num_classes, int(np.prod(self.image_shape))),
                                       initializer="zeros", trainable=False,
                                       name="cluster_centres")

    def build_generator(self):
        """z -> G(z, the cluster drawn from z)."""
        body = dcgan_generator(self.latent_dim + self.num_classes, self.image_shape,
                               self.base_filters, name="generator_body")
        conditional = conditional_generator(body, self.latent_dim, self.num_classes,
                                            name="conditional_generator")
        z = keras.Input((self.latent_dim,), name="z")
        draw = ClusterDraw(self.num_classes, self.latent_distribution, name="cluster")
        return keras.Model(z, conditional([z, draw(z)]), name="generator")

    @property
    def cluster_draw(self):
        return self.generator.get_layer("cluster")

    def get_config(self):
        config = {**super().get_config(), "clusters": self.num_classes,
                  "cluster_seed": self.cluster_seed}
        del config["num_classes"]
        return config

    # ----------------------------------------------------------------- data
    def initialize_from_data(self, batches):
        """k-means of the first CLUSTER_EXAMPLES training examples: the centres label the
        real batches, the clusters' shares set the generator's draw."""
        examples = first_examples(batches, CLUSTER_EXAMPLES, self.examples_of)
        centres, assignment = kmeans(examples.numpy(), self.num_classes, seed=self.cluster_seed)
        self.centres.assign(centres)
        self.cluster_draw.set_shares(np.bincount(assignment, minlength=self.num_classes))

    def fit(self, *args, **kwargs):
        """keras fit, once the clusters are found: all-zero centres would label every
        example as cluster 0 and train an unconditional model unseen."""
        if not np.any(keras.ops.convert_to_numpy(self.centres)):
            raise ZooError("clustered_gan has no clusters yet: call "
                           "initialize_from_data(dataset) before fit (train.py does)")
        return super().fit(*args, **kwargs)

    def examples_of(self, data):
        return ZooModel.real_batch(self, data)

    def real_batch(self, data):
        """(x, the cluster of each x)."""
        images = self.examples_of(data)
        return images, nearest_centre(images, self.centres)

    def fake_batch(self, real, training=True):
        """Fakes of the real batch's clusters, as cgan's fakes take the real batch's labels:
        each noise vector's first coordinate is drawn inside its cluster's band (its middle
        90%), so the generator's own draw picks that cluster. The probe this model stands for
        trained so; fakes whose clusters were drawn apart from the real batch's collapsed
        within their clusters (benchmarks/results/cluster_conditioning_mnist.md)."""
        clusters = real[1]
        position = self.noise.uniform(tf.shape(clusters), minval=0.05, maxval=0.95)
        z = self.cluster_draw.noise_of(clusters, self.sample_latent(batch_size_of(real)), position)
        return self.generator(z, training=training), clusters

    # ----------------------------------------------------------------- sampling
    # From noise alone, as an unconditional model.
    generate = GenerativeModel.generate
    generator_inputs = GenerativeModel.generator_inputs
    sample_grid = GenerativeModel.sample_grid
    serving_endpoints = GenerativeModel.serving_endpoints


# cgan_mnist's recipe on 100 k-means clusters of the pixels
# (benchmarks/results/cluster_conditioning_mnist.md: 50 and 100 clusters trained, 100 shipped).
register_preset(Preset(
    name="clustered_gan_mnist", model="clustered_gan", dataset="mnist",
    model_kwargs=dict(image_shape=(28, 28, 1), latent_dim=100, clusters=100, **MNIST_RECIPE_MODEL),
    train=dict(MNIST_RECIPE_TRAIN),
    weights="clustered_gan_mnist",
    sha256="be5d8d8f5b9ac2629d72b48164ef8dc9debaba2a239849db3f7ceab691907b6f",
    metadata=dict(
        paper="Sage et al. 2018, arXiv:1712.04407; Liu et al. 2020, arXiv:2006.10728",
        trained_with="python train.py --preset=clustered_gan_mnist --seed=0 --eval_every=2",
        hardware="2 CPU cores (no GPU): 20 epochs in about 109 minutes on one thread, beside "
                 "another run",
        limits="Trained on its clusters, which are pixel k-means (purity 0.875): no labels, and "
               "no way to ask for a digit. Its k-means centres are not shipped: fit on the loaded "
               "preset refuses until initialize_from_data finds clusters again, whose numbering "
               "need not match the generator's; to train, run the command. Recall 0.715 (real "
               "digits: 0.884). One seed's run.",
        scores=dict(classifier_fid=3.965, kid=0.802, precision=0.834, recall=0.715,
                    classes_present=10, class_entropy=2.300, confident_share=0.968))))
