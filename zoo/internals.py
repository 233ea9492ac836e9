"""The private TensorFlow and Keras APIs the zoo relies on, in one place.

Each is an attribute or method that Keras 3.15 / TensorFlow 2.21 (the versions setup.py
allows and the suite tests) do not document. A new version that renames one breaks only
this module, and the test named beside each catches it. The one hook the zoo overrides,
`keras.Model._maybe_symbolic_build`, is overridden in zoo.core.model.ZooModel
(tests/test_multiworker.py).
"""

import tensorflow as tf


def adam_moments(adam, variables):
    """Adam's first and second moment slots of `variables`, as tensors (unrolled D steps;
    tests/test_remedies.py's unrolling tests)."""
    slots = [adam._get_variable_index(v) for v in variables]
    return ([tf.convert_to_tensor(adam._momentums[i]) for i in slots],
            [tf.convert_to_tensor(adam._velocities[i]) for i in slots])


def set_initial_epoch(model, epoch):
    """The epoch `fit` resumes from, as Keras' BackupAndRestore sets it after a restore
    (tests/test_faults.py, tests/test_training.py's resume tests)."""
    model._initial_epoch = epoch


def in_multi_worker_mode(strategy):
    """Whether Keras reduces a step's logs across worker processes (its own test;
    tests/test_multiworker.py)."""
    return (isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
            and strategy.extended._in_multi_worker_mode())
