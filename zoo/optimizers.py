"""The optimizers a run trains with, and their learning-rate schedules."""

import keras
import tensorflow as tf

# SGD's momentum: the final momentum of Hinton's guide to training RBMs (2010, section 9).
SGD_MOMENTUM = 0.9


@keras.saving.register_keras_serializable(package="zoo")
class HoldThenLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """The learning rate held for the first `hold_steps`, then decayed linearly to 0 at
    `total_steps` (CycleGAN's schedule: constant for half the epochs, then linear)."""

    def __init__(self, initial_learning_rate, hold_steps, total_steps):
        self.initial_learning_rate = float(initial_learning_rate)
        self.hold_steps, self.total_steps = int(hold_steps), max(int(total_steps), 1)

    def __call__(self, step):
        decay_steps = max(self.total_steps - self.hold_steps, 1)
        past = tf.cast(step, tf.float32) - self.hold_steps
        fraction = tf.clip_by_value(1.0 - past / decay_steps, 0.0, 1.0)
        return self.initial_learning_rate * fraction

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "hold_steps": self.hold_steps, "total_steps": self.total_steps}


def make_optimizer(lr, settings, total_steps, loss_scaling):
    """The optimizer of one network: Adam, RMSprop or SGD with momentum at `lr`, decayed over `total_steps` as
    settings.lr_decay says, wrapped for loss scaling under float16."""
    if settings.lr_decay == "linear":
        lr = keras.optimizers.schedules.PolynomialDecay(lr, max(total_steps, 1), end_learning_rate=0.0)
    elif settings.lr_decay == "linear_second_half":
        lr = HoldThenLinearDecay(lr, total_steps // 2, total_steps)
    if settings.optimizer == "rmsprop":  # WGAN's; rho is keras' (and TensorFlow 1's) 0.9
        optimizer = keras.optimizers.RMSprop(lr)
    elif settings.optimizer == "sgd":
        optimizer = keras.optimizers.SGD(lr, momentum=SGD_MOMENTUM)
    else:
        optimizer = keras.optimizers.Adam(lr, beta_1=settings.beta_1, beta_2=settings.beta_2)
    return keras.optimizers.LossScaleOptimizer(optimizer) if loss_scaling else optimizer
