"""Checkers for the exercise notebook, called as the course calls them: djmodel_test(djmodel),
music_inference_model_test(music_inference_model), predict_and_sample_test(predict_and_sample).

Each prints "All tests passed", or stops the notebook with ExerciseError, whose one sentence says
what is wrong and what to write. They run the learner's function on small sizes and compare what
it computes with the LSTM's equations written in NumPy.
"""

import contextlib
import inspect
import io
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


def _unrolled(xs, a, c, lstm_weights, dense_weights, feed_back=False, mistake=None):
    """The softmax of each step: xs (steps, m, n_x) the inputs, or with feed_back xs[0] the first
    and the one-hot of each step's argmax the next. A mistake, to recognise it by its numbers:
    "state not carried" (every step starts from a and c), "a, c, _ =" (c takes the LSTM's
    output), "initial_state=[c, a]", "densor(c)"."""
    kernel, recurrent, bias = lstm_weights
    weights, offset = dense_weights
    a0, c0, x, outputs = a, c, xs[0], []
    for t in range(len(xs)):
        x = x if feed_back else xs[t]
        start = (a0, c0) if mistake == "state not carried" else (a, c)
        if mistake == "initial_state=[c, a]":
            start = start[::-1]
        hidden, cell = _lstm_step(x, *start, kernel, recurrent, bias)
        a, c = (hidden, hidden) if mistake == "a, c, _ =" else (hidden, cell)
        outputs.append(_softmax((c if mistake == "densor(c)" else a) @ weights + offset))
        x = np.eye(outputs[-1].shape[-1])[outputs[-1].argmax(axis=-1)]
    return np.stack(outputs)


# What a step's numbers say about a mistake in the LSTM step, and what to write instead
STEP_MISTAKES = {
    "state not carried": "a step forgets the steps before it: pass the previous step's a and c to "
                         "the next, a, _, c = LSTM_cell(x, initial_state=[a, c])",
    "a, c, _ =": "a and c are mixed up: LSTM_cell returns the output, a and c in that order, "
                 "so write a, _, c = LSTM_cell(x, initial_state=[a, c])",
    "initial_state=[c, a]": "the states go in as a, then c: initial_state=[a, c]",
    "densor(c)": "densor reads the hidden state a, not the cell state c: out = densor(a)",
}


# ---------------------------------------------------------------------------------------------
# the learner's code


def _blank_line(function):
    """A line the exercise left as None between START CODE HERE and END CODE HERE, or None."""
    inside = False
    for line in _source(function).splitlines():
        if "### START CODE HERE ###" in line or "### END CODE HERE ###" in line:
            inside = "START" in line
        elif inside and BLANK.match(line):
            return line.strip()
    return None


# What Keras says when a model is put together wrongly, and what to write instead
NOT_CONNECTED = "is not connected to `inputs`"
NOT_A_SEQUENCE = "expected ndim=3, found ndim=2"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _call(function, *args, hints=None, **kwargs):
    """(result, None), or (None, the sentence that says why the call failed). hints: {words in
    the error: the sentence to say instead}. What the function prints (Keras's progress bars) is
    not shown."""
    blank = _blank_line(function)
    if blank:
        return None, (f"`{blank}` is still a blank: write the code between ### START CODE HERE ### "
                      f"and ### END CODE HERE ###")
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return function(*args, **kwargs), None
    except Exception as error:  # the learner's code: any mistake is reported, as one sentence
        for words, hint in (hints or {}).items():
            if words in str(error):
                return None, hint
        return None, f"calling it raised {_described(error)}"


def _described(error):
    """An exception in a few words: Keras puts what went wrong on the line after "Exception
    encountered when calling ...", and colours it."""
    lines = [ANSI.sub("", line).strip() for line in str(error).splitlines()]
    lines = [line for line in lines if line]
    if len(lines) > 1 and lines[0].startswith("Exception encountered when calling"):
        where = lines[0].removeprefix("Exception encountered when calling").strip(" .")
        return f"{type(error).__name__} in {where}: {lines[1]}"
    return f"{type(error).__name__}: {lines[0] if lines else ''}"


def _source(function):
    try:
        return inspect.getsource(inspect.unwrap(function))
    except (OSError, TypeError):
        return ""


def _is_model(value):
    from keras import Model

    return isinstance(value, Model)


def _shapes(tensors):
    return [tuple(tensor.shape) for tensor in tensors]


def _shape_list(tensors):
    """The distinct shapes of tensors, in words."""
    return ", ".join(sorted({str(shape) for shape in _shapes(tensors)}))


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
        return None, f"running the model raised {_described(error)}"


def _layers_of(model, kind):
    return [layer for layer in model.layers if isinstance(layer, kind)]


# ---------------------------------------------------------------------------------------------
# djmodel


def _notebook_sizes(function):
    """(n_a, n_values) of the notebook the learner's function was written in (its globals), the
    sizes its shared layers and any number it wrote by hand agree with."""
    notebook = inspect.unwrap(function).__globals__
    return notebook.get("n_a", 64), notebook.get("n_values", 78)


def _outputs_problem(model, steps, size, n_values, what):
    """What is wrong with a model's list of outputs, or None."""
    if len(model.outputs) != steps:
        return (f"built with {size} = {steps} it has {len(model.outputs)} output(s); it needs one per step: "
                f"append each step's out to the list outputs inside the loop, and give Model "
                f"outputs=outputs")
    if any(shape != (None, n_values) for shape in _shapes(model.outputs)):
        return f"its outputs have shapes {_shape_list(model.outputs)}; each must be (None, {n_values}), {what}"
    return None


def _step_problem(outputs, expected_for, generic):
    """Which step mistake the outputs show (STEP_MISTAKES), else generic if they differ from
    the equations, else None. expected_for(mistake) gives the outputs with that mistake."""
    if np.allclose(outputs, expected_for(None), atol=1e-4):
        return None
    for mistake, hint in STEP_MISTAKES.items():
        if np.allclose(outputs, expected_for(mistake), atol=1e-4):
            return hint
    return generic


def _djmodel_problem(djmodel):
    from keras.layers import LSTM, Dense

    notebook = inspect.unwrap(djmodel).__globals__  # the notebook's shared layers
    n_a, n_values = _notebook_sizes(djmodel)
    LSTM_cell, densor = notebook.get("LSTM_cell"), notebook.get("densor")
    Tx, m = 5, 3
    model, failed = _call(djmodel, Tx=Tx, n_a=n_a, n_values=n_values, hints={
        NOT_CONNECTED: "its outputs come from an Input its model does not list: the inputs are all "
                       "three, Model(inputs=[X, a0, c0], outputs=outputs)",
        NOT_A_SEQUENCE: "LSTM_cell takes a sequence, (m, 1, n_values): reshape x with reshapor "
                        "before the LSTM step"})
    if failed:
        return failed
    if not _is_model(model):
        return (f"it returned {type(model).__name__}, not a keras Model: end with "
                f"model = Model(inputs=[X, a0, c0], outputs=outputs)")
    if _shapes(model.inputs) != [(None, Tx, n_values), (None, n_a), (None, n_a)]:
        return (f"its inputs are {_shapes(model.inputs)}; they must be [X, a0, c0], shapes "
                f"(None, Tx, n_values), (None, n_a), (None, n_a)")
    problem = _outputs_problem(model, Tx, "Tx", n_values, "densor's softmax over the values: out = densor(a)")
    if problem:
        return problem
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
        why = (" (in Keras 3 a Lambda's function runs again when the model runs, when t is the last "
               "step; write x = X[:, t, :])") if "Lambda" in _source(djmodel) else ""
        return f"an early step reads a later value of X: each step t must read its own X[:, t, :]{why}"
    if np.allclose(later[-1], outputs[-1], atol=1e-6):
        return "the last step does not read its own value: step t must read X[:, t, :]"
    weights = LSTM_cell.get_weights(), densor.get_weights()
    return _step_problem(outputs, lambda mistake: _unrolled(np.swapaxes(X, 0, 1), a0, c0, *weights,
                                                            mistake=mistake),
                         "its outputs differ from the LSTM's equations: check "
                         "a, _, c = LSTM_cell(x, initial_state=[a, c]) and out = densor(a)")


# ---------------------------------------------------------------------------------------------
# music_inference_model and predict_and_sample, on layers of the checker's own


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

    n_a, n_values = _notebook_sizes(music_inference_model)
    Ty = 8
    LSTM_cell, densor = _small_layers(n_values, n_a)
    model, failed = _call(music_inference_model, LSTM_cell, densor, n_values=n_values, n_a=n_a, Ty=Ty, hints={
        NOT_CONNECTED: "its outputs come from an Input its model does not list: the inputs are all "
                       "three, Model(inputs=[x0, a0, c0], outputs=outputs)",
        NOT_A_SEQUENCE: "LSTM_cell takes a sequence, (m, 1, n_values): feed it the one-hot of out's "
                        "argmax, x = Lambda(one_hot)(out)"})
    if failed:
        return failed
    if not _is_model(model):
        return (f"it returned {type(model).__name__}, not a keras Model: end with "
                f"inference_model = Model(inputs=[x0, a0, c0], outputs=outputs)")
    if _shapes(model.inputs) != [(None, 1, n_values), (None, n_a), (None, n_a)]:
        return (f"its inputs are {_shapes(model.inputs)}; they must be [x0, a0, c0], shapes "
                f"(None, 1, n_values), (None, n_a), (None, n_a)")
    problem = _outputs_problem(model, Ty, "Ty", n_values,
                               "densor's softmax from an input x of shape (None, 1, n_values): append "
                               "out = densor(a), and feed back x = Lambda(one_hot)(out)")
    if problem:
        return problem
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
    return _step_problem(outputs, lambda mistake: _unrolled(x0_every_step, a0, c0, *weights, feed_back=True,
                                                            mistake=mistake),
                         "its outputs differ from the LSTM's equations with the argmax fed back: check "
                         "a, _, c = LSTM_cell(x, initial_state=[a, c]), out = densor(a) and "
                         "x = Lambda(one_hot)(out)")


def _reference_inference_model(n_values, n_a, Ty):
    """The course's inference model on the checker's layers, to give predict_and_sample."""
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


def _telling_starts(model, n_values, n_a):
    """Inputs (x, a, c) from which the model chooses other values than from zeros in their
    place or from a and c mixed up, so that a predict_and_sample that ignores one shows it."""
    for seed in range(100):
        rng = np.random.RandomState(seed)
        x = np.eye(n_values)[[[rng.randint(n_values)]]]
        a, c = rng.normal(0, 1.0, size=(1, n_a)), rng.normal(0, 1.0, size=(1, n_a))
        zero_x, zero_state = np.zeros_like(x), np.zeros_like(a)
        choices = [_run(model, inputs)[0].argmax(axis=-1) for inputs in (
            [x, a, c], [zero_x, a, c], [x, zero_state, c], [x, a, zero_state], [x, zero_state, zero_state],
            [zero_x, zero_state, zero_state], [x, c, a], [x, a, a], [x, c, c])]
        if all(not np.array_equal(choices[0], other) for other in choices[1:]):
            return (x, a, c), choices[0], choices[1:]
    raise RuntimeError("no inputs tell the initializers apart")  # the checker's own mistake


def _sampling_problem(predict_and_sample):
    n_a, n_values = _notebook_sizes(predict_and_sample)
    Ty = 8
    model = _reference_inference_model(n_values, n_a, Ty)
    (x, a, c), expected, ignoring = _telling_starts(model, n_values, n_a)
    answer, failed = _call(predict_and_sample, model, x, a, c, hints={
        "out of bounds": "the indices are not those of the values: take the argmax of each step's "
                         "output over the values, np.argmax(pred, axis=-1), shape (Ty, 1)"})
    if failed:
        return failed
    if not isinstance(answer, tuple) or len(answer) != 2:
        return "it must return two things, results and indices: return results, indices"
    results, indices = (np.asarray(part) for part in answer)
    if indices.shape != (Ty, 1):
        return (f"indices has shape {indices.shape}; it must be (Ty, 1) = ({Ty}, 1), the argmax of each "
                f"step's output over the values: np.argmax(pred, axis=-1)")
    if not np.array_equal(indices, expected):
        if any(np.array_equal(indices, other) for other in ignoring):
            return ("it must run the model from the three initializers it is given, in their order: "
                    "inference_model.predict([x_initializer, a_initializer, c_initializer])")
        return "indices must be the argmax of each step's output: np.argmax(pred, axis=-1)"
    if results.shape != (Ty, n_values):
        return (f"results has shape {results.shape}; it must be (Ty, n_values) = ({Ty}, {n_values}): "
                f"to_categorical(indices, num_classes=n_values)")
    if not np.array_equal(results, np.eye(n_values)[indices[:, 0]]):
        return "results must be the one-hot vectors of indices, row t for step t"
    return None
