"""The global batch, seen from inside one replica's step under a `tf.distribute` strategy.

A statistic of the batch (a mean over examples, a comparison between examples) taken on each
replica's share alone would make N replicas train differently from one device on the same
global batch. These helpers take it over the global batch instead, and are differentiable
(the strategy's all-reduce and all-gather carry gradients back to every replica). Outside a
strategy, or with one replica, they are the plain batch operations. Replicas are assumed to
hold equal shares of the batch (the zoo's datasets drop a last partial batch).
"""

import tensorflow as tf


def _syncing_context():
    """The replica context when there are other replicas to agree with, else None."""
    context = tf.distribute.get_replica_context()
    return context if context is not None and context.num_replicas_in_sync > 1 else None


def global_mean(x):
    """The mean of `x` over the examples (axis 0) of the global batch."""
    context = _syncing_context()
    if context is None:
        return tf.reduce_mean(x, axis=0)
    total, count = context.all_reduce(tf.distribute.ReduceOp.SUM, [
        tf.reduce_sum(x, axis=0), tf.cast(tf.shape(x)[0], x.dtype)])
    return total / count


def mean_over_replicas(values):
    """The replicas' mean of each tensor in `values`: of per-replica gradients, each of a mean
    over its share of the batch, the gradient of the mean over the global batch."""
    context = _syncing_context()
    return values if context is None else context.all_reduce(tf.distribute.ReduceOp.MEAN, values)


def gather(x):
    """The global batch of `x`: every replica's rows, in replica order."""
    context = _syncing_context()
    return x if context is None else context.all_gather(x, axis=0)


def own_rows(gathered, local_size):
    """This replica's rows of a batch made by `gather` (or computed from one)."""
    context = _syncing_context()
    if context is None:
        return gathered
    start = tf.cast(context.replica_id_in_sync_group, tf.int32) * local_size
    return gathered[start:start + local_size]
