"""zoo.client against stand-ins for TF Serving's REST and gRPC endpoints: each runs the export's
signature on what arrives and answers in TF Serving's format (a stand-in, not the server: its
binary can't be installed here)."""

import json
import threading
from concurrent import futures
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo import client
from tiny import TINY_CONFIGS


@pytest.fixture(scope="module")
def served_cgan(tmp_path_factory):
    gan = zoo.create("cgan", **TINY_CONFIGS["cgan"])
    path = zoo.export(gan, str(tmp_path_factory.mktemp("exports")), name="tiny_cgan")
    return gan, tf.saved_model.load(path)


def _rest_stand_in(loaded, seen):
    class Predict(BaseHTTPRequestHandler):
        def do_POST(self):
            seen.append(self.path)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            signature = loaded.signatures[body["signature_name"]]
            specs = signature.structured_input_signature[1]
            try:
                feed = {k: tf.constant(v, specs[k].dtype) for k, v in body["inputs"].items()}
                (output,) = signature(**feed).values()  # one output: columnar answers drop its name
                status, answer = 200, {"outputs": output.numpy().tolist()}
            except tf.errors.InvalidArgumentError as error:
                status, answer = 400, {"error": error.message}
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    return HTTPServer(("127.0.0.1", 0), Predict)


def test_rest_client_sends_what_tf_serving_reads_and_returns_the_images(served_cgan):
    gan, loaded = served_cgan
    seen = []
    server = _rest_stand_in(loaded, seen)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    address = f"http://127.0.0.1:{server.server_port}"
    try:
        images = client.predict_rest(address, "tiny_cgan", "seeds", seeds=[5, 6], label=[2, 0])
        assert seen == ["/v1/models/tiny_cgan:predict"]
        np.testing.assert_allclose(images[1], gan.generate(1, seed=6, labels=[0])[0], atol=1e-5)
        client.predict_rest(address, "tiny_cgan", "seeds", version=1, seeds=[5], label=[1])
        assert seen[-1] == "/v1/models/tiny_cgan/versions/1:predict"
        with pytest.raises(zoo.ZooError, match=r"answered 400: .*label must lie in \[0, 3\)"):
            client.predict_rest(address, "tiny_cgan", "seeds", seeds=[5], label=[3])
    finally:
        server.shutdown()
        server.server_close()
    with pytest.raises(zoo.ZooError, match="no server at"):
        client.predict_rest(address, "tiny_cgan", "seeds", seeds=[5], label=[1], timeout=5)


def test_grpc_client_round_trips_through_a_prediction_service(served_cgan):
    import grpc
    from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

    gan, loaded = served_cgan

    class PredictionService(prediction_service_pb2_grpc.PredictionServiceServicer):
        def Predict(self, request, context):
            assert request.model_spec.name == "tiny_cgan"
            signature = loaded.signatures[request.model_spec.signature_name]
            outputs = signature(**{k: tf.constant(tf.make_ndarray(v)) for k, v in request.inputs.items()})
            response = predict_pb2.PredictResponse()
            for name, value in outputs.items():
                response.outputs[name].CopyFrom(tf.make_tensor_proto(value.numpy()))
            return response

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(PredictionService(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        z = gan.latent_from_seed(2, 3).numpy()
        images = client.predict_grpc(f"127.0.0.1:{port}", "tiny_cgan", z=z, label=[1, 2])
        expected = gan.generator([z, np.array([1, 2], np.int32)], training=False).numpy()
        np.testing.assert_allclose(images, expected, atol=1e-5)
    finally:
        server.stop(None)


def test_requests_carry_the_signature_dtypes():
    request = client.grpc_request("m", "seeds", version=3, seeds=[1, 2], label=np.array([4, 5], np.int32))
    assert request.model_spec.version.value == 3
    assert {k: tf.dtypes.as_dtype(v.dtype).name for k, v in request.inputs.items()} == {
        "seeds": "int64", "label": "int64"}
    uint8 = client.grpc_request("m", "a2b_uint8", images=np.zeros((1, 4, 4, 3)))
    assert tf.dtypes.as_dtype(uint8.inputs["images"].dtype).name == "uint8"
    assert client.rest_body("seeds", seeds=[1]) == {"signature_name": "seeds", "inputs": {"seeds": [1]}}
    with pytest.raises(zoo.ZooError, match="pass the signature's inputs"):
        client.rest_body("seeds")
