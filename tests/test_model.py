"""djmodel and the inference model compute the LSTM equations, one shared set of weights."""

import numpy as np
import pytest

# The tests that run TensorFlow in this process share one process under pytest-xdist, so that
# only one of them loads it.
pytestmark = pytest.mark.xdist_group("tensorflow in process")

N_VALUES, N_A, TX = 78, 64, 30


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def lstm_step(x, a, c, kernel, recurrent, bias):
    """One LSTM step in NumPy, Keras's gate order: input, forget, cell, output."""
    z = x @ kernel + a @ recurrent + bias
    i, f, g, o = np.split(z, 4, axis=-1)
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    a = sigmoid(o) * np.tanh(c)
    return a, c


@pytest.fixture(scope="module")
def lstm():
    """The notebook as a module, imported when a test needs it (not when tests are collected)."""
    import lstm

    return lstm


@pytest.fixture
def layers(lstm):
    """The course's shared layers, as `import lstm` made them, with random (not zero) weights."""
    model = lstm.djmodel(TX, N_A, N_VALUES)
    rng = np.random.default_rng(7)
    for weight in model.weights:
        weight.assign(rng.normal(0, 0.3, weight.shape).astype("float32"))
    return model


def test_the_course_module_after_import(lstm):
    """The course's names exist at module level, as the notebook defines them."""
    assert (lstm.n_a, lstm.n_values, lstm.Tx, lstm.Ty) == (64, 78, 30, 50)
    assert lstm.reshapor.target_shape == (1, 78)
    assert lstm.LSTM_cell.units == 64 and lstm.LSTM_cell.return_state
    assert lstm.densor.units == 78
    assert lstm.djmodel(Tx=30, n_a=64, n_values=78).count_params() == 41_678


def numpy_weights(lstm):
    kernel, recurrent, bias = (w.numpy() for w in lstm.LSTM_cell.weights)
    dense_kernel, dense_bias = (w.numpy() for w in lstm.densor.weights)
    return kernel, recurrent, bias, dense_kernel, dense_bias


def test_djmodel_matches_the_lstm_equations_at_every_step(layers, lstm):
    model = layers
    rng = np.random.default_rng(3)
    m = 4
    X = np.eye(N_VALUES, dtype="float32")[rng.integers(0, N_VALUES, (m, TX))]
    a0 = rng.normal(0, 1, (m, N_A)).astype("float32")
    c0 = rng.normal(0, 1, (m, N_A)).astype("float32")
    outputs = model.predict([X, a0, c0], verbose=0)
    kernel, recurrent, bias, dense_kernel, dense_bias = numpy_weights(lstm)
    a, c = a0, c0
    assert len(outputs) == TX
    for t in range(TX):
        a, c = lstm_step(X[:, t], a, c, kernel, recurrent, bias)
        np.testing.assert_allclose(outputs[t], softmax(a @ dense_kernel + dense_bias), atol=1e-5,
                                   err_msg=f"step {t}")


def test_one_shared_set_of_weights(layers, lstm):
    model = layers
    assert isinstance(lstm.LSTM_cell, lstm.keras.layers.LSTM)
    assert len(model.weights) == 5  # LSTM kernel, recurrent kernel, bias; Dense kernel, bias
    inference = lstm.music_inference_model(lstm.LSTM_cell, lstm.densor, N_VALUES, N_A, Ty=50)
    assert {id(w) for w in inference.weights} == {id(w) for w in model.weights}


def test_inference_model_feeds_back_its_argmax(layers, lstm):
    inference = lstm.music_inference_model(lstm.LSTM_cell, lstm.densor, N_VALUES, N_A, Ty=20)
    rng = np.random.default_rng(5)
    x0 = np.zeros((1, 1, N_VALUES), "float32")
    x0[0, 0, 11] = 1
    a0 = rng.normal(0, 1, (1, N_A)).astype("float32")
    c0 = rng.normal(0, 1, (1, N_A)).astype("float32")
    outputs = inference.predict([x0, a0, c0], verbose=0)
    kernel, recurrent, bias, dense_kernel, dense_bias = numpy_weights(lstm)
    x, a, c = x0[:, 0], a0, c0
    for t in range(20):
        a, c = lstm_step(x, a, c, kernel, recurrent, bias)
        expected = softmax(a @ dense_kernel + dense_bias)
        np.testing.assert_allclose(outputs[t], expected, atol=1e-5, err_msg=f"step {t}")
        x = np.eye(N_VALUES, dtype="float32")[outputs[t].argmax(axis=-1)]


def test_predict_and_sample_results_agree_with_indices(layers, lstm):
    inference = lstm.music_inference_model(lstm.LSTM_cell, lstm.densor, N_VALUES, N_A, Ty=50)
    results, indices = lstm.predict_and_sample(inference)
    assert results.shape == (50, N_VALUES) and indices.shape == (50, 1)
    assert np.argmax(results[12]) == indices[12]
    np.testing.assert_array_equal(results.argmax(axis=1), indices[:, 0])
    np.testing.assert_array_equal(results.sum(axis=1), np.ones(50))
    # zeros by default: the same as passing zeros explicitly
    zeros = (np.zeros((1, 1, N_VALUES)), np.zeros((1, N_A)), np.zeros((1, N_A)))
    np.testing.assert_array_equal(lstm.predict_and_sample(inference, *zeros)[1], indices)


def test_training_lowers_the_loss(musical_data, lstm):
    from music_utils import data_processing
    from preprocess import get_corpus_data

    corpus, _, values_indices, _ = get_corpus_data(musical_data[1])
    X, Y, n_values = data_processing(corpus, values_indices)
    model = lstm.djmodel(TX, N_A, n_values)
    model.compile(optimizer=lstm.Adam(learning_rate=0.01), loss="categorical_crossentropy",
                  jit_compile=False)
    zeros = np.zeros((60, N_A))
    history = model.fit([X, zeros, zeros], list(Y), epochs=4, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < losses[0] * 0.95
    # the loss is the sum over 30 outputs of the cross-entropy; untrained, each is about ln(78)
    # (the first epoch already learns a little, and the last output's target is all zeros)
    assert abs(losses[0] - 29 * np.log(78)) < 15


def test_import_changes_nothing_in_the_process():
    """Importing lstm leaves TensorFlow's settings, the environment, stderr and matplotlib's backend as they were."""
    code = """
import os, sys
import keras, tensorflow as tf, music21, matplotlib
before = (dict(os.environ), tf.config.optimizer.get_experimental_options(),
          sorted(os.listdir('/proc/self/fd')), os.fstat(2).st_ino, sys.excepthook, matplotlib.get_backend())
import lstm
after = (dict(os.environ), tf.config.optimizer.get_experimental_options(),
         sorted(os.listdir('/proc/self/fd')), os.fstat(2).st_ino, sys.excepthook, matplotlib.get_backend())
print(before == after, before[1])
"""
    import subprocess
    import sys

    from conftest import ENV, ROOT

    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=ENV, capture_output=True,
                            text=True, timeout=120)
    assert result.stdout.split(" ", 1)[0] == "True", result.stdout + result.stderr
    assert "'disable_meta_optimizer': False" in result.stdout


def test_the_short_summary_counts_each_shared_layer_once(lstm):
    model = lstm.djmodel(TX, N_A, N_VALUES)
    summary = lstm.shared_layers_summary(model, TX, (None, N_VALUES), {
        "reshapor": lstm.reshapor, "LSTM_cell": lstm.LSTM_cell, "densor": lstm.densor}).splitlines()
    lstm_params = 4 * (N_VALUES * N_A + N_A * N_A + N_A)  # four gates: input, recurrent, bias
    dense_params = N_A * N_VALUES + N_VALUES
    rows = {line.split()[0]: line.split() for line in summary[2:5]}
    assert rows["reshapor"][-1] == "0" and rows["reshapor"][2:5] == ["(None,", "1,", f"{N_VALUES})"]
    assert rows["LSTM_cell"][-1] == f"{lstm_params:,}" and rows["densor"][-1] == f"{dense_params:,}"
    assert summary[-1] == f"  Total params: {lstm_params + dense_params:,}"
    assert len(summary) == 6  # not one line per step
