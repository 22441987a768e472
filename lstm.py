# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Improvise a Jazz Solo with an LSTM Network
#
# In this notebook we teach a small recurrent network to improvise jazz. It learns from
# one solo, Pat Metheny's "And Then I Knew", written as a sequence of musical *values*,
# and then writes a new solo of its own over the same chords.
#
# You will:
# - turn a MIDI recording into sequences a network can learn from;
# - build an LSTM whose weights are shared across every time step, in Keras;
# - sample new music from it, one value at a time, and hear the result.
#
# Run it as a script (`python lstm.py --help` lists the options) or open it as a notebook
# (README says how). The first cell reads the options: from the command line, or in a
# notebook from the environment variable `LSTM_ARGS`, if set.

# %%
from jazz_improv.command_line import (begin_run, corpus_options, output_files, quiet_tensorflow, settings, show,
                                      undo_killed_run)

args = settings(__name__)  # first, so that --help, a typo or Ctrl-C is answered at once

import random
import sys
from pathlib import Path

import numpy as np

from data_utils import generate_music, load_music_utils
from music_utils import one_hot
from preprocess import get_corpus_data
from jazz_improv import audio, report
from jazz_improv.band import rhythm_section
from jazz_improv.corpus import corpus_file, load_solo, solo_timeline
from jazz_improv.lead_sheet import chord_changes, piece_key, write_lead_sheet
from jazz_improv.midi_output import TEMPO_BPM, write_midi
from jazz_improv.piece_files import DEFAULT_BEATS_PER_BAR
from jazz_improv.plots import plot_loss, plot_piano_roll, save_figure
from jazz_improv.saved_model import load_vocabulary, load_weights_file, save_vocabulary, save_weights_file
from jazz_improv.soundfont import renderer

# the MIDI file at args.out, everything else beside it; outdated: what an earlier run left there
# that this one does not write (removed, so that the folder holds one run's files)
files, written, outdated = output_files(args)

Tx = 30  # values in a training window
m = args.windows  # training windows; None: 60 for the course's corpus, more for a larger one
n_a = 64  # units in the LSTM's hidden state
n_values = 78  # distinct values in the course's corpus; another corpus brings its own count
Ty = 50  # values improvised for each phrase
snippet_seconds = 120  # the training snippet plays at most the corpus's first two minutes

# %% [markdown]
# ## 1 - Problem statement
#
# You would like to write a jazz piece for a friend's birthday, but you play no
# instrument. Let a network learn from a jazz solo and improvise one for you.
#
# ### 1.1 - Dataset
#
# The training data is 18 measures of Metheny's guitar solo over the piano's chords. The
# cell below reads them and plays them (with FluidSynth where it is installed, else with our
# small synthesizer), so you can hear what the model learns from. (With `--midi`, your own piece: `load_solo` finds its melody and chords.)
#
# The solo has been cut into measures. Each note becomes a *value*: a token such as
# `C,0.250,<M-2,m-6>` that says what kind of note it is relative to the chord under it
# (C chord tone, S scale tone, A approach tone, X other), how long it lasts in quarter
# notes, and how far it may move from the previous note. Think of values as the
# characters of a text: the network learns which value tends to follow which.
# A grammar then turns values back into notes, over a chord progression.
#
# `load_music_utils` parses the MIDI file into 193 values, 78 of them distinct,
# and cuts 60 windows of 30 values for training (a larger corpus gets more windows):
# - `X` has shape (m, Tx, 78): window i, step t, one-hot value. `X[i, 0]` is all zeros.
# - `Y` has shape (Ty, m, 78): the same windows shifted one step left, so `Y[t]` is
#   the value that follows `X[:, t]`. We lay it out time-major because the model
#   will have one output per time step.
#
# A model saved by an earlier run (`--load-weights`) brings its own vocabulary: the values
# its weights were trained on, and the register and pitch classes its melodies follow. It
# needs no training windows, and over your own chords (`--chords`) no corpus at all.

# %%
if __name__ == "__main__":
    undo_killed_run(__name__, written)  # a run killed there is undone before its files are read
    options = corpus_options(args)
    if args.load_weights:
        indices_values, register, pitch_classes, rhythm, model_bar = load_vocabulary(
            Path(args.load_weights).with_name("vocabulary.json"))
        n_values = len(indices_values)
        solo = load_solo(corpus_file(args.midi), options) if args.chords is None else None
        print("total # of unique values:", n_values)
    else:
        midi_path = corpus_file(args.midi)
        solo = load_solo(midi_path, options)
        # the melody's lowest and highest pitch, how often it plays each pitch class, and its
        # rhythm: the improvisation keeps to the first and follows the others
        register, pitch_classes, rhythm = solo.register, solo.pitch_classes, solo.rhythm
        X, Y, n_values, indices_values = load_music_utils(midi_path, options, m=m, Tx=Tx, solo=solo)
        print("shape of X:", X.shape)
        print("number of training examples:", X.shape[0])
        print("Tx (length of sequence):", X.shape[1])
        print("total # of unique values:", n_values)
        print("Shape of Y:", Y.shape)
    # FluidSynth and a General MIDI SoundFont when the machine has them, else our synthesizer
    play, played_by = renderer(args.soundfont) if not args.no_audio else (None, None)
    run = begin_run(__name__, written, outdated)  # the output folder, locked: its files are one set
    chords = solo.chords if solo else None
    # over --chords, a loaded model keeps the metre of the music it learnt
    beats_per_bar = solo.beats_per_bar if solo else (model_bar or DEFAULT_BEATS_PER_BAR)
    if solo and not args.no_audio:
        snippet = play(audio.score_sounds(sum(solo_timeline(solo), [])), bpm=TEMPO_BPM,
                       max_seconds=snippet_seconds)
        audio.write_wav(snippet, files.snippet)
        print(f"Training snippet: {len(snippet) / audio.SAMPLE_RATE:.1f} s in {files.snippet}")
        show(files.snippet)

# %% [markdown]
# **Expected output** (the course's corpus):
# ```
# shape of X: (60, 30, 78)
# number of training examples: 60
# Tx (length of sequence): 30
# total # of unique values: 78
# Shape of Y: (30, 60, 78)
# ```
#
# ### 1.2 - Overview of our model
#
# We train on random 30-value snippets rather than the whole solo: it gives more
# examples and keeps the sequences the same length. At each step t the LSTM reads
# the value x⟨t⟩ and its memory (a⟨t-1⟩, c⟨t-1⟩) and predicts the next value ŷ⟨t⟩.
#
# ## 2 - Building the model
#
# Now the deep-learning library. It is loaded only here, once the data is read, so that a
# mistyped option or a bad file is reported at once.
#
# One LSTM cell is applied 30 times, so all 30 steps share its weights. In Keras that
# means creating each layer **once** and calling the same object at every step. These
# are the three layer objects the course shares across steps. `StepLSTM` is Keras's
# `LSTM` with a shortcut for one-step calls like ours: it calls its cell directly, so the
# 30-step graph is quicker to build (`jazz_improv/training.py`). The seed is set first, because it
# decides the layers' first weights.

# %%
with quiet_tensorflow(__name__):
    import keras
    from keras import Input, Model, ops
    from keras.layers import Dense, Lambda, Reshape
    from keras.optimizers import Adam
    from keras.optimizers.schedules import InverseTimeDecay
    from keras.utils import to_categorical

    from jazz_improv.course_forms import sizes_only
    from jazz_improv.training import EpochProgress, FastTrainingModel, StepLSTM, shared_layers_summary

if __name__ == "__main__":
    keras.utils.set_random_seed(args.seed)

reshapor = Reshape((1, n_values))
LSTM_cell = StepLSTM(n_a, return_state=True)
densor = Dense(n_values, activation="softmax")

# %% [markdown]
# **Exercise: `djmodel`** builds the training model. For every step t it:
# 1. takes the t-th vector of X, shape (m, n_values);
# 2. reshapes it to (m, 1, n_values), a sequence of length one, with `reshapor`;
# 3. runs one step of `LSTM_cell` from the previous hidden and cell state;
# 4. turns the hidden state into a softmax over values with `densor`, and keeps it.
#
# Slicing with `X[:, t, :]` adds a slice operation that remembers its own `t`. The course
# used `Lambda(lambda x: X[:, t, :])`, a function that slices the model's input `X` rather
# than its own argument, at whatever `t` is when it runs. Keras 3 runs it again when it
# trains, on a symbolic `X` and with `t` at 29, so `fit` stops with a TypeError.
#
# The model is a `FastTrainingModel`: a Keras `Model` that trains exactly the same way,
# several times faster, by computing the 30 losses in one operation and feeding `fit`
# without rebuilding its data pipeline every epoch (see `jazz_improv/training.py`).
# A plain `Model` works too, more slowly.

# %%
@sizes_only  # a call in the course's later form, djmodel(Tx, LSTM_cell, densor, reshapor), gets one line
def djmodel(Tx, n_a, n_values):
    """The training model: Tx steps of the shared reshapor, LSTM_cell and densor.

    Arguments:
        Tx -- length of the sequences
        n_a -- units in the LSTM
        n_values -- number of distinct values
    Returns:
        model -- a keras Model from [X (m, Tx, n_values), a0 (m, n_a), c0 (m, n_a)]
                 to a list of Tx softmax outputs, each (m, n_values)
    """
    X = Input(shape=(Tx, n_values))
    a0 = Input(shape=(n_a,), name="a0")
    c0 = Input(shape=(n_a,), name="c0")
    a = a0
    c = c0
    ### START CODE HERE ###
    # Step 1: an empty list for every step's output (≈1 line)
    outputs = []
    # Step 2: loop over the Tx steps
    for t in range(Tx):
        # Step 2.A: the t-th vector of X, shape (m, n_values) (≈1 line)
        x = X[:, t, :]
        # Step 2.B: reshaped to (m, 1, n_values) with reshapor (≈1 line)
        x = reshapor(x)
        # Step 2.C: one step of LSTM_cell, from the previous step's a and c (≈1 line)
        a, _, c = LSTM_cell(x, initial_state=[a, c])
        # Step 2.D: densor's softmax over the values, from the hidden state (≈1 line)
        out = densor(a)
        # Step 2.E: kept in outputs (≈1 line)
        outputs.append(out)
    # Step 3: the model from [X, a0, c0] to the outputs (≈1 line)
    model = FastTrainingModel(inputs=[X, a0, c0], outputs=outputs, name="djmodel")
    ### END CODE HERE ###
    return model


# %% [markdown]
# Build it, and train it with Adam. The course's learning-rate decay (`decay=0.01`)
# is written in Keras 3 as a schedule: rate = 0.01 / (1 + 0.01 · step). The loss is the
# categorical cross-entropy of each of the 30 outputs, summed. One line shows the progress,
# epoch by epoch, with the total loss; `history` keeps every epoch's. Batches of 30 give two
# equal steps per epoch, as the course's 32 + 28 were two steps, with one shape, so the
# training step is traced once.
#
# The trained model is kept: its weights (no code, no pickles) and the values they stand for.
# With `--load-weights` they are read back instead of trained.

# %%
if __name__ == "__main__":
    model = djmodel(Tx=Tx, n_a=n_a, n_values=n_values)
    print(shared_layers_summary(model, Tx, (None, n_values),
                                {"reshapor": reshapor, "LSTM_cell": LSTM_cell, "densor": densor}))
    if args.load_weights:
        load_weights_file(model, args.load_weights)
        print(f"Loaded weights from {args.load_weights}: skipping training")
    else:
        opt = Adam(learning_rate=InverseTimeDecay(0.01, decay_steps=1, decay_rate=0.01),
                   beta_1=0.9, beta_2=0.999)
        # jit_compile=False: XLA spends longer compiling this unrolled graph than it saves.
        model.compile(optimizer=opt, loss="categorical_crossentropy", jit_compile=False)
        m = X.shape[0]
        a0 = np.zeros((m, n_a))
        c0 = np.zeros((m, n_a))
        history = model.fit([X, a0, c0], list(Y), epochs=args.epochs, batch_size=30, verbose=0,
                            callbacks=[EpochProgress()])
        print(f"loss: {history.history['loss'][0]:.2f} after the first epoch, "
              f"{history.history['loss'][-1]:.2f} after the last")
        save_figure(plot_loss(history.history["loss"]), files.loss)
        print(f"Training curve saved in {files.loss}")
        show(files.loss)
        save_weights_file(model, files.weights)
        save_vocabulary(files.vocabulary, indices_values, register, pitch_classes, solo.digests, rhythm,
                        solo.beats_per_bar)
        print(f"Model saved in {files.weights} and {files.vocabulary}")

# %% [markdown]
# **Expected output**: the summary ends in `Total params: 41,678` with any corpus of 78
# values: 36,608 in the LSTM and 5,070 in densor, used at all 30 steps. The loss starts near
# 30 · ln 78 ≈ 130, the cross-entropy of a uniform guess at each step, and falls to about 6:
# ```
# loss: 125.90 after the first epoch, 6.24 after the last
# ```

# %% [markdown]
# ## 3 - Generating music
#
# The trained cell has learned the solo's patterns. To improvise, it runs on its own output.
#
# ### 3.1 - Predicting & Sampling
#
# **Exercise: `music_inference_model`** runs Ty steps of the trained `LSTM_cell` and
# `densor` from a first input x0 and states a0, c0. At each step it keeps the softmax `out`,
# and feeds the one-hot of its most likely value back as the next input x: `one_hot`
# (from `music_utils`, as in the course) makes it, and `Lambda` makes it a layer,
# `x = Lambda(one_hot)(out)`.

# %%
def music_inference_model(LSTM_cell, densor, n_values=78, n_a=64, Ty=100):
    """The sampling model: Ty steps of the trained cell, each fed the previous step's choice.

    Arguments:
        LSTM_cell, densor -- the trained shared layers
        n_values -- number of distinct values
        n_a -- units in the LSTM
        Ty -- number of values to generate
    Returns:
        inference_model -- a keras Model from [x0 (1, 1, n_values), a0 (1, n_a), c0 (1, n_a)]
                           to a list of Ty softmax outputs, each (1, n_values)
    """
    x0 = Input(shape=(1, n_values))
    a0 = Input(shape=(n_a,), name="a0")
    c0 = Input(shape=(n_a,), name="c0")
    a = a0
    c = c0
    x = x0
    ### START CODE HERE ###
    # Step 1: an empty list for every step's output (≈1 line)
    outputs = []
    # Step 2: loop over the Ty steps
    for t in range(Ty):
        # Step 2.A: one step of LSTM_cell, from the previous step's a and c (≈1 line)
        a, _, c = LSTM_cell(x, initial_state=[a, c])
        # Step 2.B: densor's softmax over the values, from the hidden state (≈1 line)
        out = densor(a)
        # Step 2.C: kept in outputs (≈1 line)
        outputs.append(out)
        # Step 2.D: the next input, the one-hot of out's most likely value (≈1 line)
        x = Lambda(one_hot)(out)
    # Step 3: the model from [x0, a0, c0] to the outputs (≈1 line)
    inference_model = Model(inputs=[x0, a0, c0], outputs=outputs)
    ### END CODE HERE ###
    return inference_model


# %% [markdown]
# Always taking the most likely value can make the model repeat itself. With a
# *temperature* T > 0 (`--temperature`) the next value is instead drawn at random from the
# softmax sharpened (T < 1) or flattened (T > 1) as p^(1/T). `SampleWithTemperature` does
# it as a stand-in for `densor`: it applies `densor` and returns the one-hot of the value
# drawn, so the model's outputs are the values drawn and the one-hot fed back is that value.

# %%
class SampleWithTemperature(keras.layers.Layer):
    """densor, then a draw: (m, n_a) hidden state -> (m, n_values) one-hot of a value drawn
    from densor's softmax p as p^(1/T)."""

    def __init__(self, densor, temperature, **kwargs):
        super().__init__(**kwargs)
        self.densor = densor
        self.temperature = temperature
        # seeded from keras.utils.set_random_seed; its state moves on with every draw
        self.seed_generator = keras.random.SeedGenerator()

    def call(self, hidden_state):
        logits = ops.log(self.densor(hidden_state) + 1e-9) / self.temperature
        drawn = keras.random.categorical(logits, 1, seed=self.seed_generator)[:, 0]
        return ops.one_hot(drawn, self.densor.units)


# %%
if __name__ == "__main__":
    chooser = densor if args.temperature == 0 else SampleWithTemperature(densor, args.temperature)
    inference_model = music_inference_model(LSTM_cell, chooser, n_values=n_values, n_a=n_a, Ty=Ty)

# %% [markdown]
# ### 3.2 - Sampling a phrase
#
# **Exercise: `predict_and_sample`** runs the inference model from the first input and
# states (zeros unless given) and returns the values chosen: `indices`, the argmax of each
# step's output, shape (Ty, 1), and `results`, their one-hot vectors, shape (Ty, n_values).

# %%
def predict_and_sample(inference_model, x_initializer=None, a_initializer=None, c_initializer=None):
    """Generate one sequence of values.

    Arguments:
        inference_model -- the model from music_inference_model
        x_initializer -- (1, 1, n_values) first input; zeros if None
        a_initializer, c_initializer -- (1, n_a) first states; zeros if None
    Returns:
        results -- (Ty, n_values) one-hot vectors of the values generated
        indices -- (Ty, 1) their indices
    """
    x_shape, a_shape, c_shape = (tuple(t.shape[1:]) for t in inference_model.inputs)
    x_initializer = np.zeros((1,) + x_shape) if x_initializer is None else x_initializer
    a_initializer = np.zeros((1,) + a_shape) if a_initializer is None else a_initializer
    c_initializer = np.zeros((1,) + c_shape) if c_initializer is None else c_initializer
    ### START CODE HERE ###
    # Step 1: the model's Ty outputs from the three initializers (≈1 line)
    pred = inference_model.predict([x_initializer, a_initializer, c_initializer], verbose=0)
    # Step 2: the index of the most likely value at each step, shape (Ty, 1) (≈1 line)
    indices = np.argmax(pred, axis=-1)
    # Step 3: their one-hot vectors, shape (Ty, n_values) (≈1 line)
    results = to_categorical(indices, num_classes=x_shape[-1])
    ### END CODE HERE ###
    return results, indices


# %%
if __name__ == "__main__":
    results, indices = predict_and_sample(inference_model)
    print("np.argmax(results[12]) =", np.argmax(results[12]))
    print("np.argmax(results[17]) =", np.argmax(results[17]))
    print("list(indices[12:18]) =", list(indices[12:18]))

# %% [markdown]
# **Expected output**: the values differ with the seed, the corpus and the machine's
# arithmetic, but `np.argmax(results[12])` is the first element of `list(indices[12:18])`,
# `np.argmax(results[17])` its last, and the six are not all the same. With the course's
# corpus, the default seed and 100 epochs this project's machine prints:
# ```
# np.argmax(results[12]) = 17
# np.argmax(results[17]) = 29
# list(indices[12:18]) = [array([17]), array([29]), array([53]), array([21]), array([17]), array([29])]
# ```

# %% [markdown]
# ### 3.3 - Generate music
#
# Values are not yet music. `generate_music` asks the model for five phrases of values,
# lets the grammar pick notes that fit the solo's chords, and applies a few clean-up rules
# (no note repeats the one before, no two start together). Then it writes the MIDI file.
# With `--chords`, it improvises over your progression instead, looped for 16 bars; `--bars`
# sets the length of either.
#
# Unlike the course's rules, ours keep every note inside the corpus melody's register,
# lean on the corpus's own intervals, favour the pitch classes the corpus plays most, and
# keep approach tones rather than turning them into chord tones. They also keep the corpus's
# rhythm: each value is followed by a gap drawn from the corpus's gaps at the same place in
# the beat, so triplets stay triplets and the line breathes where Metheny's does (a note
# the next one follows within a sixteenth rings on into it, as his do, and a repeated note
# is tied to the one before); the phrases walk through the solo's chords bar after bar, and each starts
# from a different value that begins one of the corpus's beats, so no two are alike. The
# report at the end measures how close that comes (README: "How good is it").

# %%
if __name__ == "__main__":
    phrase_values = []  # each phrase's values, for the report
    out_stream = generate_music(inference_model, indices_values, chords, predict_and_sample,
                                out_path=files.midi, seed=args.seed, progression=options.progression,
                                bars=args.bars, beats_per_bar=beats_per_bar, register=register,
                                pitch_classes=pitch_classes, rhythm=rhythm, values=phrase_values)
    if args.band:  # a rhythm section under the solo, written into the MIDI file with it
        for part in rhythm_section(out_stream, beats_per_bar, random.Random(args.seed)):
            out_stream.insert(0, part)
        write_midi(out_stream, files.midi)
        print(f"A walking bass and a ride cymbal play along, in {files.midi}")

# %% [markdown]
# ### 3.4 - Listen and look
#
# The MIDI file is rendered to audio by FluidSynth with a General MIDI SoundFont where the
# machine has it (a jazz guitar and a piano), else by a small synthesizer written with NumPy: a
# plucked, guitar-like voice for the melody and a soft keyboard for the chords; a line says
# which played. With `--band`, a walking bass and a ride cymbal play along. The piano roll shows
# the same notes, eight bars to a row: melody in orange over the chords in blue, each chord's
# name where it changes. The lead sheet is the solo as a jazz player reads it: a staff with
# chord symbols above, saved as MusicXML (MuseScore, Finale and Dorico open it) and engraved
# by Verovio as an SVG picture.

# %%
if __name__ == "__main__":
    sounds = audio.score_sounds(out_stream)
    if not args.no_audio:
        music = play(sounds, bpm=TEMPO_BPM)
        audio.write_wav(music, files.wav)
        print(f"Your music as audio: {len(music) / audio.SAMPLE_RATE:.1f} s in {files.wav}")
        print(f"Played by {played_by}")
        if files.converted:
            try:
                print(f"... and in {audio.convert(files.wav, files.converted)}")
            except RuntimeError as no_ffmpeg:  # the WAV is kept: say so, and go on
                files.converted.unlink(missing_ok=True)  # an earlier run's is not this music
                print(f"note: {no_ffmpeg}", file=sys.stderr)
        show(files.wav)
    the_key = piece_key(out_stream)  # for the chords' names here and the lead sheet's spelling
    changes = chord_changes(out_stream.parts[1].flatten().notes, the_key)
    save_figure(plot_piano_roll(sounds, beats_per_bar, title="Your improvisation",
                                chord_names=[(float(at), name) for at, name, _ in changes]), files.roll)
    print(f"Piano roll saved in {files.roll}")
    show(files.roll)
    if write_lead_sheet(out_stream, beats_per_bar, files.musicxml, files.sheet, the_key):
        print(f"Lead sheet saved in {files.musicxml} and {files.sheet}")
        show(files.sheet)
    else:  # the MusicXML is kept: say so, and go on
        files.sheet.unlink(missing_ok=True)  # an earlier run's is not this music
        print(f"Lead sheet saved in {files.musicxml}")
        print("note: Verovio is not installed, so the lead sheet is not engraved (pip install verovio)",
              file=sys.stderr)

# %% [markdown]
# ### 3.5 - How good is it?
#
# A few plain measures, for the corpus's melody and for the improvisation side by side:
# how many notes are chord tones, scale tones or approach tones of the chord under them,
# the range, the size of the steps, how often a pitch repeats, how evenly the twelve pitch
# classes are used (entropy, at most 3.58 bits), the note lengths (triplets apart), where in
# the beat the notes start, how varied the time between onsets is (entropy), how much is
# silence, and how often the chords change from bar to bar. Last, how much of the improvised
# values is copied from the corpus: runs of 4 and 8 values found in it, the longest copied
# run, and whether any two phrases are alike.

# %%
if __name__ == "__main__":
    corpus_metrics = report.melody_metrics(*(solo_timeline(solo) if solo else ([], [])), beats_per_bar)
    generated_metrics = report.melody_metrics(out_stream.parts[0].flatten().notes,
                                              list(out_stream.parts[1].flatten().notes), beats_per_bar)
    if solo:
        generated_metrics |= report.originality(phrase_values, get_corpus_data(solo.abstract_grammars)[0])
    print(report.format_report(corpus_metrics, generated_metrics))
    report.write_report(files.report, corpus_metrics, generated_metrics)
    print(f"Report saved in {files.report}")
    run.commit()  # every file is written: keep them as one set
