"""Checkers for the exercise notebook, called as the course calls them: djmodel_test(djmodel),
music_inference_model_test(music_inference_model), predict_and_sample_test(predict_and_sample).

Each prints "All tests passed", or stops the notebook with ExerciseError, whose one sentence says
what is wrong and what to write. They run the learner's function on small sizes and compare what
it computes with the LSTM's equations written in NumPy.
"""

import inspect
import re
import warnings

import numpy as np

PASSED = "All tests passed"
BLANK = re.compile(r"^\s*(None|.*=\s*None)\s*(#.*)?$")  # how the exercise leaves a line to write


class ExerciseError(AssertionError):
    """A graded function that does not do its job yet; the message says what to change."""

    def _render_traceback_(self):
        # IPython calls this to show an exception: the learner sees the hint, not a traceback
        return [f"{type(self).__name__}: {self}"]


def djmodel_test(djmodel):
    """Check the learner's djmodel(Tx, n_a, n_values) with the notebook's reshapor, LSTM_cell
    and densor: Tx outputs, one shared set of weights, each step's softmax as the equations give it."""
    _report("djmodel", _djmodel_problem(djmodel))


def music_inference_model_test(music_inference_model):
    """Check the learner's music_inference_model(LSTM_cell, densor, n_values, n_a, Ty) with
    small layers of its own: Ty softmax outputs, the argmax fed back, the state carried."""
    _report("music_inference_model", _inference_problem(music_inference_model))


def predict_and_sample_test(predict_and_sample):
    """Check the learner's predict_and_sample(inference_model, x, a, c) on a small inference
    model: indices (Ty, 1), the argmax of each output, and results (Ty, n_values), their one-hots."""
    _report("predict_and_sample", _sampling_problem(predict_and_sample))


def _report(name, problem):
    if problem:
        raise ExerciseError(f"{name}: {problem}")
    print(PASSED)


# ---------------------------------------------------------------------------------------------
# the equations, in NumPy


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _lstm_step(x, a, c, kernel, recurrent, bias):
    """One step of Keras's LSTM (gates i, f, candidate, o): x (m, n_x), a and c (m, n_a)."""
    z = x @ kernel + a @ recurrent + bias
    i, f, g, o = np.split(z, 4, axis=-1)
    c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    return _sigmoid(o) * np.tanh(c), c


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _unrolled(xs, a, c, lstm_weights, dense_weights, feed_back=False, carry_state=True):
    """The softmax of each step: xs (steps, m, n_x) the inputs, or with feed_back xs[0] the first
    and the one-hot of each step's argmax the next."""
    kernel, recurrent, bias = lstm_weights
    weights, offset = dense_weights
    a0, c0, x, outputs = a, c, xs[0], []
    for t in range(len(xs)):
        x = x if feed_back else xs[t]
        a, c = _lstm_step(x, *((a, c) if carry_state else (a0, c0)), kernel, recurrent, bias)
        outputs.append(_softmax(a @ weights + offset))
        x = np.eye(outputs[-1].shape[-1])[outputs[-1].argmax(axis=-1)]
    return np.stack(outputs)


# ---------------------------------------------------------------------------------------------
# the learner's code


def _blank_line(function):
    """A line the exercise left as None between START CODE HERE and END CODE HERE, or None."""
    try:
        source = inspect.getsource(inspect.unwrap(function))
    except (OSError, TypeError):
        return None
    inside = False
    for line in source.splitlines():
        if "### START CODE HERE ###" in line or "### END CODE HERE ###" in line:
            inside = "START" in line
        elif inside and BLANK.match(line):
            return line.strip()
    return None


# What Keras says when a model is put together wrongly, and what to write instead
KERAS_ERRORS = {
    "is not connected to `inputs`": "its outputs come from an Input its model does not list: "
                                    "the inputs are all three, {inputs}",
    "expected ndim=3, found ndim=2": "LSTM_cell takes a sequence, (m, 1, n_values): reshape x with "
                                     "reshapor before the LSTM step",
}


def _call(function, *args, inputs="[X, a0, c0]", **kwargs):
    """(result, None), or (None, the sentence that says why the call failed)."""
    blank = _blank_line(function)
    if blank:
        return None, (f"`{blank}` is still a blank: write the code between ### START CODE HERE ### "
                      f"and ### END CODE HERE ###")
    try:
        return function(*args, **kwargs), None
    except Exception as error:  # the learner's code: any mistake is reported, as one sentence
        for words, hint in KERAS_ERRORS.items():
            if words in str(error):
                return None, hint.format(inputs=inputs)
        return None, f"calling it raised {type(error).__name__}: {_first_line(error)}"


def _first_line(error):
    return (str(error).strip().splitlines() or [""])[0]


def _is_model(value):
    from keras import Model

    return isinstance(value, Model)


def _shapes(tensors):
    return [tuple(tensor.shape) for tensor in tensors]


def _run(model, inputs):
    """The model's outputs as NumPy arrays, (steps, m, n_values); or the sentence why it failed."""
    from keras import ops

    try:
        with warnings.catch_warnings():  # Keras's own complaints about the learner's graph: the hint says it
            warnings.simplefilter("ignore")
            return np.stack([ops.convert_to_numpy(output) for output in model(inputs, training=False)]), None
    except Exception as error:  # the learner's graph: any mistake is reported, as one sentence
        if "KerasTensor is symbolic" in str(error):
            return None, ("running the model reads a symbolic tensor: the course's "
                          "Lambda(lambda x: X[:, t, :])(X) uses the Input X itself, which Keras 3 "
                          "cannot run; write x = X[:, t, :]")
        return None, f"running the model raised {type(error).__name__}: {_first_line(error)}"


def _layers_of(model, kind):
    return [layer for layer in model.layers if isinstance(layer, kind)]


# ---------------------------------------------------------------------------------------------
# djmodel


def _djmodel_problem(djmodel):
    from keras.layers import LSTM, Dense

    notebook = inspect.unwrap(djmodel).__globals__  # the notebook's shared layers and sizes
    n_a, n_values = notebook.get("n_a", 64), notebook.get("n_values", 78)
    LSTM_cell, densor = notebook.get("LSTM_cell"), notebook.get("densor")
    Tx, m = 5, 3
    model, failed = _call(djmodel, Tx=Tx, n_a=n_a, n_values=n_values)
    if failed:
        return failed
    if not _is_model(model):
        return (f"it returned {type(model).__name__}, not a keras Model: end with "
                f"model = Model(inputs=[X, a0, c0], outputs=outputs)")
    if _shapes(model.inputs) != [(None, Tx, n_values), (None, n_a), (None, n_a)]:
        return (f"its inputs are {_shapes(model.inputs)}; they must be [X, a0, c0], shapes "
                f"(None, Tx, n_values), (None, n_a), (None, n_a)")
    if len(model.outputs) != Tx:
        return (f"built with Tx = {Tx} it has {len(model.outputs)} output(s); it needs one per step: "
                f"append out to outputs inside the loop")
    if any(shape != (None, n_values) for shape in _shapes(model.outputs)):
        return (f"its outputs have shapes {sorted(set(_shapes(model.outputs)))}; each must be "
                f"densor's softmax over the values, (None, {n_values}): out = densor(a)")
    lstms, denses = _layers_of(model, LSTM), _layers_of(model, Dense)
    if len(lstms) != 1 or len(denses) != 1:
        return (f"built with Tx = {Tx}, the model has {len(lstms)} LSTM and {len(denses)} Dense layers, so "
                f"its steps do not share weights: create no layer in the loop, call the notebook's "
                f"LSTM_cell and densor at every step")
    if lstms[0] is not LSTM_cell or denses[0] is not densor:
        return "it must call the notebook's shared LSTM_cell and densor, not layers of its own"

    rng = np.random.RandomState(0)
    X = np.eye(n_values)[rng.randint(n_values, size=(m, Tx))].astype("float32")
    a0, c0 = (rng.normal(0, 0.5, size=(m, n_a)).astype("float32") for _ in range(2))
    outputs, failed = _run(model, [X, a0, c0])
    if failed:
        return failed
    changed = X.copy()
    changed[:, -1] = np.roll(changed[:, -1], 1, axis=-1)
    later, failed = _run(model, [changed, a0, c0])
    if failed:
        return failed
    if not np.allclose(later[:-1], outputs[:-1], atol=1e-6):
        return ("an early step reads a later value of X: each step t must read its own X[:, t, :] "
                "(in Keras 3 a Lambda's function runs again at training time, when t is the last "
                "step; write x = X[:, t, :])")
    if np.allclose(later[-1], outputs[-1], atol=1e-6):
        return "the last step does not read its own value: step t must read X[:, t, :]"
    changed = X.copy()
    changed[:, 0] = np.roll(changed[:, 0], 1, axis=-1)
    earlier, failed = _run(model, [changed, a0, c0])
    if failed:
        return failed
    if np.allclose(earlier[-1], outputs[-1], atol=1e-6):
        return ("a step forgets the steps before it: pass the previous step's a and c to the next, "
                "a, _, c = LSTM_cell(x, initial_state=[a, c])")
    expected = _unrolled(np.swapaxes(X, 0, 1), a0, c0, LSTM_cell.get_weights(), densor.get_weights())
    if not np.allclose(outputs, expected, atol=1e-4):
        return ("its outputs differ from the LSTM's equations: LSTM_cell returns the output, a and c "
                "in that order, a, _, c = LSTM_cell(x, initial_state=[a, c]), and out = densor(a)")
    return None


# ---------------------------------------------------------------------------------------------
# music_inference_model and predict_and_sample, on small layers of the checker's own


def _small_layers(n_values, n_a, seed=1):
    """An LSTM and a softmax Dense with random weights large enough that each step's argmax
    depends on the input fed back."""
    from keras.layers import LSTM, Dense

    rng = np.random.RandomState(seed)
    # made with zeros, then given weights: Keras's random generator is left as it was, so a
    # notebook that calls a checker trains and improvises as one that does not
    LSTM_cell = LSTM(n_a, return_state=True, kernel_initializer="zeros", recurrent_initializer="zeros")
    densor = Dense(n_values, activation="softmax", kernel_initializer="zeros")
    LSTM_cell.build((None, 1, n_values))
    densor.build((None, n_a))
    LSTM_cell.set_weights([rng.normal(0, 1.5, w.shape) for w in LSTM_cell.get_weights()])
    densor.set_weights([rng.normal(0, 2.0, w.shape) for w in densor.get_weights()])
    return LSTM_cell, densor


def _inference_problem(music_inference_model):
    from keras.layers import LSTM, Dense

    n_values, n_a, Ty = 7, 5, 8
    LSTM_cell, densor = _small_layers(n_values, n_a)
    model, failed = _call(music_inference_model, LSTM_cell, densor, n_values=n_values, n_a=n_a, Ty=Ty,
                          inputs="[x0, a0, c0]")
    if failed:
        return failed
    if not _is_model(model):
        return (f"it returned {type(model).__name__}, not a keras Model: end with "
                f"inference_model = Model(inputs=[x0, a0, c0], outputs=outputs)")
    if _shapes(model.inputs) != [(None, 1, n_values), (None, n_a), (None, n_a)]:
        return (f"its inputs are {_shapes(model.inputs)}; they must be [x0, a0, c0], shapes "
                f"(None, 1, n_values), (None, n_a), (None, n_a)")
    if len(model.outputs) != Ty:
        return (f"built with Ty = {Ty} it has {len(model.outputs)} output(s); it needs one per step: "
                f"append out to outputs inside the loop")
    if any(shape != (None, n_values) for shape in _shapes(model.outputs)):
        return (f"its outputs have shapes {sorted(set(_shapes(model.outputs)))}; each must be "
                f"densor's softmax, (None, n_values): append out = densor(a)")
    if _layers_of(model, LSTM) != [LSTM_cell] or _layers_of(model, Dense) != [densor]:
        return "it must call the LSTM_cell and densor it is given at every step, and no layer of its own"

    rng = np.random.RandomState(2)
    x0 = np.eye(n_values)[[[3]]].astype("float32")
    a0, c0 = (rng.normal(0, 0.5, size=(1, n_a)).astype("float32") for _ in range(2))
    outputs, failed = _run(model, [x0, a0, c0])
    if failed:
        return failed
    if np.allclose(outputs, np.round(outputs)):
        return ("its outputs are one-hot vectors; keep the softmax: append out to outputs, then make "
                "the next x from it")
    x0_every_step = np.repeat(x0[:, 0][None], Ty, axis=0)  # (Ty, 1, n_values)
    weights = LSTM_cell.get_weights(), densor.get_weights()
    if np.allclose(outputs, _unrolled(x0_every_step, a0, c0, *weights), atol=1e-4):
        return ("the argmax is not fed back: every step reads x0; end each step with "
                "x = Lambda(one_hot)(out)")
    if np.allclose(outputs, _unrolled(x0_every_step, a0, c0, *weights, feed_back=True, carry_state=False),
                   atol=1e-4):
        return ("a step forgets the steps before it: pass the previous step's a and c to the next, "
                "a, _, c = LSTM_cell(x, initial_state=[a, c])")
    if not np.allclose(outputs, _unrolled(x0_every_step, a0, c0, *weights, feed_back=True), atol=1e-4):
        return ("its outputs differ from the LSTM's equations with the argmax fed back: check "
                "a, _, c = LSTM_cell(x, initial_state=[a, c]), out = densor(a) and x = Lambda(one_hot)(out)")
    return None


def _reference_inference_model(n_values, n_a, Ty):
    """The course's inference model on small layers, built here, to give predict_and_sample."""
    from keras import Input, Model, ops

    LSTM_cell, densor = _small_layers(n_values, n_a, seed=3)
    x0 = Input(shape=(1, n_values))
    a0, c0 = Input(shape=(n_a,)), Input(shape=(n_a,))
    x, a, c, outputs = x0, a0, c0, []
    for _ in range(Ty):
        a, _, c = LSTM_cell(x, initial_state=[a, c])
        outputs.append(densor(a))
        x = ops.expand_dims(ops.one_hot(ops.argmax(outputs[-1], axis=-1), n_values), 1)
    return Model(inputs=[x0, a0, c0], outputs=outputs)


def _sampling_problem(predict_and_sample):
    n_values, n_a, Ty = 7, 5, 8
    model = _reference_inference_model(n_values, n_a, Ty)
    rng = np.random.RandomState(4)
    x = np.eye(n_values)[[[2]]]
    a, c = rng.normal(0, 1.0, size=(1, n_a)), rng.normal(0, 1.0, size=(1, n_a))
    answer, failed = _call(predict_and_sample, model, x, a, c)
    if failed:
        return failed
    if not isinstance(answer, tuple) or len(answer) != 2:
        return "it must return two things, results and indices: return results, indices"
    results, indices = (np.asarray(part) for part in answer)
    expected = _run(model, [x, a, c])[0].argmax(axis=-1)  # (Ty, 1)
    from_zeros = _run(model, [x, np.zeros_like(a), np.zeros_like(c)])[0].argmax(axis=-1)
    if indices.shape != (Ty, 1):
        return (f"indices has shape {indices.shape}; it must be (Ty, 1) = ({Ty}, 1), the argmax of each "
                f"step's output over the values: np.argmax(pred, axis=-1)")
    if not np.array_equal(indices, expected):
        if np.array_equal(indices, from_zeros) and not np.array_equal(expected, from_zeros):
            return "it must start the model from the initializers it is given, not from zeros"
        return "indices must be the argmax of each step's output: np.argmax(pred, axis=-1)"
    if results.shape != (Ty, n_values):
        return (f"results has shape {results.shape}; it must be (Ty, n_values) = ({Ty}, {n_values}): "
                f"to_categorical(indices[:, 0], num_classes=n_values)")
    if not np.array_equal(results, np.eye(n_values)[indices[:, 0]]):
        return "results must be the one-hot vectors of indices, row t for step t"
    return None
