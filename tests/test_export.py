"""The TF Serving export, loaded in a fresh process as a server would."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo import serving
from tiny import TINY_CONFIGS

LOAD_AND_CALL = """
import sys, numpy as np, tensorflow as tf
loaded = tf.saved_model.load(sys.argv[1])
z = np.load(sys.argv[2])
by_z = loaded.signatures["serving_default"](z=tf.constant(z))
by_seed = loaded.signatures["seeds"](seeds=tf.constant([5, 6], tf.int64))
np.savez(sys.argv[3], by_z=by_z["images"].numpy(), by_seed=by_seed["images"].numpy(),
         keys=np.array(sorted(loaded.signatures.keys())))
"""


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    base = tmp_path_factory.mktemp("exports")
    gan = zoo.create("dcgan", **TINY_CONFIGS["dcgan"])
    return gan, zoo.export(gan, str(base), name="tiny"), base


def test_layout_is_versioned_for_tf_serving(exported):
    gan, path, base = exported
    assert path == os.path.join(str(base), "tiny", "1")
    assert os.path.isfile(os.path.join(path, "saved_model.pb"))
    second = zoo.export(gan, str(base), name="tiny")
    assert second.endswith(os.path.join("tiny", "2"))  # a new version, the first untouched
    assert sorted(os.listdir(os.path.join(str(base), "tiny"))) == ["1", "2"]


def test_round_trip_in_a_fresh_process(exported, tmp_path):
    gan, path, _ = exported
    z = np.random.default_rng(0).standard_normal((3, gan.latent_dim)).astype("float32")
    np.save(tmp_path / "z.npy", z)
    subprocess.run([sys.executable, "-c", LOAD_AND_CALL, path, str(tmp_path / "z.npy"),
                    str(tmp_path / "out.npz")], check=True, capture_output=True)
    out = np.load(tmp_path / "out.npz")
    assert list(out["keys"]) == ["seeds", "serving_default"]
    np.testing.assert_allclose(out["by_z"], gan.generator(z, training=False).numpy(), atol=1e-5)
    assert out["by_seed"].shape == (2,) + gan.sample_shape
    np.testing.assert_allclose(out["by_seed"][0], gan.generate(1, seed=5)[0], atol=1e-5)
    np.testing.assert_allclose(out["by_seed"][1], gan.generate(1, seed=6)[0], atol=1e-5)


@pytest.mark.skipif(shutil.which("saved_model_cli") is None, reason="saved_model_cli not on PATH")
def test_saved_model_cli_lists_both_signatures(exported):
    _, path, _ = exported
    shown = subprocess.run(["saved_model_cli", "show", "--dir", path, "--all"], check=True,
                           capture_output=True, text=True).stdout
    assert "signature_def['serving_default']" in shown and "signature_def['seeds']" in shown
    assert "inputs['z'] tensor_info:" in shown and "inputs['seeds'] tensor_info:" in shown
    assert "outputs['images'] tensor_info:" in shown
    assert "shape: unknown_rank" in shown  # any shape on the wire; the graph checks it


def test_export_refuses_a_file_as_base(tmp_path):
    (tmp_path / "tiny").write_text("not a folder")
    with pytest.raises(zoo.ZooError, match="is a file"):
        zoo.export(zoo.create("gan_1d", **TINY_CONFIGS["gan_1d"]), str(tmp_path), name="tiny")


def test_toy_export_serves_samples(tmp_path):
    gan = zoo.create("gan_1d", **TINY_CONFIGS["gan_1d"])
    path = zoo.export(gan, str(tmp_path), name="toy")
    import tensorflow as tf

    served = tf.saved_model.load(path).signatures["seeds"](seeds=tf.constant([3], tf.int64))
    assert list(served) == ["samples"]
    np.testing.assert_allclose(served["samples"].numpy(), gan.generate(1, seed=3), atol=1e-6)


def test_zoo_export_stays_the_function_once_training_and_the_command_line_are_imported():
    import zoo.export_cli  # noqa: F401
    import zoo.training  # noqa: F401  (imports zoo.serving; must not shadow zoo.export)

    assert callable(zoo.export) and zoo.export.__module__ == "zoo.serving"


def test_command_line_exports_a_saved_run(tmp_path):
    gan = zoo.create("gan_1d", **TINY_CONFIGS["gan_1d"])
    model_dir = zoo.save(gan, tmp_path / "model")
    command = [sys.executable, "-m", "zoo.export_cli", f"--run={model_dir}", f"--out={tmp_path / 'out'}"]
    first = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    assert first.stdout.strip() == str(tmp_path / "out" / "gan_1d" / "1")
    second = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert second.stdout.strip().endswith(os.path.join("gan_1d", "2"))  # never overwrites
    config = (tmp_path / "out" / "models.config").read_text()
    assert f'base_path: "{tmp_path / "out" / "gan_1d"}"' in config
    assert os.path.isfile(os.path.join(first.stdout.strip(), "assets.extra", "tf_serving_warmup_requests"))

    neither = subprocess.run([sys.executable, "-m", "zoo.export_cli"], capture_output=True, text=True)
    assert neither.returncode == 2 and "Traceback" not in neither.stderr
    assert neither.stderr.strip().splitlines()[-1] == (
        "error: pass exactly one of --run=RUN_DIR or --preset=NAME")


# ---------------------------------------------------------------- every registered model
SERVE_EVERY_REQUEST = """
import json, sys, numpy as np, tensorflow as tf
from tensorflow_serving.apis import prediction_log_pb2
loaded = {}
for request in json.load(open(sys.argv[1])):
    model = loaded.setdefault(request["path"], tf.saved_model.load(request["path"]))
    signature = model.signatures[request["endpoint"]]
    with np.load(request["inputs"]) as inputs:
        feed = {name: tf.constant(inputs[name]) for name in inputs.files}
    try:
        (output,) = signature(**feed).values()
        np.save(request["output"], output.numpy())
    except tf.errors.InvalidArgumentError as error:
        open(request["output"] + ".error", "w").write(error.message)
    if request["warmup"]:  # run the warm-up file's requests as a server would
        records = tf.data.TFRecordDataset(request["path"] + "/assets.extra/tf_serving_warmup_requests")
        ran = []
        for record in records:
            logged = prediction_log_pb2.PredictionLog.FromString(record.numpy()).predict_log.request
            call = model.signatures[logged.model_spec.signature_name]
            call(**{k: tf.constant(tf.make_ndarray(v)) for k, v in logged.inputs.items()})
            ran.append([logged.model_spec.name, logged.model_spec.signature_name,
                        sorted((k, tf.dtypes.as_dtype(v.dtype).name) for k, v in logged.inputs.items())])
        json.dump(ran, open(request["output"] + ".warmup.json", "w"))
"""

CONDITION_KEYWORDS = {"label": "labels", "category": "categories", "continuous": "continuous"}


def _request_inputs(gan, signature, rows=2, seed=0):
    """Valid inputs of `rows` rows for each input of a signature."""
    rng = np.random.default_rng(seed)
    inputs = {}
    for spec in signature:
        shape = (rows,) + tuple(spec.shape[1:])
        if spec.name == "seeds":
            inputs[spec.name] = np.arange(5, 5 + rows, dtype=np.int64)
        elif spec.dtype.is_integer and spec.name != "images":  # a label or category
            classes = getattr(gan, "num_classes", None) or gan.categories
            inputs[spec.name] = (np.arange(rows) % classes)[::-1].astype(np.int64)
        elif spec.dtype.name == "uint8":
            inputs[spec.name] = rng.integers(0, 256, shape).astype(np.uint8)
        else:
            inputs[spec.name] = rng.uniform(-1, 1, shape).astype(np.float32)
    return inputs


def _expected(gan, endpoint, inputs):
    """What the model itself makes of a request: generate() for seeds, the generator for z,
    translate() for images, classify() for a classifier's images."""
    if gan.data_needs == "pairs":
        direction = "a2b" if endpoint == "serving_default" else endpoint.replace("_uint8", "")
        return gan.translate(inputs["images"], direction)
    if endpoint == "classify":  # the semi-supervised GAN's classifier
        return gan.classify(inputs["images"])
    conditions = {CONDITION_KEYWORDS[k]: v for k, v in inputs.items() if k in CONDITION_KEYWORDS}
    if "seeds" in inputs:  # the seeds signature (and the RBM's default, its only one)
        return np.concatenate([
            gan.generate(1, seed=int(seed), **{k: v[row:row + 1] for k, v in conditions.items()})
            for row, seed in enumerate(inputs["seeds"])])
    z = tf.constant(inputs["z"])
    return gan.generator(gan.generator_inputs(z, **conditions), training=False).numpy()


def _wrong_request(signature, inputs):
    """The inputs with the first fixed axis one too long, and the error message expected."""
    for spec in signature:
        for axis, size in enumerate(spec.shape):
            if axis > 0 and size is not None:
                shape = list(inputs[spec.name].shape)
                shape[axis] += 1
                wrong = {**inputs, spec.name: np.zeros(shape, inputs[spec.name].dtype)}
                return wrong, f"{spec.name} must have shape ["
    if len(signature) > 1:  # no fixed axis (seeds and a label): a row too many
        name = signature[-1].name
        return {**inputs, name: np.concatenate([inputs[name], inputs[name][:1]])}, "as many rows"
    return None, None


@pytest.mark.slow
def test_every_model_exports_and_serves_what_it_generates_in_a_fresh_process(tmp_path):
    requests, checks = [], []
    for name in zoo.list_models():
        gan = zoo.create(name, **TINY_CONFIGS[name])
        path = zoo.export(gan, str(tmp_path / "exports"), name=name)
        for index, (endpoint, (_, signature)) in enumerate(gan.serving_endpoints(lambda x: x).items()):
            inputs = _request_inputs(gan, signature)
            wrong, message = _wrong_request(signature, inputs)
            for kind, feed in (("valid", inputs), ("wrong", wrong)):
                if feed is None:
                    continue
                stem = str(tmp_path / f"{name}-{endpoint}-{kind}")
                np.savez(stem + ".npz", **feed)
                requests.append(dict(path=path, endpoint=endpoint, inputs=stem + ".npz",
                                     output=stem + ".npy", warmup=index == 0 and kind == "valid"))
                checks.append((name, gan, endpoint, signature, kind, inputs, message, stem))
    with open(tmp_path / "requests.json", "w") as f:
        json.dump(requests, f)
    subprocess.run([sys.executable, "-c", SERVE_EVERY_REQUEST, str(tmp_path / "requests.json")],
                   check=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})

    served_models = set()
    for name, gan, endpoint, signature, kind, inputs, message, stem in checks:
        what = f"{name} {endpoint} ({kind} request)"
        if kind == "wrong":
            assert os.path.exists(stem + ".npy.error"), f"{what} was served"
            assert message in open(stem + ".npy.error").read(), what
            continue
        assert not os.path.exists(stem + ".npy.error"), open(stem + ".npy.error").read()
        served, expected = np.load(stem + ".npy"), _expected(gan, endpoint, inputs)
        assert served.dtype == expected.dtype, what
        # uint8 images: the graph and numpy may round a pixel on the .5 boundary apart.
        np.testing.assert_allclose(served.astype(np.float32), expected.astype(np.float32),
                                   atol=1 if served.dtype == np.uint8 else 1e-5, err_msg=what)
        served_models.add(name)
        if os.path.exists(stem + ".npy.warmup.json"):
            ran = json.load(open(stem + ".npy.warmup.json"))
            endpoints = gan.serving_endpoints(lambda x: x)
            assert [signature_name for _, signature_name, _ in ran] == list(endpoints), name
            for model_name, signature_name, inputs_and_dtypes in ran:
                assert model_name == name
                assert inputs_and_dtypes == sorted([spec.name, spec.dtype.name]
                                                   for spec in endpoints[signature_name][1])
    assert served_models == set(zoo.list_models())


def test_models_config_lists_every_exported_model(tmp_path):
    from google.protobuf import text_format
    from tensorflow_serving.config import model_server_config_pb2

    for name in ("gan_1d", "dcgan"):
        zoo.export(zoo.create(name, **TINY_CONFIGS[name]), str(tmp_path), name=f"tiny_{name}")
    (tmp_path / "not_a_model").mkdir()
    path = zoo.serving.write_models_config(str(tmp_path), base_path="/models")
    config = text_format.Parse(open(path).read(), model_server_config_pb2.ModelServerConfig())
    entries = [(c.name, c.base_path, c.model_platform) for c in config.model_config_list.config]
    assert entries == [("tiny_dcgan", "/models/tiny_dcgan", "tensorflow"),
                       ("tiny_gan_1d", "/models/tiny_gan_1d", "tensorflow")]
    with pytest.raises(zoo.ZooError, match="holds no exported model"):
        zoo.serving.write_models_config(str(tmp_path / "not_a_model"))


BAD_NAMES = ["..", "../x", "../../x", "a/b", "", ".hidden", 'a"b', "a\nb", "x" * 101, 123]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_a_name_that_is_no_safe_folder_name_is_refused_by_create_and_export(name, tmp_path):
    with pytest.raises(zoo.ZooError, match="name must be 1 to 100 letters"):
        zoo.create("gan_1d", name=name, **TINY_CONFIGS["gan_1d"])
    gan = zoo.create("gan_1d", **TINY_CONFIGS["gan_1d"])
    with pytest.raises(zoo.ZooError, match="name must be 1 to 100 letters"):
        zoo.export(gan, str(tmp_path / "out"), name=name)
    assert os.listdir(tmp_path) == []


def test_the_command_line_refuses_a_name_that_climbs_out_of_its_folder(tmp_path):
    gan = zoo.create("gan_1d", **TINY_CONFIGS["gan_1d"])
    model_dir = zoo.save(gan, tmp_path / "model")
    before = sorted(os.listdir(tmp_path))
    done = subprocess.run([sys.executable, "-m", "zoo.export_cli", f"--run={model_dir}",
                           f"--out={tmp_path / 'a' / 'out'}", "--name=../../x"],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("error: name must be 1 to 100 letters")
    assert sorted(os.listdir(tmp_path)) == before


def test_models_config_parses_as_tf_servings_proto_whatever_the_folder_holds(tmp_path):
    from google.protobuf import text_format
    from tensorflow_serving.config import model_server_config_pb2

    from zoo.serving import write_models_config

    export_dir = tmp_path / 'quote"d'
    for model in ("m1", 'evil"\n  config {', "m2"):
        os.makedirs(export_dir / model / "1")
    with open(write_models_config(str(export_dir))) as f:
        config = text_format.Parse(f.read(), model_server_config_pb2.ModelServerConfig())
    listed = config.model_config_list.config
    assert [entry.name for entry in listed] == ["m1", "m2"]  # a folder no export names is left out
    assert [entry.base_path for entry in listed] == [f"{export_dir}/m1", f"{export_dir}/m2"]



# Requests TF Serving passes to the graph unchecked: a wrong rank, too many rows, rows that
# disagree. Each must be refused by the signature's own checks, in one of its messages.
OUR_MESSAGES = ("must have shape", "must hold as many rows each", "rows (split a larger request)")
BAD_REQUESTS = {
    "z of rank 1": ("gan_1d", "serving_default", dict(z=np.zeros(3, np.float32)), "z must have shape"),
    "z of rank 3": ("gan_1d", "serving_default", dict(z=np.zeros((2, 1, 1), np.float32)),
                    "z must have shape"),
    "a scalar seed": ("gan_1d", "seeds", dict(seeds=np.int64(4)), "seeds must have shape"),
    "too many seeds": ("gan_1d", "seeds", dict(seeds=np.arange(serving.MAX_REQUEST_ROWS + 1)),
                       f"seeds must hold 1 to {serving.MAX_REQUEST_ROWS} rows"),
    "no images": ("cyclegan", "a2b", dict(images=np.zeros((0, 16, 16, 3), np.float32)),
                  "images must hold 1 to"),
    "labels of rank 2": ("cgan", "serving_default",
                         dict(z=np.zeros((2, 4), np.float32), label=np.zeros((2, 1), np.int64)),
                         "label must have shape"),
    "images of rank 3": ("cyclegan", "a2b", dict(images=np.zeros((16, 16, 3), np.float32)), None),
}


@pytest.fixture(scope="module")
def tiny_exports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("exports")
    return {name: tf.saved_model.load(zoo.export(zoo.create(name, **TINY_CONFIGS[name]), str(folder)))
            for name in ("gan_1d", "cgan", "cyclegan")}


@pytest.mark.parametrize("what", BAD_REQUESTS)
def test_a_malformed_request_gets_the_signatures_own_message(tiny_exports, what):
    name, endpoint, inputs, message = BAD_REQUESTS[what]
    with pytest.raises(tf.errors.InvalidArgumentError) as error:
        tiny_exports[name].signatures[endpoint](**{k: tf.constant(v) for k, v in inputs.items()})
    assert any(ours in error.value.message for ours in OUR_MESSAGES), error.value.message
    if message:
        assert message in error.value.message or "as many rows" in error.value.message


def test_an_export_without_the_serving_api_warns_how_to_get_warm_up_requests(tmp_path, monkeypatch, caplog):
    import logging
    from zoo.serving import write_warmup_requests
    monkeypatch.setitem(sys.modules, "tensorflow_serving", None)  # the import then fails
    with caplog.at_level(logging.WARNING, logger="zoo.serving"):
        assert write_warmup_requests(str(tmp_path), "m", {}) is None
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert 'pip install ".[serving]"' in caplog.records[0].getMessage()
    assert not os.listdir(tmp_path)
