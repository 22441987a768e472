"""The course's data utilities: the corpus cut into training windows (load_music_utils), a phrase
of values from the inference model (predict_and_sample), and new music written from those values
(generate_music)."""

import inspect
import itertools
import math
import random
from fractions import Fraction

import numpy as np
from music21 import instrument, note, stream, tempo

from grammar import unparse_grammar
from jazz_improv.console import InputError
from jazz_improv.corpus import Options, corpus_file, load_solo
from jazz_improv.course_forms import CourseFormError, values_unpacked
from jazz_improv.limits import (DEFAULT_BARS, DEFAULT_PHRASES, MAX_BARS, MAX_VALUES, MAX_WINDOW_VALUES,
                                PHRASE_QUARTERS)
from jazz_improv.midi_output import TEMPO_BPM, time_signature, write_midi
from jazz_improv.music_rules import phrase_chords, progression_bars
from jazz_improv.piece_files import DEFAULT_BEATS_PER_BAR
from jazz_improv.rhythm import BREATH, TICKS, breathe, hold_long_rests, let_ring, ticks, token_length
from music_utils import data_processing, windows_for
from preprocess import get_corpus_data, get_musical_data
from qa import clean_up_notes, prune_grammar, prune_notes

__all__ = ["load_music_utils", "predict_and_sample", "generate_music"]  # the course's star import


def load_music_utils(midi_path=None, options=Options(), m=None, Tx=30, solo=None):
    """Load the corpus and cut it into training windows.

    Arguments:
        midi_path, options -- the corpus and how to read it (see jazz_improv.corpus: corpus_file, Options)
        m -- number of windows; None: music_utils.windows_for the corpus's length (the
             course's 60 for the Metheny corpus, more for a larger corpus, at most 2,000, and
             at most MAX_WINDOW_VALUES // n_values)
        Tx -- window length
        solo -- the corpus already loaded with jazz_improv.corpus.load_solo, to use instead of
                loading it again
    Returns:
        X -- (m, Tx, n_values) one-hot inputs
        Y -- (Tx, m, n_values) one-hot targets, Y[t] the value after X[:, t]
        n_values -- number of distinct values (78 for the Metheny corpus)
        indices_values -- dict index -> grammar token
    A corpus of Tx values or fewer is looped (and says so in one line). Raises InputError for
    a corpus without values, of more than MAX_VALUES distinct values, or whose m windows
    times n_values exceed MAX_WINDOW_VALUES, and CourseFormError when the result is unpacked
    into five names, as in the course's later version (which also returned the chords).
    """
    if values_unpacked() not in (None, 4):
        raise CourseFormError("this is the course's 78-value notebook: write X, Y, n_values, indices_values "
                              "= load_music_utils(); the chords come with generate_music's defaults")
    if solo is None:
        _, abstract_grammars = get_musical_data(corpus_file(midi_path), options)
    else:
        abstract_grammars = solo.abstract_grammars
    corpus, _, values_indices, indices_values = get_corpus_data(abstract_grammars)
    if not corpus:
        raise InputError("the corpus has no values to learn from: use a piece with a melody")
    if len(values_indices) > MAX_VALUES:
        raise InputError(f"the corpus has {len(values_indices):,} distinct values, more than the {MAX_VALUES:,} "
                         "a model may learn; learn from part of it with --section START:END")
    windows = min(windows_for(len(corpus), Tx), MAX_WINDOW_VALUES // len(values_indices)) if m is None else m
    if windows * len(values_indices) > MAX_WINDOW_VALUES:
        raise InputError(f"{windows:,} training windows of {len(values_indices):,} values would take "
                         f"{windows * len(values_indices) * 240 / 2**20:,.0f} MB, more than the "
                         f"{MAX_WINDOW_VALUES * 240 / 2**20:,.0f} MB allowed; use fewer --windows or "
                         "--section START:END")
    if len(corpus) <= Tx:
        # A tune shorter than a window is played again and again, chorus after chorus: windows
        # that run past its end go on from its start.
        print(f"The corpus has {len(corpus)} values, fewer than the {Tx + 1} a training window needs: "
              f"it is looped, as a tune is played chorus after chorus")
        corpus = corpus * (Tx // len(corpus) + 2)
    X, Y, n_values = data_processing(corpus, values_indices, windows, Tx)
    return X, Y, n_values, indices_values


def predict_and_sample(inference_model, x_initializer=None, a_initializer=None, c_initializer=None):
    """One phrase from the inference model: the most likely value at each step, as the course's
    data_utils gives it to generate_music (the notebook's graded function does the same).

    Arguments:
        inference_model -- a Keras model from [x0 (1, 1, n_values), a0 (1, n_a), c0 (1, n_a)]
                           to Ty outputs, each (1, n_values)
        x_initializer, a_initializer, c_initializer -- its inputs; zeros if None
    Returns:
        results -- (Ty, n_values) one-hot vectors of the values chosen
        indices -- (Ty, 1) their indices
    """
    starts = [np.zeros((1,) + tuple(given.shape[1:])) for given in inference_model.inputs]
    for position, initializer in enumerate((x_initializer, a_initializer, c_initializer)):
        if initializer is not None:
            starts[position] = initializer
    outputs = np.stack(inference_model.predict(starts, verbose=0))  # (Ty, 1, n_values)
    indices = outputs.argmax(axis=-1)
    return np.eye(outputs.shape[-1])[indices[:, 0]], indices


def generate_music(inference_model, indices_values=None, chords=None, predict_and_sample=predict_and_sample,
                   out_path="output/my_music.midi", seed=0, progression=None, bars=None,
                   beats_per_bar=DEFAULT_BEATS_PER_BAR, register=None, pitch_classes=None, phrases=None,
                   rhythm=None, values=None):
    """Improvise over chords and write the result as MIDI.

    `generate_music(inference_model)`, as the course calls it, improvises over the course's
    corpus: its values and chords, and its melody's register, pitch classes and rhythm.

    Without a progression, as in the course: `phrases` times, or until the piece has `bars`
    bars, the model predicts a phrase of values (if both are None: DEFAULT_PHRASES phrases, the
    course's five, each of at most PHRASE_QUARTERS quarter notes in whole bars), which the
    grammar turns into notes over the corpus's chords. The course plays phrase i over chord
    group i, its chords repeated under every bar; with a register, the phrases walk through
    the corpus's chords bar after bar, as the tune has them. With a progression, phrases follow
    each other over the progression, looped, until `bars` bars (16 if None) are filled. The
    clean-up rules tidy every phrase. Each phrase lasts a whole number of bars and the next
    starts after it; the piece lasts at most MAX_BARS (256) bars, whatever the values.

    Arguments:
        inference_model -- the model returned by music_inference_model
        indices_values -- dict index -> grammar token (None: the course corpus's)
        chords -- chord groups from get_musical_data (None: the course corpus's)
        predict_and_sample -- function(inference_model) -> (results, indices); this module's
        out_path -- where the MIDI file goes
        seed -- seeds every random choice made while turning values into notes
        progression -- optional chord bars from jazz_improv.chord_symbols.parse_progression
        bars -- the length of the piece in bars (None: `phrases` phrases, or 16 bars over a
                progression)
        beats_per_bar -- the metre's bar length in quarter notes
        register -- (lowest, highest) MIDI pitch the melody keeps to, e.g. the corpus's, and
                    approach tones stay approach tones, phrases walk through the chords bar by
                    bar and end with a breath (None: the course's rules, no ceiling, approach
                    tones played as chord tones, lengths on the sixteenth grid by coin toss,
                    one chord group under each phrase)
        pitch_classes -- with a register, {pitch class: how many of the corpus's notes have
                    it}, which weights the grammar's draw (see grammar.unparse_grammar)
        phrases -- without bars or a progression, how many phrases, each as long as its values
                   (None: DEFAULT_PHRASES, of at most PHRASE_QUARTERS each)
        rhythm -- with a register, the corpus's jazz_improv.rhythm.Rhythm: each phrase starts
                  from a different note value that begins one of its beats (when
                  predict_and_sample takes an x_initializer), and its values are laid on the
                  corpus's onset gaps (None: each value lasts its length, every phrase starts
                  from zeros)
        values -- a list that, if given, receives each phrase's values (a list of tokens)
    Returns:
        a music21 Score with a melody part (guitar) and a chord part (piano)
    """
    if indices_values is None or (chords is None and progression is None):
        corpus = load_solo(corpus_file(), Options())
        if indices_values is None:
            indices_values = get_corpus_data(corpus.abstract_grammars)[3]
            register = corpus.register if register is None else register
            pitch_classes = corpus.pitch_classes if pitch_classes is None else pitch_classes
            rhythm = corpus.rhythm if rhythm is None else rhythm
        chords = corpus.chords if chords is None else chords
    ours = register is not None  # the course's rules, or ours (README, "Differences from the course")
    rng = random.Random(seed)
    # The metre goes into the MIDI file, which music21 would otherwise mark 4/4 whatever the bars
    melody = stream.Part([instrument.ElectricGuitar(), tempo.MetronomeMark(number=TEMPO_BPM),
                          time_signature(beats_per_bar)])
    accompaniment = stream.Part([instrument.Piano()])
    phrase_longest = None  # bars a phrase may last
    if progression is None:
        groups = len(chords) - 1  # group 0 is the course's header
        if ours and groups:
            # The tune's chords bar after bar, each phrase going on where the last one stopped.
            corpus_bars = [list(group) for group in chords[1:]]
            plans = ((i, corpus_bars, None) for i in itertools.count(1))
        else:
            # The course's plan: phrase i over chord group i, the group's chords repeated under
            # every bar of the phrase.
            plans = ((i, [chords[1 + (i - 1) % groups if groups else 0]], 0) for i in itertools.count(1))
        # The course plays len(chords) // 3 - 1 phrases, five for its corpus; a large corpus
        # would make that hundreds, so five it is for every corpus.
        if bars is not None:
            phrases = None
        elif phrases is None:
            # Five phrases of at most PHRASE_QUARTERS each (whole bars): the course's length,
            # about 40 s, whether the corpus's values are Metheny's sixteenths or a hymn's halves.
            phrases, phrase_longest = DEFAULT_PHRASES, math.ceil(PHRASE_QUARTERS / beats_per_bar)
    else:
        # Phrase after phrase over the progression, looped, until the piece has `bars` bars.
        progression_groups = progression_bars(progression, beats_per_bar)
        plans = ((i, progression_groups, None) for i in itertools.count(1))
        phrases, bars = None, DEFAULT_BARS if bars is None else bars
    longest = MAX_BARS if bars is None else bars  # values of 16 beats each would make hours
    phrase_longest = phrase_longest or longest
    openings = _openings(rhythm, indices_values, predict_and_sample, inference_model, rng) if ours else []
    curr_offset = 0.0
    bar = 0
    long_rests = 0  # ours: the rests of half a bar or more kept so far
    print("Predicting new values for different set of chords.")
    for label, bar_groups, first_bar in plans:
        if bar >= longest or (phrases is not None and label > phrases):
            break
        opening = openings[(label - 1) % len(openings)] if openings else None
        pred = _phrase_values(predict_and_sample, inference_model, indices_values, opening)
        phrase = pred if opening is None else [indices_values[opening]] + pred
        if values is not None:
            values.append(phrase)
        first = "C,0.25" if opening is None else indices_values[opening]
        predicted_tones = " ".join([first] + pred)
        # The course turns approach (A) and arbitrary (X) tones into chord tones, "a common
        # choice". With a register the grammar draws an approach tone among the pitch classes
        # the corpus plays when one fits, so approach tones stay: jazz lines are full of them
        # (README, "Differences from the course", item 18), and the course's rule left none.
        predicted_tones = predicted_tones.replace(" X", " C")
        own_lengths = None  # ours: each note value's own length, before the corpus's gaps cut it
        if not ours:
            predicted_tones = prune_grammar(predicted_tones.replace(" A", " C"), rng)
        elif rhythm is not None:
            own_lengths = [token_length(token.split(",")[1]) for token in predicted_tones.split(" ")
                           if not token.startswith("R")]
            # The values' own lengths (triplets too), each followed by the corpus's gap
            predicted_tones = breathe(predicted_tones, rhythm.gaps, rng)
            # ... and a model that replays the bar where its tune rests rests no more often than the tune
            predicted_tones, long_rests = hold_long_rests(predicted_tones, rhythm, ticks(beats_per_bar) // 2,
                                                          ticks(curr_offset), long_rests)

        length = sum(token_length(token.split(",")[1]) for token in predicted_tones.split(" "))
        phrase_bars = max(1, math.ceil(length / beats_per_bar))
        phrase_bars = min(phrase_bars, phrase_longest, longest - bar)
        curr_chords = phrase_chords(bar_groups, bar if first_bar is None else first_bar,
                                    phrase_bars, beats_per_bar, held=ours and progression is None)  # N.C. is silence
        sounds = unparse_grammar(predicted_tones, curr_chords, rng, register=register,
                                 pitch_classes=pitch_classes)
        if own_lengths:  # a note the next one follows sooner rings on into it, as the corpus's do
            sounds = let_ring(sounds, own_lengths)
        # Ours: a repeated note is tied to the one before rather than left out as a silence.
        sounds = prune_notes(sounds, tie=ours)
        sounds = clean_up_notes(sounds, tie=ours)
        phrase_end = phrase_bars * beats_per_bar
        # Ours: a phrase cut short by its bars still ends with a breath before the next; one that
        # ends before its bar line holds its last note to it, as a tune's phrase ends.
        cut = length > phrase_end
        sound_end = phrase_end - (Fraction(BREATH, TICKS) if ours and cut else 0)
        sounds = [s for s in sounds if s.offset < sound_end]
        for s in sounds:  # nothing rings on into the next phrase
            s.quarterLength = min(s.quarterLength, sound_end - s.offset)
        played = [s for s in sounds if isinstance(s, note.Note)]
        if ours and not cut and played:
            sounds = [s for s in sounds if isinstance(s, note.Note) or s.offset < played[-1].offset]
            played[-1].quarterLength = phrase_end - played[-1].offset

        print('Generated %s sounds using the predicted values for the set of chords ("%s") and after pruning'
              % (len([k for k in sounds if isinstance(k, note.Note)]), label))
        for m in sounds:
            melody.insert(curr_offset + m.offset, m)
        for mc in curr_chords:
            if 0 < mc.quarterLength and mc.offset < phrase_end:  # zero-length chords guide the grammar, silently
                mc.quarterLength = min(mc.quarterLength, phrase_end - mc.offset)  # and end with the phrase
                accompaniment.insert(curr_offset + mc.offset, mc)
        curr_offset += phrase_bars * beats_per_bar
        bar += phrase_bars

    out_stream = stream.Score([melody, accompaniment])
    write_midi(out_stream, out_path)
    print(f"Your generated music is saved in {out_path}")
    return out_stream


def _openings(rhythm, indices_values, predict_and_sample, inference_model, rng):
    """The indices of the values that open the corpus's measures, in an order drawn from rng:
    phrase i starts from the i-th (looped), so no two phrases start alike while there are
    openings left. [] when there is no rhythm or predict_and_sample takes no x_initializer
    (a learner's own may not)."""
    if rhythm is None:
        return []
    try:
        inspect.signature(predict_and_sample).bind(inference_model, x_initializer=None)
    except (TypeError, ValueError):
        return []
    values_indices = {value: index for index, value in indices_values.items()}
    found = [values_indices[value] for value in rhythm.openings if value in values_indices]
    return rng.sample(found, len(found))


def _phrase_values(predict_and_sample, inference_model, indices_values, opening):
    """The tokens of one phrase predicted from zeros, or from the one-hot of value `opening`."""
    if opening is None:
        _, indices = predict_and_sample(inference_model)
    else:
        x_initializer = np.zeros((1, 1, len(indices_values)))
        x_initializer[0, 0, opening] = 1
        _, indices = predict_and_sample(inference_model, x_initializer=x_initializer)
    return [indices_values[int(p)] for p in np.asarray(indices).ravel()]
