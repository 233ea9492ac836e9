import pytest

import zoo
from zoo.registry import Preset
from tiny import TINY_CONFIGS


def test_the_foundation_variants_are_registered():
    assert {"gan", "gan_1d", "dcgan"} <= set(zoo.list_models())
    assert zoo.list_models() == sorted(zoo.list_models())


def test_every_model_has_a_tiny_test_config():
    assert set(zoo.list_models()) == set(TINY_CONFIGS)


def test_wildcards_filter_names():
    assert zoo.list_presets("dcgan*") and all(p.startswith("dcgan") for p in zoo.list_presets("dcgan*"))
    assert "dcgan_mnist" in zoo.list_presets("dcgan*")
    assert zoo.list_models("gan*") == ["gan", "gan_1d"]
    assert {"mnist", "gaussian_1d", "ring8", "grid25"} <= set(zoo.list_datasets())


def test_every_preset_names_a_registered_model_and_dataset():
    for name in zoo.list_presets():
        preset = zoo.get_preset(name)
        assert preset.model in zoo.list_models()
        assert preset.dataset in zoo.list_datasets()


def test_duplicate_names_are_refused():
    with pytest.raises(zoo.ZooError, match="already registered"):
        zoo.register_model("dcgan")(type("Again", (), {}))
    with pytest.raises(zoo.ZooError, match="already registered"):
        zoo.register_preset(Preset(name="dcgan_mnist", model="dcgan", dataset="mnist"))
    assert zoo.get_model_class("dcgan").__name__ == "DCGAN"


@pytest.mark.parametrize("name", ["../evil", "", 'a"b', None])
def test_a_name_that_is_no_safe_folder_name_is_not_registered(name):
    with pytest.raises(zoo.ZooError, match="a model's name must be 1 to 100 letters"):
        zoo.register_model(name)(type("Evil", (), {}))
    with pytest.raises(zoo.ZooError, match="a preset's name must be 1 to 100 letters"):
        zoo.register_preset(Preset(name=name, model="dcgan", dataset="mnist"))
    assert name not in zoo.list_models() and name not in zoo.list_presets()


@pytest.mark.parametrize("lookup, name, suggestion", [
    (zoo.create, "dcgna", "dcgan"),
    (zoo.get_preset, "dcgan_mnsit", "dcgan_mnist"),
    (zoo.get_dataset, "minst", "mnist"),
])
def test_unknown_names_suggest_close_matches(lookup, name, suggestion):
    with pytest.raises(zoo.ZooError, match=f"did you mean '{suggestion}'"):
        lookup(name)


def test_create_refuses_unknown_arguments():
    with pytest.raises(zoo.ZooError, match="dcgan takes no argument 'latent_size'; it takes .*latent_dim"):
        zoo.create("dcgan", latent_size=3)


def test_a_models_preset_for_a_dataset_is_found_by_its_fields_not_its_name():
    from zoo.registry import find_preset

    assert find_preset("dcgan", "celeb_a").name == "dcgan_celeb_a_64"
    assert find_preset("dcgan", "mnist").name == "dcgan_mnist"
    assert find_preset("gan_1d", "ring8") is None
