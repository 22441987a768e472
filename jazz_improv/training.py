"""Making the course's step-by-step LSTM fast in Keras 3, with the same maths.

Profiling (bench/bench.py; README, "Performance") showed the time going to Keras's and
TensorFlow's bookkeeping, not to the LSTM's arithmetic: tracing 30 separate per-output losses,
building a new tf.data iterator over 33 arrays every epoch, and a loop's worth of graph
operations around each one-step LSTM call. These classes remove that.
"""

import math
import sys

import tensorflow as tf
from keras import Model, callbacks, layers, losses, ops, utils


class StepLSTM(layers.LSTM):
    """keras.layers.LSTM that runs a one-step sequence with an initial state by calling its cell.

    The course feeds the LSTM one step at a time; the RNN machinery around the cell (time-major
    transposes, a loop of one iteration, masks) then only adds operations to every step's
    graph. The weights, the equations and the outputs (last output, h, c) are the LSTM's.
    """

    def call(self, sequences, initial_state=None, mask=None, training=False):
        if sequences.shape[1] != 1 or initial_state is None or mask is not None:
            return super().call(sequences, initial_state=initial_state, mask=mask, training=training)
        output, (hidden, cell) = self.cell(sequences[:, 0, :], initial_state, training=training)
        return (output, hidden, cell) if self.return_state else output


class FastTrainingModel(Model):
    """A functional Model whose fit() trains exactly as compile() and fit() describe, faster.

    - The loss, when it is categorical cross-entropy, is computed for all outputs in one
      vectorised operation: the batch mean of each output's cross-entropy, summed over the
      outputs, which is what Keras computes for a list of outputs with one loss.
    - fit() on arrays feeds Keras one shuffled, batched and repeated tf.data pipeline, so the
      iterator is made once instead of once per epoch.
    - The optimizer's variables are made before the first step: a training step that creates
      variables is traced twice by TensorFlow, and tracing this unrolled graph is most of the
      first epoch.
    """

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if self.loss != "categorical_crossentropy" or sample_weight is not None:
            return super().compute_loss(x, y, y_pred, sample_weight, training=training)
        per_output = losses.categorical_crossentropy(ops.stack(y), ops.stack(y_pred))
        return ops.sum(ops.mean(per_output, axis=-1))

    def fit(self, x=None, y=None, batch_size=None, epochs=1, shuffle=True, **kwargs):
        if not isinstance(x, (list, tuple)) or "steps_per_epoch" in kwargs:
            return super().fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=shuffle, **kwargs)
        if not self.optimizer.built:
            self.optimizer.build(self.trainable_variables)
        count = len(x[0])
        batch_size = batch_size or 32
        dataset = tf.data.Dataset.from_tensor_slices((tuple(x), tuple(y)))
        if shuffle:
            # seeded from the global seed (keras.utils.set_random_seed): reproducible
            dataset = dataset.shuffle(count, reshuffle_each_iteration=True)
        dataset = dataset.batch(batch_size).repeat().prefetch(2)
        return super().fit(dataset, epochs=epochs, steps_per_epoch=math.ceil(count / batch_size),
                           shuffle=False, **kwargs)


class EpochProgress(callbacks.Callback):
    """Training progress as one line: Keras's progress bar over the epochs, with the last
    epoch's loss. The losses of every epoch stay in fit()'s history.

    In a terminal or a notebook the line is redrawn after every epoch; written to a file or a
    pipe it is printed once, plainly, at the end. Use it with fit(..., verbose=0), which would
    otherwise print two lines per epoch.
    """

    def on_train_begin(self, logs=None):
        live = sys.stdout.isatty() or "ipykernel" in sys.modules
        self.bar = utils.Progbar(self.params["epochs"], verbose=1 if live else 2, unit_name="epoch",
                                 stateful_metrics=["loss"])

    def on_epoch_end(self, epoch, logs=None):
        self.bar.update(epoch + 1, [("loss", logs["loss"])])


def shared_layers_summary(model, steps, input_shape, layers):
    """A short summary of a model that calls the same layers at every step.

    Keras's model.summary() lists every step's call, 250 lines for djmodel; this lists each shared
    layer once, with the shape it gives one step, its parameters, and the model's total.

    Arguments:
        model -- the unrolled model
        steps -- how many steps it unrolls
        input_shape -- the shape one step's first layer takes, e.g. (None, 78)
        layers -- {name: layer} in the order one step calls them, each taking the last one's output
    Returns:
        the summary, a string of a few lines
    """
    rows = [("layer", "type", "output shape (one step)", "params")]
    shape = input_shape
    for name, layer in layers.items():
        shape = layer.compute_output_shape(shape)
        if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
            shape = shape[0]  # an LSTM returning its state: its output, then a and c, all this shape
        rows.append((name, type(layer).__name__, str(tuple(shape)), f"{layer.count_params():,}"))
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    lines = [f'Model "{model.name}": {steps} steps, each through the same {len(layers)} layers']
    lines += ["  " + "  ".join(cell.rjust(width) if column == 3 else cell.ljust(width)
                                for column, (cell, width) in enumerate(zip(row, widths))).rstrip()
              for row in rows]
    lines.append(f"  Total params: {model.count_params():,}")
    return "\n".join(lines)
