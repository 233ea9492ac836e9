"""Generator EMA (zoo.core.averaging): the average follows its recursion, inference reads it,
training the raw weights, and it survives saving, export, resume, rollback and replicas."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from conftest import two_replica_strategy
from poison import PoisonGenerator
from tiny import TINY_CONFIGS, found_clusters, tiny_batch
from zoo import callbacks, recovery, run_folder, saving, training
from zoo.core.averaging import WARMUP_OFFSET
from zoo.serving import export

DECAY = 0.9  # small, so that a few steps move the average well away from its start
STEPS = 4


class GeneratorSnapshots(keras.callbacks.Callback):
    """The raw generator-side weights after every step."""

    def __init__(self):
        super().__init__()
        self.snapshots = []

    def on_train_batch_end(self, batch, logs=None):
        self.snapshots.append([v.numpy() for v in self.model.generator_variables])


def _trained(name="dcgan", steps=STEPS, callbacks=(), **kwargs):
    keras.utils.set_random_seed(0)
    gan = zoo.create(name, ema_decay=DECAY, **{**TINY_CONFIGS[name], **kwargs})
    gan.compile()
    batch = tiny_batch(gan, size=steps * 8 * gan.minibatches_per_step)
    if keras.config.floatx() == "float64":
        batch = tf.nest.map_structure(lambda a: a.astype("float64") if a.dtype.kind == "f" else a,
                                      batch)
    data = tf.data.Dataset.from_tensor_slices(batch).batch(8 * gan.minibatches_per_step)
    found_clusters(gan, batch).fit(data, epochs=1, verbose=0, callbacks=list(callbacks))
    return gan


def _values(variables):
    return [v.numpy() for v in variables]


def test_the_average_is_the_warmed_up_recursion_of_the_raw_weights(float64):
    keras.utils.set_random_seed(0)
    start = _values(zoo.create("dcgan", ema_decay=DECAY, **TINY_CONFIGS["dcgan"]).generator_variables)
    recorder = GeneratorSnapshots()
    gan = _trained(callbacks=[recorder])
    expected = start
    for n, raw in enumerate(recorder.snapshots):  # update n moves by 1 - min(decay, (1+n)/(10+n))
        decay = min(DECAY, (1.0 + n) / (WARMUP_OFFSET + n))
        expected = [decay * a + (1.0 - decay) * r for a, r in zip(expected, raw)]
    assert len(recorder.snapshots) == STEPS == int(gan.generator_average.updates)
    for average, want, raw in zip(gan.generator_average.averages, expected, recorder.snapshots[-1]):
        np.testing.assert_allclose(average.numpy(), want, rtol=1e-12, atol=1e-15, err_msg=average.name)
    moved = max(np.abs(a - r).max() for a, r in zip(expected, recorder.snapshots[-1]))
    assert moved > 1e-6, "the average equals the raw weights: the check could not fail"


def test_inference_reads_the_average_and_training_keeps_the_raw_weights():
    gan = _trained()
    raw, averages = _values(gan.generator_variables), _values(gan.generator_average.averages)
    twin = zoo.create("dcgan", **TINY_CONFIGS["dcgan"])  # no EMA: holds the average as its weights
    for variable, value in zip(twin.generator_variables, averages):
        variable.assign(value)
    for variable, value in zip(twin.generator.non_trainable_weights, gan.generator.non_trainable_weights):
        variable.assign(value)  # batch norm's statistics are the raw generator's
    np.testing.assert_array_equal(gan.generate(6, seed=3), twin.generate(6, seed=3))
    raw_samples = gan.generator(gan.latent_from_seed(6, 3), training=False).numpy()
    assert not np.allclose(raw_samples, gan.generate(6, seed=3), rtol=1e-2, atol=0)
    # Exchanged back exactly, whatever inference ran.
    for before, variable in zip(raw, gan.generator_variables):
        np.testing.assert_array_equal(variable.numpy(), before)
    for before, average in zip(averages, gan.generator_average.averages):
        np.testing.assert_array_equal(average.numpy(), before)


def test_raw_weights_give_the_raw_generator_and_the_quality_callback_measures_both():
    gan = _trained()
    raw_samples = gan.generator(gan.latent_from_seed(6, 3), training=False).numpy()
    with gan.raw_weights():
        np.testing.assert_array_equal(gan.generate(6, seed=3), raw_samples)
        with pytest.raises(RuntimeError):
            with gan.averaged_weights(), gan.raw_weights():
                pass
    averaged = gan.generate(6, seed=3)
    assert not np.allclose(averaged, raw_samples, rtol=1e-2, atol=0)

    quality = callbacks.SampleQuality(
        lambda model: {"mean": float(np.mean(model.generate(6, seed=3)))})
    quality.set_model(gan)
    logs = {}
    quality.on_epoch_end(0, logs)
    assert logs == pytest.approx({"quality/mean": float(np.mean(averaged)),
                                  "quality_raw/mean": float(np.mean(raw_samples))})


def _keras_file(gan, folder):
    path = str(folder / "model.keras")
    gan.save(path)
    return path


def test_saved_loaded_shipped_and_exported_models_serve_the_average(tmp_path):
    gan = _trained()
    expected = gan.generate(5, seed=7)

    loaded = zoo.load(saving.save(gan, str(tmp_path / "model")))
    np.testing.assert_array_equal(loaded.generate(5, seed=7), expected)
    for a, b in zip(loaded.generator_variables + loaded.generator_average.averages,
                    gan.generator_variables + gan.generator_average.averages):
        np.testing.assert_array_equal(a.numpy(), b.numpy())

    # Keras' own file keeps the raw weights and the average.
    kept = keras.saving.load_model(_keras_file(gan, tmp_path))
    np.testing.assert_array_equal(kept.generate(5, seed=7), expected)
    for a, b in zip(kept.generator_variables + kept.generator_average.averages,
                    gan.generator_variables + gan.generator_average.averages):
        np.testing.assert_array_equal(a.numpy(), b.numpy())

    # A preset keeps the average alone, as its generator; loaded, the average starts from it.
    shipped = zoo.load(saving.save(gan, str(tmp_path / "preset"), keep_discriminator=False))
    assert not os.path.exists(tmp_path / "preset" / saving.weights_file("generator_average"))
    np.testing.assert_array_equal(shipped.generate(5, seed=7), expected)

    served = tf.saved_model.load(export(gan, str(tmp_path / "export"), name="ema"))
    images = served.signatures["seeds"](seeds=tf.constant([7], tf.int64))["images"].numpy()
    np.testing.assert_allclose(images, gan.generate(1, seed=7), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", zoo.list_models())
def test_every_model_keeps_an_average_and_samples_from_it(name):
    gan = _trained(name, steps=1)
    assert int(gan.generator_average.updates) == 1
    assert len(gan.generator_average.averages) == len(gan.generator_variables) > 0
    # After one update (decay 0.1 in the warm-up) the average sits between start and now.
    assert any(np.abs(a.numpy() - v.numpy()).max() > 0
               for a, v in zip(gan.generator_average.averages, gan.generator_variables))
    raw = _values(gan.generator_variables)
    sample_count = 4
    if hasattr(gan, "translate"):
        images = tiny_batch(gan)[0][:sample_count]
        out = gan.translate(images, next(iter(gan.translators())))
    else:
        out = gan.generate(sample_count, seed=1)
    assert len(out) == sample_count and np.isfinite(out).all()
    for before, variable in zip(raw, gan.generator_variables):
        np.testing.assert_array_equal(variable.numpy(), before)


def test_the_average_is_identical_on_every_replica():
    with two_replica_strategy().scope():
        gan = _trained()
    assert gan.distribute_strategy.num_replicas_in_sync == 2
    for average in gan.generator_average.averages + [gan.generator_average.updates]:
        first, second = gan.distribute_strategy.experimental_local_results(average.value)
        np.testing.assert_array_equal(first.numpy(), second.numpy())
    assert gan.generator_average.updates.numpy() == STEPS


# No learning-rate decay (the 1-D toy's preset lays its decay out again over a resumed length).
RING = dict(model="gan", dataset="ring8", steps_per_epoch=3, batch_size=32, steps_per_execution=1,
            eval_samples=500, seed=0, verbose=0, ema_decay=DECAY)


def test_a_resumed_run_continues_its_average(tmp_path):
    run = str(tmp_path / "run")
    first, _ = training.train(**RING, epochs=1, output_dir=run)
    # The checkpoint holds the average as it stood...
    _, folder = recovery.checkpoints(os.path.join(run, run_folder.CHECKPOINT_DIR))[0]  # the newest
    keras.utils.set_random_seed(1)
    fresh = zoo.create("gan", **run_folder.read_json(os.path.join(run, run_folder.RECORD_FILE))["model_kwargs"])
    fresh.compile()
    fresh.load_weights(os.path.join(folder, recovery.WEIGHTS_FILE))
    for restored, held in zip(fresh.generator_average.averages, first.generator_average.averages):
        np.testing.assert_array_equal(restored.numpy(), held.numpy())
    # ...and the resumed run goes on from it: 3 updates restored, 3 made.
    resumed, _ = training.train(**RING, epochs=2, output_dir=run, resume=True)
    assert int(resumed.generator_average.updates) == 6


def test_a_rollback_restores_the_average_with_the_weights(tmp_path):
    gan, summary = training.train(**{**RING, "steps_per_epoch": 4}, epochs=3,
                                  output_dir=str(tmp_path / "run"),
                                  callbacks=[PoisonGenerator(epoch=2, step=1)])
    assert [r["restored_epoch"] for r in summary["rollbacks"]] == [1]
    assert int(gan.generator_average.updates) == 12  # the diverged epoch's updates went with it
    assert all(np.isfinite(a.numpy()).all() for a in gan.generator_average.averages)


def test_a_preset_can_ship_the_raw_generator_where_the_average_measured_worse(tmp_path,
                                                                              monkeypatch):
    gan = _trained("cyclegan")
    images = np.random.default_rng(0).uniform(-1, 1, (3, 16, 16, 3)).astype(np.float32)
    averaged = gan.translate(images, "a2b")
    with gan.raw_weights():
        raw = gan.translate(images, "a2b")
    saving.save(gan, str(tmp_path / "run" / "model"))
    monkeypatch.setenv("ZOO_PRESET_DIR", str(tmp_path / "presets"))
    saving.package_preset(str(tmp_path / "run"), "cyclegan_raw", raw=True)
    shipped = zoo.load(str(tmp_path / "presets" / "cyclegan_raw"))
    assert shipped.ema_decay == 0 and shipped.generator_average is None
    translated = shipped.translate(images, "a2b")
    np.testing.assert_allclose(translated, raw, atol=3e-2)  # float16 on disk
    assert np.abs(translated - raw).max() < np.abs(translated - averaged).max()
    with pytest.raises(zoo.ZooError, match="keeps no average of its generator"):
        saving.package_preset(str(tmp_path / "presets" / "cyclegan_raw"), "again", raw=True)
