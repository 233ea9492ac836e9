"""Requests to a TF Serving server that serves a zoo export, over REST or gRPC.

    from zoo import client
    images = client.predict_rest("http://localhost:8501", "dcgan_mnist", "seeds", seeds=[1, 2, 3])
    images = client.predict_grpc("localhost:8500", "cgan_mnist", "seeds", seeds=[1, 2], label=[7, 7])

Inputs are keyword arguments named as the signature's inputs (`z`, `seeds`, `label`, `images`;
`saved_model_cli show --dir EXPORT --all` lists them); each is anything numpy turns into an
array, cast to the signature's dtype (z and images float32, seeds and label int64, uint8 images
for the `*_uint8` signatures). Both return the output as a numpy array (every zoo signature has
one: `images`, or `samples` for the toys); a dict by name if a signature had several. The gRPC side needs the
optional `tensorflow-serving-api` package (`pip install ".[serving]"`); REST needs nothing.
"""

import json
import urllib.error
import urllib.request

import numpy as np

from zoo.errors import ZooError

# The dtype each input of a zoo signature takes on the wire.
INPUT_DTYPES = {"z": np.float32, "seeds": np.int64, "label": np.int64, "images": np.float32,
                "category": np.int64, "continuous": np.float32}


def _arrays(signature, inputs):
    if not inputs:
        raise ZooError("pass the signature's inputs as keyword arguments, e.g. seeds=[1, 2]")
    arrays = {}
    for name, value in inputs.items():
        dtype = np.uint8 if (name == "images" and signature.endswith("_uint8")) else INPUT_DTYPES.get(name)
        array = np.asarray(value)
        arrays[name] = array.astype(dtype) if dtype is not None else array
    return arrays


def rest_body(signature, **inputs):
    """The JSON body of a REST predict request (columnar "inputs" format)."""
    return {"signature_name": signature,
            "inputs": {name: array.tolist() for name, array in _arrays(signature, inputs).items()}}


def rest_url(server, model, version=None):
    """`server` is "http://host:8501"; the model name is the export folder's name."""
    path = f"/v1/models/{model}" + (f"/versions/{int(version)}" if version is not None else "")
    return server.rstrip("/") + path + ":predict"


def predict_rest(server, model, signature="serving_default", version=None, timeout=30, **inputs):
    body = json.dumps(rest_body(signature, **inputs)).encode()
    request = urllib.request.Request(rest_url(server, model, version), data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.loads(response.read())
    except urllib.error.HTTPError as error:  # the server's message says what was wrong
        raise ZooError(f"{model} answered {error.code}: {error.read().decode(errors='replace')}") from None
    except urllib.error.URLError as error:
        raise ZooError(f"no server at {server} ({error.reason}): start tensorflow_model_server "
                       "(docs/serving.md) or pass the right address") from None
    except TimeoutError:
        raise ZooError(f"{server} did not answer within {timeout} s: pass a larger timeout or "
                       "check the server") from None
    dtype = np.uint8 if signature.endswith("_uint8") else np.float32
    outputs = answer["outputs"]  # a signature with one output comes back without its name
    if isinstance(outputs, dict):
        return {name: np.asarray(value, dtype) for name, value in outputs.items()}
    return np.asarray(outputs, dtype)


def _serving_apis():
    try:
        from tensorflow_serving.apis import predict_pb2, prediction_log_pb2
    except ImportError:
        raise ZooError("gRPC requests and warm-up files need tensorflow-serving-api: "
                       "pip install \".[serving]\"") from None
    return predict_pb2, prediction_log_pb2


def grpc_request(model, signature="serving_default", version=None, **inputs):
    """A tensorflow_serving PredictRequest proto."""
    import tensorflow as tf

    predict_pb2, _ = _serving_apis()
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    request.model_spec.signature_name = signature
    if version is not None:
        request.model_spec.version.value = int(version)
    for name, array in _arrays(signature, inputs).items():
        request.inputs[name].CopyFrom(tf.make_tensor_proto(array))
    return request


def warmup_log(model, signature, **inputs):
    """A PredictionLog holding one request: a record of a TF Serving warm-up file."""
    _, prediction_log_pb2 = _serving_apis()
    return prediction_log_pb2.PredictionLog(
        predict_log=prediction_log_pb2.PredictLog(request=grpc_request(model, signature, **inputs)))


def predict_grpc(target, model, signature="serving_default", version=None, timeout=30, **inputs):
    """`target` is "host:8500"."""
    import grpc
    import tensorflow as tf

    from tensorflow_serving.apis import prediction_service_pb2_grpc

    request = grpc_request(model, signature, version, **inputs)
    with grpc.insecure_channel(target) as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        try:
            response = stub.Predict(request, timeout=timeout)
        except grpc.RpcError as error:
            raise ZooError(f"{model} at {target}: {error.code().name}: {error.details()}") from None
    outputs = {name: tf.make_ndarray(proto) for name, proto in response.outputs.items()}
    return next(iter(outputs.values())) if len(outputs) == 1 else outputs
