"""Notes as plain numbers, the common currency of the readers, the cache and the melody finder.

Offsets and lengths are fractions.Fraction quarter notes; pitches are MIDI numbers. music21
objects are made from them only where the grammar needs them (make_note, make_chord).
"""

import math
from fractions import Fraction
from typing import NamedTuple

from music21 import chord, note, pitch

QUANTIZE_DIVISORS = (4, 3)  # sixteenths and eighth-note triplets, music21 5's default


class Event(NamedTuple):
    """Notes that sound together: offset and length in quarter notes, MIDI pitches."""

    offset: Fraction
    length: Fraction
    pitches: tuple


class MelodyNote(NamedTuple):
    """One melody note (pitch None for a rest): offset and length in quarter notes."""

    offset: Fraction
    length: Fraction
    pitch: int | None


def is_midi_pitch(value):
    """True for a MIDI pitch number: an int (not a bool) from 0 to 127."""
    return type(value) is int and 0 <= value <= 127


def _nearest_multiple(value, unit):
    """music21 5's rounding: (error, multiple, count of units); halfway rounds down."""
    count = math.floor(value / unit)
    low = unit * count
    if low <= value <= low + unit / 2:
        return round(value - low, 7), low, count
    return round(unit * (count + 1) - value, 7), unit * (count + 1), count + 1


def quantize(quarter_length, divisors=QUANTIZE_DIVISORS):
    """Snap a length in quarter notes to the closest multiple of 1/d for d in divisors, exactly,
    as music21 5 snapped MIDI times."""
    value = max(quarter_length, 0.0)
    _, _, count, divisor = min(_nearest_multiple(value, 1.0 / d) + (d,) for d in divisors)
    return Fraction(count, divisor)


# Spelled one pitch at a time, as music21 5 did: a chord built from MIDI numbers
# is spelled in context today (G# becomes A-), which changes chord qualities.
def make_note(offset, quarter_length, midi_pitch):
    """A music21 Note (or a Rest for pitch None) at offset."""
    made = note.Rest() if midi_pitch is None else note.Note(pitch.Pitch(midi=midi_pitch))
    made.quarterLength = quarter_length
    made.offset = offset
    return made


def make_chord(offset, quarter_length, midi_pitches):
    """A music21 Chord at offset, each pitch spelled on its own."""
    made = chord.Chord([pitch.Pitch(midi=p) for p in midi_pitches])
    made.quarterLength = quarter_length
    made.offset = offset
    return made
