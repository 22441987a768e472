"""The exercise's checkers: the notebook's solution passes each, and each typical mistake, written
as a learner would write it into the solution, fails its checker with the hint that fixes it."""

import inspect
import itertools
import linecache
import textwrap

import pytest

pytestmark = pytest.mark.xdist_group("tensorflow in process")  # see test_model.py

_names = itertools.count()


@pytest.fixture(scope="module")
def lstm():
    import lstm

    return lstm


@pytest.fixture(scope="module")
def checks():
    from jazz_improv import exercise_checks

    return exercise_checks


def learner_version(lstm, function, old, new):
    """The notebook's function with one edit, defined as a notebook cell defines it: in the
    notebook's namespace, its source where inspect finds it."""
    source = textwrap.dedent(inspect.getsource(inspect.unwrap(function)))
    assert old in source, old
    source = source.replace(old, new)
    filename = f"<learner cell {next(_names)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = dict(vars(lstm))
    exec(compile(source, filename, "exec"), namespace)
    return namespace[function.__name__]


def test_the_solution_passes_every_checker(lstm, checks, capsys):
    checks.djmodel_test(lstm.djmodel)
    checks.music_inference_model_test(lstm.music_inference_model)
    checks.predict_and_sample_test(lstm.predict_and_sample)
    assert capsys.readouterr().out == "All tests passed\n" * 3


MISTAKES = {
    "djmodel": [
        ("a blank left", "outputs = []", "outputs = None", "`outputs = None` is still a blank"),
        ("append after the loop", "        outputs.append(out)\n", "    outputs.append(out)\n",
         "1 output(s); it needs one per step"),
        ("the last out as the outputs", "outputs=outputs, name", "outputs=out, name", "give Model outputs=outputs"),
        ("densor forgotten", "out = densor(a)", "out = a", "(None, 78)"),
        ("a new LSTM at every step", "a, _, c = LSTM_cell(x,",
         "a, _, c = StepLSTM(n_a, return_state=True)(x,", "do not share weights"),
        ("the course's Lambda slice", "x = X[:, t, :]", "x = Lambda(lambda x: X[:, t, :])(X)",
         "write x = X[:, t, :]"),
        ("a late-bound Lambda slice", "x = X[:, t, :]", "x = Lambda(lambda x: x[:, t, :])(X)",
         "an early step reads a later value of X: each step t must read its own X[:, t, :] (in Keras 3 a Lambda"),
        ("the step before", "x = X[:, t, :]", "x = X[:, t - 1, :]",
         "an early step reads a later value of X: each step t must read its own X[:, t, :]"),
        ("the first state at every step", "initial_state=[a, c]", "initial_state=[a0, c0]",
         "forgets the steps before it"),
        ("a and c swapped", "a, _, c = LSTM_cell", "a, c, _ = LSTM_cell", "a and c are mixed up"),
        ("the states in the wrong order", "initial_state=[a, c]", "initial_state=[c, a]",
         "initial_state=[a, c]"),
        ("densor on the cell state", "out = densor(a)", "out = densor(c)", "not the cell state c"),
        ("a0 and c0 not inputs", "inputs=[X, a0, c0]", "inputs=[X]", "the inputs are all three"),
        ("reshapor forgotten", "x = reshapor(x)", "x = x", "reshape x with reshapor"),
        ("no model returned", "    return model", "    return outputs", "not a keras Model"),
    ],
    "music_inference_model": [
        ("a blank left", "out = densor(a)", "out = None", "`out = None` is still a blank"),
        ("the argmax not fed back", "x = Lambda(one_hot)(out)", "pass", "the argmax is not fed back"),
        ("the softmax fed back", "x = Lambda(one_hot)(out)", "x = out", "x = Lambda(one_hot)(out)"),
        ("one-hots kept", "outputs.append(out)\n", "outputs.append(Lambda(one_hot)(out)[:, 0, :])\n",
         "keep the softmax"),
        ("the first state at every step", "initial_state=[a, c]", "initial_state=[a0, c0]",
         "forgets the steps before it"),
        ("a and c swapped", "a, _, c = LSTM_cell", "a, c, _ = LSTM_cell", "a and c are mixed up"),
        ("a layer of its own", "out = densor(a)", "out = Dense(n_values, activation='softmax')(a)",
         "the LSTM_cell and densor it is given"),
        ("Ty ignored", "range(Ty)", "range(50)", "it needs one per step"),
        ("the argmax over the batch", "x = Lambda(one_hot)(out)",
         "x = Lambda(lambda z: ops.expand_dims(ops.one_hot(ops.argmax(z, axis=0), n_values), 1))(out)",
         "from an input x of shape (None, 1, n_values)"),
    ],
    "predict_and_sample": [
        ("argmax over the wrong axis", "np.argmax(pred, axis=-1)", "np.argmax(pred, axis=0)",
         "it must be (Ty, 1)"),
        ("argmax over everything", "np.argmax(pred, axis=-1)", "np.argmax(pred)",
         "np.argmax(pred, axis=-1)"),
        ("to_categorical without num_classes", "to_categorical(indices, num_classes=x_shape[-1])",
         "to_categorical(indices)", "results has shape"),
        ("x_initializer ignored", "[x_initializer, a_initializer, c_initializer]",
         "[0 * x_initializer, a_initializer, c_initializer]", "from the three initializers it is given"),
        ("all initializers ignored", "[x_initializer, a_initializer, c_initializer]",
         "[0 * x_initializer, 0 * a_initializer, 0 * c_initializer]", "from the three initializers"),
        ("a for c", "[x_initializer, a_initializer, c_initializer]",
         "[x_initializer, a_initializer, a_initializer]", "in their order"),
        ("results not of the indices", "to_categorical(indices,", "to_categorical(indices[::-1],",
         "one-hot vectors of indices"),
        ("one thing returned", "return results, indices", "return indices", "must return two things"),
    ],
}
CASES = [(function, *mistake) for function, mistakes in MISTAKES.items() for mistake in mistakes]


@pytest.mark.parametrize("function, mistake, old, new, hint", CASES, ids=[f"{c[0]}: {c[1]}" for c in CASES])
def test_a_typical_mistake_gets_its_hint(lstm, checks, function, mistake, old, new, hint):
    learner = learner_version(lstm, getattr(lstm, function), old, new)
    with pytest.raises(checks.ExerciseError) as failed:
        getattr(checks, f"{function}_test")(learner)
    message = str(failed.value)
    assert message.startswith(f"{function}: ") and hint in message, message
    assert "\n" not in message
    assert failed.value._render_traceback_() == [f"ExerciseError: {message}"]  # one line in a notebook


def test_readme_shows_a_hint_as_the_checker_words_it(lstm, checks):
    from conftest import ROOT

    new_layer = next(case for case in CASES if case[1] == "a new LSTM at every step")
    learner = learner_version(lstm, lstm.djmodel, *new_layer[2:4])
    with pytest.raises(checks.ExerciseError) as failed:
        checks.djmodel_test(learner)
    section = (ROOT / "README.md").read_text().split("## The exercise", 1)[1].split("\n## ", 1)[0]
    assert f"\nExerciseError: {failed.value}\n" in section
