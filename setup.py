from setuptools import find_packages, setup

setup(
    name="gan-zoo",
    version="0.1.0",
    description="Classic GAN variants on TensorFlow and Keras 3: trained, measured, ready for TF Serving",
    long_description=open("README.md").read(),
    long_description_content_type="text/markdown",
    # The shipped presets and classifiers travel with the package: the repository's
    # saved_models/ is installed as zoo/saved_models (zoo.saving.preset_dir finds either).
    packages=find_packages(include=["zoo", "zoo.*"]) + ["zoo.saved_models"],
    package_dir={"zoo.saved_models": "saved_models"},
    package_data={"zoo.saved_models": ["*/*"]},
    py_modules=["train"],
    python_requires=">=3.9",
    license="Apache-2.0",
    install_requires=[
        # The versions the suite runs on: the zoo uses private APIs of both (zoo/internals.py).
        "tensorflow>=2.21,<3",
        "keras>=3.15,<4",
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
    entry_points={"console_scripts": ["zoo-train=train:run", "zoo-export=zoo.export_cli:run"]},
)
