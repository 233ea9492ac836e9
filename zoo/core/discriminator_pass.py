"""D as the losses of one step call it.

A step hands its losses a `DiscriminatorPass` instead of letting them call the network, so
that what D they read is an argument, not state on the model: D with its own variables, D
with unrolled weights (Metz et al. 2017: G's loss against D a few steps ahead), or D whose
score of a batch, once taken, serves every later loss of the step (simultaneous updates).
"""

import tensorflow as tf

from zoo import losses


class DiscriminatorPass:
    """Calls `network` (D) and returns its outputs in full precision, whatever the compute
    dtype (under mixed precision the losses and their reductions stay in float32).

    Args:
      network: the discriminator, a keras Model.
      weights: D's trainable weights to run with in place of its variables (tensors, in the
        order of `network.trainable_variables`), or None for the variables themselves.
      share_scores: remember each batch's score (see `score_once`).
    """

    def __init__(self, network, weights=None, share_scores=False):
        self.network = network
        self.weights = weights
        # {id(batch): (batch, score)}: the batch is held so that its id stays its own.
        self._scores = {} if share_scores else None

    @property
    def unrolled(self):
        """True when D runs with weights other than its variables'."""
        return self.weights is not None

    def __call__(self, inputs, training=True):
        if self.weights is None:
            outputs = self.network(inputs, training=training)
        else:
            outputs, _ = self.network.stateless_call(
                self.weights, [v.value for v in self.network.non_trainable_variables],
                inputs, training=training)
        return tf.nest.map_structure(losses.full_precision, outputs)

    def score_once(self, batch, score):
        """`score()`, the score of `batch`; when scores are shared, the first score taken of
        this very batch (and its recorded pass) serves again."""
        if self._scores is None:
            return score()
        if id(batch) not in self._scores:
            self._scores[id(batch)] = (batch, score())
        return self._scores[id(batch)][1]
