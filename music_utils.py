"""The course's music utilities: windows of the corpus as one-hot sequences (data_processing), and
the one-hot of a softmax's choice that the inference model feeds back (one_hot)."""

import numpy as np

from jazz_improv.limits import MAX_WINDOWS

__all__ = ["data_processing", "one_hot"]  # what the course's `from music_utils import *` brings

COURSE_WINDOWS = 60  # the course's training examples
COURSE_CORPUS_TOKENS = 193  # the course's corpus: a corpus this long or shorter gets its 60 windows
PASSES = 3  # a larger corpus: enough windows to cover each token about this many times


def windows_for(corpus_length, Tx=30):
    """How many training windows of Tx tokens to cut from a corpus of corpus_length tokens.

    The course's 60 for a corpus the size of the course's (193 tokens) or smaller; for a
    larger one about PASSES * corpus_length / Tx, so that each token is seen about three
    times, never fewer than 60 and at most MAX_WINDOWS (2,000).
    """
    if corpus_length <= COURSE_CORPUS_TOKENS:
        return COURSE_WINDOWS
    return min(MAX_WINDOWS, max(COURSE_WINDOWS, round(PASSES * corpus_length / Tx)))


def data_processing(corpus, values_indices, m=60, Tx=30):
    """Cut m windows of Tx tokens from the corpus, as the course does.

    Window i starts at a position drawn by NumPy's legacy generator seeded with 0
    (one draw per window, like the course's np.random.seed(0) and
    np.random.choice), so the windows are the course's.

    Arguments:
        corpus -- list of grammar tokens
        values_indices -- dict token -> index in [0, n_values)
        m -- number of windows (training examples)
        Tx -- window length
    Returns:
        X -- (m, Tx, n_values) float32: X[i, 0] is zeros, X[i, t] the one-hot of token t
        Y -- (Tx, m, n_values) float32: Y[t - 1, i] = X[i, t], and Y[Tx - 1] is zeros
        n_values -- number of distinct values
    """
    n_values = len(set(corpus))
    rng = np.random.RandomState(0)
    X = np.zeros((m, Tx, n_values), dtype=np.float32)
    for i in range(m):
        start = rng.choice(len(corpus) - Tx)
        for t in range(1, Tx):
            X[i, t, values_indices[corpus[start + t]]] = 1
    Y = np.zeros((Tx, m, n_values), dtype=np.float32)
    Y[:-1] = np.swapaxes(X[:, 1:, :], 0, 1)
    return X, Y, n_values


def one_hot(x):
    """The one-hot of a softmax's most likely value, as the next step's input.

    Usable in a Keras model as the course writes it, `x = Lambda(one_hot)(out)`.

    Arguments:
        x -- (m, n_values) softmax
    Returns:
        (m, 1, n_values) one-hot of the argmax of each row
    """
    from keras import ops  # here, not at the top: reading the corpus needs no deep-learning library

    return ops.expand_dims(ops.one_hot(ops.argmax(x, axis=-1), x.shape[-1]), 1)
