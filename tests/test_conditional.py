"""Conditional generation: labels through the step, the matching-aware term, sampling, export."""

import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
import keras

import zoo
from zoo import losses
from zoo.errors import ZooError
from tiny import TINY_CONFIGS

CLASSES = TINY_CONFIGS["cgan"]["num_classes"]


def _class_images(labels, shape, seed=0):
    """Images that depend on their label (a bright band at a class's own rows) plus noise, so
    that whether an image matches a label can be learnt."""
    rng = np.random.default_rng(seed)
    images = rng.uniform(-1, -0.8, (len(labels),) + shape).astype("float32")
    band = shape[0] // CLASSES
    for i, label in enumerate(labels):
        images[i, label * band:(label + 1) * band] = 0.9
    return images


def _matches_told_apart(gan, images, labels, mismatched):
    """The share of images whose match score is higher with their own label than with another."""
    def score(c):
        outputs = gan.discriminator([images, c], training=False)
        return (outputs[1] if gan.design == "projection" else outputs).numpy()[:, 0]
    return float(np.mean(score(labels) > score(mismatched)))


# Without the term (w = 0) the projection's label embedding takes no gradient: keras says so.
@pytest.mark.filterwarnings("ignore:Gradients do not exist")
@pytest.mark.parametrize("design", ["joint", "projection"])
def test_mismatched_pairs_teach_the_discriminator_to_judge_the_match(design):
    """Trained on the same batches, D tells matching from mismatched labels only when the
    mismatched-pair term is on; without it, (x, c) and (x, c') score alike."""
    labels = np.arange(32) % CLASSES
    images = _class_images(labels, TINY_CONFIGS["cgan"]["image_shape"])
    mismatched = (labels + 1) % CLASSES
    told_apart = {}
    for weight in (0.0, 0.5):
        keras.utils.set_random_seed(0)
        gan = zoo.create("cgan", discriminator=design, mismatch_weight=weight, noise_seed=0,
                         **TINY_CONFIGS["cgan"])
        gan.compile(d_optimizer=keras.optimizers.Adam(2e-3))
        real = (tf.constant(images), tf.constant(labels, tf.int32))
        step = tf.function(lambda: gan._discriminator_update(
            real, tf.nest.map_structure(tf.stop_gradient, gan.fake_batch(real))))
        for _ in range(40):
            step()
        told_apart[weight] = _matches_told_apart(gan, images, labels, mismatched)
    assert told_apart[0.5] >= 0.9, told_apart
    assert told_apart[0.0] <= 0.75, told_apart


def test_joint_loss_is_gan_cls_for_the_log_loss():
    """w = 1/2 with the log loss: log s_r + (log(1 - s_w) + log(1 - s_f)) / 2, negated."""
    gan = zoo.create("cgan", noise_seed=0, **TINY_CONFIGS["cgan"])
    labels = tf.constant([0, 1, 2, 1], tf.int32)
    images = tf.constant(_class_images(labels.numpy(), gan.image_shape))
    fakes = gan.generator([tf.zeros((4, gan.latent_dim)), labels])
    gan.noise = tf.random.Generator.from_seed(5)
    loss = gan.discriminator_loss(gan.discriminator_pass(), (images, labels), (fakes, labels))
    gan.noise = tf.random.Generator.from_seed(5)
    mismatched = gan.mismatched_labels(labels)
    s_r, s_w, s_f = (gan.discriminator([x, c], training=True)[:, 0] for x, c in
                     ((images, labels), (images, mismatched), (fakes, labels)))
    expected = (tf.nn.softplus(-s_r) + 0.5 * (tf.nn.softplus(s_w) + tf.nn.softplus(s_f)))
    np.testing.assert_allclose(loss, expected, rtol=1e-5)


def test_mismatched_labels_are_always_another_class_and_cover_them_all():
    gan = zoo.create("cgan", noise_seed=0, **{**TINY_CONFIGS["cgan"], "num_classes": 4})
    labels = tf.constant(np.repeat(np.arange(4), 200), tf.int32)
    other = gan.mismatched_labels(labels).numpy()
    assert not np.any(other == labels.numpy())
    for label in range(4):
        assert set(other[labels.numpy() == label]) == set(range(4)) - {label}


def test_acgan_losses_add_the_class_cross_entropy():
    gan = zoo.create("acgan", noise_seed=0, **TINY_CONFIGS["acgan"])
    labels = tf.constant([0, 2, 1], tf.int32)
    fakes = gan.generator([tf.ones((3, gan.latent_dim)), labels])
    source, class_logits = gan.discriminator(fakes, training=True)
    ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=class_logits)
    np.testing.assert_allclose(gan.generator_loss(gan.discriminator_pass(), (fakes, labels)),
                               losses.non_saturating_generator_loss(source) + ce, rtol=1e-5)


@pytest.mark.parametrize("name", ["cgan", "acgan"])
def test_conditional_samples_follow_their_labels(name):
    gan = zoo.create(name, **TINY_CONFIGS[name])
    images = gan.generate(6, seed=1, labels=[0, 0, 1, 1, 2, 2])
    assert images.shape == (6,) + gan.sample_shape
    np.testing.assert_array_equal(images, gan.generate(6, seed=1, labels=[0, 0, 1, 1, 2, 2]))
    # The label changes the sample drawn from the same noise.
    assert not np.allclose(gan.generate(1, seed=1, labels=0), gan.generate(1, seed=1, labels=1))
    # By default the classes take turns.
    np.testing.assert_array_equal(gan.generate(3, seed=1), gan.generate(3, seed=1, labels=[0, 1, 2]))
    grid, columns = gan.sample_grid(9, seed=1)
    assert columns == 3 and grid.shape[0] == 9


@pytest.mark.parametrize("labels, message", [
    (3, r"labels must lie in \[0, 3\)"), ([0, 1], "got 2 labels for 3 samples"),
    (1.5, "labels must be an integer"), (-1, r"labels must lie in \[0, 3\)")])
def test_bad_labels_are_refused_in_one_line(labels, message):
    gan = zoo.create("cgan", **TINY_CONFIGS["cgan"])
    with pytest.raises(ZooError, match=message):
        gan.generate(3, seed=0, labels=labels)


def test_unconditional_models_refuse_labels():
    with pytest.raises(ZooError, match="unconditional: it takes no labels"):
        zoo.create("dcgan", **TINY_CONFIGS["dcgan"]).generate(2, labels=[0, 1])


def test_conditional_models_refuse_unlabelled_batches_and_packing():
    gan = zoo.create("cgan", **TINY_CONFIGS["cgan"])
    with pytest.raises(ZooError, match="needs labelled batches"):
        gan.real_batch(tf.zeros((2,) + gan.sample_shape))
    with pytest.raises(ZooError, match="cgan takes no pack"):
        zoo.create("cgan", pack=2, **TINY_CONFIGS["cgan"])


SERVE = """
import sys, numpy as np, tensorflow as tf
loaded = tf.saved_model.load(sys.argv[1])
z = np.load(sys.argv[2])
labels = tf.constant([2, 0, 1], tf.int64)
by_z = loaded.signatures["serving_default"](z=tf.constant(z), label=labels)["images"].numpy()
by_seed = loaded.signatures["seeds"](seeds=tf.constant([5, 6, 7], tf.int64), label=labels)["images"].numpy()
try:
    loaded.signatures["seeds"](seeds=tf.constant([1], tf.int64), label=tf.constant([3], tf.int64))
    error = ""
except tf.errors.InvalidArgumentError as e:
    error = e.message
np.savez(sys.argv[3], by_z=by_z, by_seed=by_seed, error=np.array(error))
"""


def test_export_takes_a_label_and_matches_generate_in_a_fresh_process(tmp_path):
    gan = zoo.create("cgan", **TINY_CONFIGS["cgan"])
    path = zoo.export(gan, str(tmp_path), name="tiny_cgan")
    z = gan.latent_from_seed(3, 9).numpy()
    np.save(tmp_path / "z.npy", z)
    subprocess.run([sys.executable, "-c", SERVE, path, str(tmp_path / "z.npy"),
                    str(tmp_path / "out.npz")], check=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    served = np.load(tmp_path / "out.npz")
    expected = gan.generator([z, np.array([2, 0, 1], np.int32)], training=False).numpy()
    np.testing.assert_allclose(served["by_z"], expected, atol=1e-5)
    for row, (seed, label) in enumerate(((5, 2), (6, 0), (7, 1))):
        np.testing.assert_allclose(served["by_seed"][row], gan.generate(1, seed=seed, labels=label)[0],
                                   atol=1e-5)
    assert "label must lie in [0, 3)" in str(served["error"])


def test_infogan_makes_its_categorical_code_readable():
    """G and Q both minimise the information loss: after a few steps Q reads the category of
    a generated image well above chance (1 in 3)."""
    keras.utils.set_random_seed(0)
    gan = zoo.create("infogan", noise_seed=0, **TINY_CONFIGS["infogan"])
    gan.compile(d_optimizer=keras.optimizers.Adam(2e-3), g_optimizer=keras.optimizers.Adam(2e-3))
    data = tf.data.Dataset.from_tensor_slices(
        np.random.default_rng(0).uniform(-1, 1, (32,) + gan.sample_shape).astype("float32")).batch(16)
    gan.fit(data.repeat(), steps_per_epoch=40, epochs=2, verbose=0)  # D's batch norm settles
    categories = np.arange(60) % 3
    images = gan.generate(60, seed=2, categories=categories,
                          continuous=np.random.default_rng(1).uniform(-1, 1, (60, 2)))
    read, _ = gan.infer_codes(images)
    assert np.mean(read == categories) >= 0.8


def test_infogan_grid_varies_the_continuous_code_along_rows_and_exports_the_codes(tmp_path):
    gan = zoo.create("infogan", **TINY_CONFIGS["infogan"])
    images, columns = gan.sample_grid(12, seed=0)
    assert columns == 4 and images.shape == (12,) + gan.sample_shape
    assert not np.allclose(images[0], images[3])  # continuous code -1 vs 1
    with pytest.raises(ZooError, match=r"categories must lie in \[0, 3\)"):
        gan.generate(2, categories=[0, 3])
    path = zoo.export(gan, str(tmp_path), name="tiny_infogan")
    loaded = tf.saved_model.load(path)
    served = loaded.signatures["seeds"](seeds=tf.constant([4], tf.int64),
                                        category=tf.constant([2], tf.int64),
                                        continuous=tf.constant([[0.5, -0.5]]))["images"]
    np.testing.assert_allclose(served, gan.generate(1, seed=4, categories=2, continuous=[[0.5, -0.5]]),
                               atol=1e-5)


def test_sgan_critic_is_the_logsumexp_of_the_class_logits_and_its_loss_adds_the_labelled_term():
    # Without the Gaussian noise layers' draws, so the loss can be recomputed by hand.
    gan = zoo.create("sgan", noise_seed=0, **{**TINY_CONFIGS["sgan"], "input_noise": 0.0,
                                              "hidden_noise": 0.0})
    rng = np.random.default_rng(0)
    images = tf.constant(rng.uniform(-1, 1, (4,) + gan.sample_shape), tf.float32)
    labelled = tf.constant(rng.uniform(-1, 1, (4,) + gan.sample_shape), tf.float32)
    labels = tf.constant([0, 1, 2, 1], tf.int32)
    fakes = gan.generator(tf.zeros((4, gan.latent_dim)))
    d = gan.discriminator_pass()
    loss = gan.discriminator_loss(d, (images, labelled, labels), (fakes, images))
    real_logits = gan.discriminator(images, training=True)[0]
    fake_logits = gan.discriminator(fakes, training=True)[0]
    labelled_logits = gan.discriminator(labelled, training=True)[0]
    lse = lambda l: np.log(np.exp(l).sum(-1))  # noqa: E731
    # -log(Z / (Z + 1)) on real, -log(1 / (Z + 1)) on generated, cross-entropy on labelled.
    unsupervised = np.log1p(np.exp(-lse(real_logits))) + np.log1p(np.exp(lse(fake_logits)))
    supervised = np.mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, labelled_logits))
    np.testing.assert_allclose(loss, unsupervised + gan.supervised_weight * supervised, rtol=1e-4)


def test_weight_norm_layer_has_unit_length_directions_and_its_init_standardises_a_batch(tmp_path):
    from zoo.layers import WeightNormDense
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(3.0, 2.0, (256, 7)), tf.float32)
    layer = WeightNormDense(5)
    layer.build(x.shape)
    direction = layer.direction.numpy() / np.linalg.norm(layer.direction.numpy(), axis=0)
    np.testing.assert_allclose(layer(x), x.numpy() @ direction, rtol=1e-4, atol=1e-4)
    out = layer.initialize(x).numpy()
    np.testing.assert_allclose(out.mean(0), 0.0, atol=1e-4)
    np.testing.assert_allclose(out.std(0), 1.0, rtol=1e-4)
    assert not layer.scale.trainable and layer.direction.trainable and layer.bias.trainable
    model = keras.Sequential([keras.Input((7,)), layer])
    model.save(str(tmp_path / "wn.keras"))
    np.testing.assert_allclose(keras.models.load_model(str(tmp_path / "wn.keras"))(x), out, rtol=1e-5)


def test_sgan_initializes_its_discriminator_from_data():
    from zoo.layers import WeightNormDense
    gan = zoo.create("sgan", **{**TINY_CONFIGS["sgan"], "input_noise": 0.0, "hidden_noise": 0.0})
    images = np.random.default_rng(0).uniform(-1, 1, (600,) + gan.sample_shape).astype("float32")
    gan.initialize_from_data(tf.data.Dataset.from_tensor_slices({"image": images}).batch(64))
    first = next(layer for layer in gan.discriminator.layers if isinstance(layer, WeightNormDense))
    pre_activations = (first._unbiased(images[:500].reshape(500, -1)) + first.bias).numpy()
    np.testing.assert_allclose(pre_activations.mean(0), 0.0, atol=1e-4)
    np.testing.assert_allclose(pre_activations.std(0), 1.0, rtol=1e-3)


def test_a_saved_sgan_preset_keeps_its_classifier(tmp_path):
    from zoo import saving
    keras.utils.set_random_seed(0)
    gan = zoo.create("sgan", **TINY_CONFIGS["sgan"])
    images = np.random.default_rng(0).uniform(-1, 1, (20,) + gan.sample_shape).astype("float32")
    gan.initialize_from_data(tf.data.Dataset.from_tensor_slices({"image": images}).batch(10))
    folder = saving.save(gan, str(tmp_path / "preset"), keep_discriminator=False)
    assert os.path.exists(os.path.join(folder, saving.DISCRIMINATOR_FILE))
    logits = gan.discriminator(images, training=False)[0].numpy()
    loaded = zoo.load(folder)
    np.testing.assert_array_equal(loaded.discriminator(images, training=False)[0], logits)
    np.testing.assert_array_equal(loaded.classify(images), gan.classify(images))
    saving._rewrite_as_float16(os.path.join(folder, saving.DISCRIMINATOR_FILE))
    halved = zoo.load(folder).discriminator(images, training=False)[0].numpy()
    np.testing.assert_allclose(halved, logits, rtol=0, atol=0.05 * np.abs(logits).max())


def test_sgan_classifier_average_is_what_classify_saving_presets_and_the_export_read(tmp_path):
    from tiny import tiny_batch
    from zoo import saving
    keras.utils.set_random_seed(0)
    gan = zoo.create("sgan", classifier_ema=0.5, **TINY_CONFIGS["sgan"])
    gan.compile()
    batches = tf.data.Dataset.from_tensor_slices(tiny_batch(gan, size=32)).batch(8)
    gan.initialize_from_data(batches)
    gan.fit(batches, epochs=1, verbose=0)
    variables = gan.discriminator.trainable_variables
    averages = [a.numpy() for a in gan.discriminator_average.averages]
    assert int(gan.discriminator_average.updates) == 4
    assert max(np.abs(a - v.numpy()).max() for a, v in zip(averages, variables)) > 1e-6
    images = tiny_batch(gan, size=40)["image"]
    raw_logits = gan.discriminator(images, training=False)[0].numpy()
    # An average whose output bias votes for class 2 by far: classify must read it.
    output_bias = gan.discriminator.layers[-1].bias
    index = [v.path for v in variables].index(output_bias.path)
    gan.discriminator_average.averages[index].assign([0.0, 0.0, 1e4])
    averages[index] = np.array([0.0, 0.0, 1e4], "float32")
    expected = np.full(len(images), 2)
    assert not np.array_equal(np.argmax(raw_logits, -1), expected)
    np.testing.assert_array_equal(gan.classify(images), expected)
    np.testing.assert_array_equal(gan.discriminator(images, training=False)[0], raw_logits)

    loaded = zoo.load(saving.save(gan, str(tmp_path / "run_model")))
    for a, b in zip(loaded.discriminator.weights + loaded.discriminator_average.averages,
                    gan.discriminator.weights + gan.discriminator_average.averages):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    preset = zoo.load(saving.save(gan, str(tmp_path / "preset"), keep_discriminator=False))
    for variable, average in zip(preset.discriminator.trainable_variables, averages):
        np.testing.assert_array_equal(variable.numpy(), average)
    np.testing.assert_array_equal(preset.classify(images), expected)
    served = tf.saved_model.load(zoo.export(gan, str(tmp_path / "exports"), name="sgan"))
    np.testing.assert_array_equal(served.signatures["classify"](images=images)["labels"], expected)
    np.testing.assert_array_equal(gan.discriminator(images, training=False)[0], raw_logits)


@pytest.mark.parametrize("value", [1.0, -0.1, "0.9", True])
def test_sgan_refuses_a_classifier_average_decay_outside_0_1(value):
    with pytest.raises(ZooError, match=r"^classifier_ema must be a number in \[0, 1\)"):
        zoo.create("sgan", classifier_ema=value, **TINY_CONFIGS["sgan"])


def test_sgan_classifies_from_a_few_labels(tmp_path):
    """Three labelled images per class (the band images) and many unlabelled ones: the
    classifier gets the unlabelled images' classes right."""
    keras.utils.set_random_seed(0)
    gan = zoo.create("sgan", noise_seed=0, **{**TINY_CONFIGS["sgan"], "labelled_examples": 9})
    gan.compile(d_optimizer=keras.optimizers.Adam(3e-3), g_optimizer=keras.optimizers.Adam(3e-3))
    labels = np.arange(240) % CLASSES
    images = _class_images(labels, gan.sample_shape, seed=1)
    from zoo.data import semi_supervised
    few = np.concatenate([np.flatnonzero(labels == c)[:3] for c in range(CLASSES)])
    data = semi_supervised.with_labelled_batches(
        tf.data.Dataset.from_tensor_slices(images).repeat().batch(24), images[few],
        labels[few].astype("int32"), batch_size=24, seed=0)
    gan.fit(data, steps_per_epoch=60, epochs=1, verbose=0)
    assert np.mean(gan.classify(images) == labels) >= 0.9


def _toy_labelled_spec(count=50, classes=5):
    """A labelled toy dataset whose image i is the number i (its label: i mod classes)."""
    from zoo.registry import DatasetSpec

    labels = np.arange(count) % classes
    images = np.arange(count, dtype=np.float32).reshape(count, 1)

    def loader(split, batch_size, shuffle=True, seed=None, repeat=False, **_):
        return tf.data.Dataset.from_tensor_slices((images, labels)).batch(batch_size)

    return DatasetSpec("toy_labelled", loader, (1,), "toy", num_classes=classes)


def test_labelled_subset_takes_the_same_number_of_each_class():
    from zoo.data import semi_supervised

    spec = _toy_labelled_spec()
    chosen_images, chosen_labels = semi_supervised.labelled_subset(spec, 10, seed=1)
    assert sorted(chosen_labels) == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    np.testing.assert_array_equal(chosen_images[:, 0] % 5, chosen_labels)  # pairs kept together
    with pytest.raises(ZooError, match="multiple of toy_labelled's 5 classes"):
        semi_supervised.labelled_subset(spec, 7)
    with pytest.raises(ZooError, match="fewer than the 20 asked for"):
        semi_supervised.labelled_subset(spec, 100)


def _labelled_images(run_seed, labelled_seed):
    """The labelled images sgan's training batches carry, for a run of seed `run_seed`."""
    from zoo.data import DataSource, training_batches

    batches = training_batches(_toy_labelled_spec(200), "labelled_subset", 10,
                               DataSource(seed=run_seed), 10, labelled_seed)
    return {int(x) for batch in batches.take(20) for x in batch["labelled_image"][:, 0]}


def test_labelled_seed_fixes_the_labelled_images_across_run_seeds():
    """By default each run seed draws its own labelled images; with labelled_seed every run
    trains on the ones that seed draws (Improved-GAN's --seed_data)."""
    assert _labelled_images(0, None) != _labelled_images(1, None)
    assert _labelled_images(0, 7) == _labelled_images(1, 7) == _labelled_images(7, None)


@pytest.mark.parametrize("value", [-1, True, "1", 1.5])
def test_sgan_refuses_a_labelled_seed_that_is_not_a_seed(value):
    with pytest.raises(ZooError, match=r"^labelled_seed must be an integer from 0 to"):
        zoo.create("sgan", labelled_seed=value, **TINY_CONFIGS["sgan"])


@pytest.mark.parametrize("name, options", [
    ("cgan", dict(base_filters=4)), ("cgan", dict(base_filters=4, discriminator="projection")),
    ("acgan", dict(base_filters=4)), ("infogan", dict(base_filters=4)),
    ("stackgan", dict(base_filters=4, stage_one_filters=8, stage_two_filters=8)),
    ("sgan", dict(labelled_examples=10, g_hidden=(16,), d_hidden=(16,)))])
def test_each_preset_trains_through_zoo_training_on_labelled_data(name, options, tmp_path):
    from conftest import mock_tfds
    from zoo import training

    with mock_tfds(num_examples=200):
        gan, summary = training.train(
            preset=f"{name}_mnist", epochs=1, steps_per_epoch=2, batch_size=20, image_size=32,
            seed=0, verbose=0, data_dir=str(tmp_path / "tfds"), output_dir=str(tmp_path / "run"),
            **options)
    assert int(gan.g_optimizer.iterations) == 2
    assert all(np.isfinite(summary["history"][k][0]) for k in ("d_loss", "g_loss"))
    assert (tmp_path / "run" / "samples" / "epoch_0001.png").is_file()
    assert os.path.isfile(os.path.join(summary["export"], "saved_model.pb"))


def test_conditional_models_refuse_unlabelled_datasets(tmp_path):
    from zoo import training

    with pytest.raises(ZooError, match="cgan learns from labels and celeb_a has none"):
        training.train(model="cgan", dataset="celeb_a", base_filters=4, output_dir=str(tmp_path))
    assert not os.listdir(tmp_path)


def test_stackgan_stages_and_the_augmentations_kl():
    gan = zoo.create("stackgan", noise_seed=0, **TINY_CONFIGS["stackgan"])
    labels = tf.constant([0, 1, 2, 2], tf.int32)
    images = tf.constant(_class_images(labels.numpy(), gan.image_shape))
    image, fake_labels, low, kl = gan.fake_batch((images, labels))
    assert image.shape == images.shape and low.shape == gan.downsample(images).shape == (4, 4, 4, 1)
    # KL(N(mu, sigma^2) || N(0, 1)) for the stage-one moments of the same noise.
    gan.noise = tf.random.Generator.from_seed(0)
    noise = gan.sample_latent(4)
    gan.noise = tf.random.Generator.from_seed(0)
    _, _, _, kl = gan.fake_batch((images, labels))
    _, mu, log_var, _ = gan.stage_one([noise, gan.label_embedding(labels)], training=True)
    expected = 0.5 * np.sum(np.exp(log_var) + np.square(mu) - 1 - log_var, axis=-1)
    np.testing.assert_allclose(kl, expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(fake_labels, labels)
    # The full-size sample of a seed is stage II on stage I's drawing, its condition included.
    low, _, _, c = gan.stage_one([gan.latent_from_seed(1, 5), gan.label_embedding(tf.constant([1]))],
                                 training=False)
    np.testing.assert_allclose(gan.generate(1, seed=5, labels=1),
                               gan.stage_two([low, c], training=False), atol=1e-6)
