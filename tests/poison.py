"""A callback that makes a run diverge, for the fault tests (and tests/fault_driver.py)."""

import keras
import tensorflow as tf


class PoisonGenerator(keras.callbacks.Callback):
    """Sets the generator's first kernel to NaN after a given step of a given epoch (1-based),
    `times` times at most: the next step's losses are NaN."""

    def __init__(self, epoch, step, times=1):
        super().__init__()
        self.epoch, self.step, self.times = epoch, step, times
        self.poisoned = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.current_epoch = epoch + 1

    def on_train_batch_end(self, batch, logs=None):
        if (self.current_epoch, batch + 1) == (self.epoch, self.step) and self.poisoned < self.times:
            kernel = self.model.generator.trainable_variables[0]
            kernel.assign(tf.fill(kernel.shape, float("nan")))
            self.poisoned += 1
