from setuptools import find_packages, setup

setup(
    name="gan-zoo",
    version="0.1.0",
    description="Classic GAN variants on TensorFlow and Keras 3: trained, measured, ready for TF Serving",
    long_description=open("README.md").read(),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["zoo", "zoo.*"]),
    py_modules=["train"],
    python_requires=">=3.9",
    install_requires=[
        "tensorflow>=2.16",  # Keras 3
        "keras>=3.0",
        "tensorflow-datasets>=4.9",
        "importlib_resources",  # tfds needs it at run time
        "tensorboard",  # tf.summary, used by the TensorBoard callback
        "numpy",
        "h5py",  # preset packaging rewrites weight files (keras needs it too)
        "absl-py",
        "matplotlib",
    ],
    extras_require={
        # Warm-up files in exports, gRPC requests (zoo.client).
        "serving": ["tensorflow-serving-api>=2.16"],
        # pytest-xdist: the suite runs one worker per core (pytest.ini).
        "test": ["pytest", "pytest-xdist>=3.2", "tensorflow-serving-api>=2.16"],
    },
    entry_points={"console_scripts": ["zoo-train=train:run"]},
)
