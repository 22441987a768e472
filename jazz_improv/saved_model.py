"""A trained model, saved and loaded: its weights (HDF5 arrays, no code, no pickles) and the
vocabulary they stand for (vocabulary.json: the values, the corpus melody's register,
pitch-class counts and rhythm, its bar's length, the corpus files' sha256), which is checked
before anything is built from it.
"""

import errno
import json
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np

from jazz_improv.console import InputError, cannot_read
from jazz_improv.events import is_midi_pitch
from jazz_improv.limits import (MAX_BAR_QUARTERS, MAX_MELODY_SPAN_TICKS, MAX_ONSET_GAP_ROWS, MAX_PITCH_CLASS_COUNT,
                                MAX_TOKEN_LENGTH, MAX_VALUES, MAX_VOCABULARY_BYTES)
from jazz_improv.music_rules import is_token
from jazz_improv.rhythm import TICKS, Rhythm
from jazz_improv.safe_files import TooLarge, read_untrusted_json, write_atomically


def save_vocabulary(path, indices_values, register, pitch_classes, corpus_sha256, rhythm=None, beats_per_bar=None):
    """Write the values in index order, the corpus melody's register, its note count per pitch
    class (pitch_classes, {0-11: count}), the sha256 of the corpus's files (corpus_sha256, a
    list, e.g. corpus.Solo.digests) and its rhythm (a jazz_improv.rhythm.Rhythm: onset gaps as
    [length, position, gap, count] rows in ticks, the opening values' indices, the melody's
    silences as [length, count] rows in ticks and its span in ticks) and its bar's length in
    quarter notes (beats_per_bar, written as text: "3", "5/2"), as JSON."""
    entry = {"values": [indices_values[i] for i in range(len(indices_values))],
             "register": list(register), "pitch_class_counts": [pitch_classes.get(pc, 0) for pc in range(12)],
             "corpus_sha256": list(corpus_sha256)}
    if rhythm is not None:
        values_indices = {value: index for index, value in indices_values.items()}
        entry["onset_gaps"] = [[length, position, gap, count]
                               for (length, position), counts in sorted(rhythm.gaps.items())
                               for gap, count in sorted(counts.items())]
        entry["openings"] = [values_indices[v] for v in rhythm.openings if v in values_indices]
        if rhythm.silences is not None:
            entry["silences"] = [[length, count] for length, count in sorted(rhythm.silences.items())]
            entry["melody_span"] = rhythm.span
    if beats_per_bar is not None:
        entry["beats_per_bar"] = str(Fraction(beats_per_bar))
    text = json.dumps(entry, indent=1)
    write_atomically(path, lambda temporary: Path(temporary).write_text(text))


def load_vocabulary(path):
    """(indices_values, register, pitch_classes {0-11: count}, rhythm, beats_per_bar) from a file
    written by save_vocabulary; rhythm is None for a vocabulary saved before rhythms were, and
    beats_per_bar (a Fraction, quarter notes) None for one saved before bar lengths were.

    The file is not trusted: its size, every value's syntax, the register, the pitch-class
    counts and the rhythm are checked before anything is built from it. Raises InputError when
    it is missing or not valid.
    """
    path = Path(path)
    problem = f"{path}: not a vocabulary written by lstm.py"
    try:
        entry = read_untrusted_json(path, MAX_VOCABULARY_BYTES)
        values, register = entry["values"], entry["register"]
        # Vocabularies from before the counts have a list of the classes alone.
        counts, classes = entry.get("pitch_class_counts"), entry.get("pitch_classes")
        gaps, openings = entry.get("onset_gaps"), entry.get("openings")
        silences, span = entry.get("silences"), entry.get("melody_span")
        bar = entry.get("beats_per_bar")
    except FileNotFoundError as error:
        if error.errno != errno.ENOENT:  # a folder, a pipe, a device ...
            raise InputError(f"{path}: {error.strerror}; the vocabulary is a file written with the weights") from None
        raise InputError(f"{path}: no vocabulary file beside the weights (it is written with them)") from None
    except OSError as error:
        raise cannot_read(path, error) from None
    except TooLarge as error:
        raise InputError(f"{problem} ({error})") from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise InputError(problem) from None
    distinct = f"{problem} (it needs 1 to {MAX_VALUES} distinct values)"
    if not isinstance(values, list) or not 0 < len(values) <= MAX_VALUES:
        raise InputError(distinct)
    bad = next((v for v in values if not is_token(v)), None)
    if bad is not None:
        raise InputError(f"{problem} ({str(bad)[:40]!r} is not a grammar value)")
    if len(set(values)) != len(values):  # every value is a string now, so hashable
        raise InputError(distinct)
    if (not isinstance(register, list) or len(register) != 2
            or not all(is_midi_pitch(p) for p in register) or register[0] > register[1]):
        raise InputError(f"{problem} (its register must be two MIDI pitches, lowest first)")
    if counts is None:  # an older vocabulary: each class it lists counts once
        if not isinstance(classes, list) or not all(type(p) is int and 0 <= p < 12 for p in classes):
            raise InputError(f"{problem} (its pitch classes must be numbers from 0 to 11)")
        counts = [int(pc in classes) for pc in range(12)]
    if (not isinstance(counts, list) or len(counts) != 12
            or not all(type(c) is int and 0 <= c <= MAX_PITCH_CLASS_COUNT for c in counts)):
        raise InputError(f"{problem} (its pitch_class_counts must be 12 counts of notes)")
    rhythm = _rhythm(gaps, openings, values, problem)
    if silences is not None or span is not None:  # checked even where there is no rhythm to hold them
        silences = _silences(silences, span, problem)
        if rhythm is not None:
            rhythm = rhythm._replace(silences=silences, span=span)
    return (dict(enumerate(values)), tuple(register), {pc: c for pc, c in enumerate(counts) if c}, rhythm,
            None if bar is None else _bar_length(bar, problem))


def _whole(number, low, high):
    """Whether number is an int (not a bool or a float) from low to high."""
    return type(number) is int and low <= number <= high


def _rhythm(rows, openings, values, problem):
    """The Rhythm of a vocabulary's onset_gaps rows and openings, checked; None if it has neither."""
    if rows is None and openings is None:
        return None
    longest = MAX_TOKEN_LENGTH * TICKS
    if (not isinstance(rows, list) or len(rows) > MAX_ONSET_GAP_ROWS
            or not all(isinstance(row, list) and len(row) == 4 and _whole(row[0], 1, longest)
                       and _whole(row[1], 0, TICKS - 1) and _whole(row[2], 1, longest)
                       and _whole(row[3], 1, MAX_PITCH_CLASS_COUNT) for row in rows)):
        raise InputError(f"{problem} (its onset_gaps must be at most {MAX_ONSET_GAP_ROWS:,} rows of "
                         f"[length, position, gap, count] in twelfths of a quarter note)")
    if not isinstance(openings, list) or not all(_whole(index, 0, len(values) - 1) for index in openings):
        raise InputError(f"{problem} (its openings must be indices of its values)")
    gaps = {}
    for length, position, gap, count in rows:
        gaps.setdefault((length, position), {})[gap] = count
    return Rhythm(gaps, tuple(dict.fromkeys(values[index] for index in openings)))


def _bar_length(text, problem):
    """A vocabulary's beats_per_bar ("3", "5/2") as a Fraction of quarter notes, checked."""
    try:
        bar = Fraction(text) if isinstance(text, str) and len(text) <= 16 else None
    except (ValueError, ZeroDivisionError):
        bar = None
    if bar is None or not 0 < bar <= MAX_BAR_QUARTERS or bar.denominator > 16:
        raise InputError(f"{problem} (its beats_per_bar must be a bar's length in quarter notes, "
                         f"such as \"4\" or \"5/2\", at most {MAX_BAR_QUARTERS})")
    return bar


def _silences(rows, span, problem):
    """{length: count} of a vocabulary's silences rows, checked against its melody_span: every
    length and count a whole number, all the silences fitting in the span."""
    if (not _whole(span, 0, MAX_MELODY_SPAN_TICKS) or not isinstance(rows, list)
            or not all(isinstance(row, list) and len(row) == 2 and _whole(row[0], 1, span)
                       and _whole(row[1], 1, span) for row in rows)
            or len({length for length, _ in rows}) != len(rows) or sum(a * b for a, b in rows) > span):
        raise InputError(f"{problem} (its silences must be [length, count] rows in twelfths of a quarter "
                         f"note, each length once, that fit in its melody_span)")
    return {length: count for length, count in rows}


def save_weights_file(model, path):
    """Save a model's weights only (HDF5 arrays: no code, no pickles), whole or not at all."""
    write_atomically(path, model.save_weights)


def load_weights_file(model, path):
    """Load weights saved by save_weights_file into a model built for them.

    Raises InputError when the file is not such weights or they do not fit the model.
    """
    try:
        with warnings.catch_warnings():  # Keras warns before it fails on a wrong shape
            warnings.simplefilter("ignore")
            model.load_weights(path)
    except Exception as error:  # Keras and h5py report a wrong file or shape in many ways
        raise InputError(f"{path}: cannot load these weights into a model of "
                         f"{model.outputs[0].shape[-1]} values ({type(error).__name__}); they must "
                         "come with the vocabulary.json saved beside them") from None
    if not all(np.isfinite(weights).all() for weights in model.get_weights()):
        raise InputError(f"{path}: holds weights that are not numbers (NaN or infinite); "
                         "train again, or load weights saved by a run that finished")

