"""The remedies and regularisers of zoo.remedies on every registered GAN: each one a model
declares does what it says (checked on the model, one step from the same start as the model
without it); each one it does not declare is refused in one line that says why."""

import numpy as np
import pytest
import tensorflow as tf
import keras

import zoo
from zoo.errors import ZooError
from zoo.layers import MinibatchStdDev
from zoo.remedies import REMEDIES
from tiny import DETERMINISTIC, TINY_CONFIGS, tiny_batch

# Each remedy switched on, for these checks.
ON = dict(pack=2, minibatch_stddev=True, spectral_norm=True, label_smoothing=0.3,
          gradient_penalty=10.0, r1_gamma=10.0, clip_value=0.005, unrolled_steps=1)
PENALTIES = ("gradient_penalty", "r1_gamma")
GANS = sorted(name for name in zoo.list_models() if hasattr(zoo.get_model_class(name), "remedies"))


def _model(name, remedy, value, **others):
    """A tiny model with `remedy` at `value`, the same weights and noise on every call (and,
    for label smoothing, a loss with targets where the model's own has none: wgan's)."""
    kwargs = {**TINY_CONFIGS[name], **DETERMINISTIC.get(name, {}), **others, remedy: value}
    if remedy == "label_smoothing" and remedy in zoo.get_model_class(name).remedies:
        default = zoo.create(name, **TINY_CONFIGS[name]).adversarial_loss
        kwargs.update({} if default.smoothable else {"loss": "non_saturating"})
    keras.utils.set_random_seed(0)
    gan = zoo.create(name, noise_seed=0, **kwargs)
    # G's update is its gradient (SGD), so that any change in the gradient shows in it;
    # unrolling differentiates through Adam steps of D.
    gan.compile(d_optimizer=keras.optimizers.Adam(0.05, beta_1=0.5),
                g_optimizer=keras.optimizers.SGD(0.1))
    return gan


def _pair(name, remedy):
    """(the model with the remedy on, the same model with it off); a penalty is checked alone
    (wgan_gp's own gradient penalty off while R1 is checked)."""
    others = {key: REMEDIES[key].off for key in PENALTIES if key != remedy} \
        if remedy in PENALTIES else {}
    return (_model(name, remedy, ON[remedy], **others),
            _model(name, remedy, REMEDIES[remedy].off, **others))


def _batch(gan):
    return tf.nest.map_structure(tf.constant, tiny_batch(gan))


def _real_and_fake(gan):
    real = gan.real_batch(_batch(gan))
    return real, gan.fake_batch(real)


def _discriminators(gan):
    """Each discriminator network: one per judged domain for a translation model."""
    domains = getattr(gan, "judged_domains", None)
    return [getattr(gan, f"discriminator_{d}") for d in domains] if domains else [gan.discriminator]


def _weights(networks):
    return [v.numpy() for network in networks for v in network.trainable_variables]


def _layer_kinds(network):
    return {type(layer) for layer in network._flatten_layers()}


def _check_network_layer(kind):
    def check(on, off):
        assert all(kind in _layer_kinds(d) for d in _discriminators(on))
        assert not any(kind in _layer_kinds(d) for d in _discriminators(off))
    return check


def _check_pack(on, off):
    for packed, single in zip(_discriminators(on), _discriminators(off)):
        assert packed.inputs[0].shape[-1] == ON["pack"] * single.inputs[0].shape[-1]


def _check_label_smoothing(on, off):
    (real_on, fake_on), (real_off, fake_off) = _real_and_fake(on), _real_and_fake(off)
    d = on.discriminator_pass()
    smoothed = float(tf.reduce_mean(on.discriminator_loss(d, real_on, fake_on)))
    d = off.discriminator_pass()
    plain = float(tf.reduce_mean(off.discriminator_loss(d, real_off, fake_off)))
    assert abs(smoothed - plain) > 1e-4 * max(1.0, abs(plain))


def _check_penalty(on, off):
    """The penalty is positive and reaches every discriminator network's weights."""
    real, fake = _real_and_fake(on)
    networks = _discriminators(on)
    with tf.GradientTape() as tape:
        penalty = tf.reduce_mean(on.penalties(on.discriminator_pass(), real, fake))
    grads = tape.gradient(penalty, [network.trainable_variables for network in networks])
    assert float(penalty) > 0
    for network, network_grads in zip(networks, grads):
        assert any(g is not None and float(tf.reduce_max(tf.abs(g))) > 0 for g in network_grads), \
            network.name
    assert float(tf.reduce_mean(off.penalties(off.discriminator_pass(), *_real_and_fake(off)))) == 0


def _check_clip_value(on, off):
    for gan in (on, off):
        gan.train_step(_batch(gan))
    bound = ON["clip_value"]
    assert all(np.all(np.abs(w) <= bound * (1 + 1e-6)) for w in _weights(_discriminators(on)))
    assert any(np.any(np.abs(w) > bound) for w in _weights(_discriminators(off)))


def _check_unrolled_steps(on, off):
    """D's update is the same; G's answers D's unrolled weights, so it is not."""
    for gan in (on, off):
        gan.train_step(_batch(gan))
    for a, b in zip(_weights(_discriminators(on)), _weights(_discriminators(off))):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    assert any(not np.allclose(a, b, rtol=1e-4, atol=1e-6)
               for a, b in zip(_weights([on.generator]), _weights([off.generator])))


CHECKS = dict(pack=_check_pack, minibatch_stddev=_check_network_layer(MinibatchStdDev),
              spectral_norm=_check_network_layer(keras.layers.SpectralNormalization),
              label_smoothing=_check_label_smoothing, gradient_penalty=_check_penalty,
              r1_gamma=_check_penalty, clip_value=_check_clip_value,
              unrolled_steps=_check_unrolled_steps)


def test_every_remedy_has_a_check():
    assert set(CHECKS) == set(REMEDIES) == set(ON)


@pytest.mark.parametrize("remedy", sorted(REMEDIES))
@pytest.mark.parametrize("name", GANS)
def test_a_declared_remedy_does_what_it_says_and_the_others_are_refused(name, remedy):
    if remedy not in zoo.get_model_class(name).remedies:
        with pytest.raises(ZooError, match=f"^{name} takes no {remedy} \\(.+\\): drop it$"):
            _model(name, remedy, ON[remedy])
        return
    on, off = _pair(name, remedy)
    CHECKS[remedy](on, off)
    history = on.train_step(_batch(on))
    assert all(np.isfinite(float(value)) for value in history.values())


def test_the_docs_table_matches_the_declarations():
    """docs/models.md's remedies table: a row per GAN, a cell per remedy, as the classes say."""
    import pathlib

    text = (pathlib.Path(__file__).parent.parent / "docs" / "models.md").read_text()
    lines = text.split("<!-- remedies table: made from the classes' declarations -->\n")[1].splitlines()
    header, rows = lines[0], [line for line in lines[2:] if line.startswith("| `")]
    columns = [cell.strip().strip("`") for cell in header.strip("|").split("|")][1:-1]
    assert columns == list(REMEDIES)
    table = {}
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        table[cells[0].strip("`")] = {c for c, mark in zip(columns, cells[1:-1]) if mark == "yes"}
    assert table == {name: set(zoo.get_model_class(name).remedies) for name in GANS}
