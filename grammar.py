"""Notes <-> abstract grammar, after Keller and Morrison's "A Grammatical Approach to Automatic
Improvisation" as used by jazzml, deepjazz and the course.

A measure of melody becomes a string of tokens such as ``C,0.250,<M-2,m-6>``:
the note's type relative to the chord sounding under it (C chord tone, S scale
tone, A approach tone, X anything else, R rest), its length in quarter notes,
and the range of intervals (the real interval to the previous note, widened by
a minor third each way) from which a new note may be drawn when the grammar is
turned back into notes. Turned back with a register, the notes also keep to the corpus's
range and steps (see unparse_grammar). The rules themselves are in jazz_improv/music_rules.py.
"""

import random

from music21 import chord, note, stream

from jazz_improv.rhythm import token_length
from jazz_improv.music_rules import (chord_at, fits, measure_grammar, note_in_register, pitch_class_counts,
                                     scale_names, window)

__all__ = ["parse_melody", "unparse_grammar"]  # what the course's star import brings


def generate_chord_tone(a_chord, rng=random):
    """A note drawn from the chord's own pitches."""
    return note.Note(rng.choice([p.nameWithOctave for p in a_chord.pitches]))


def generate_scale_tone(a_chord, rng=random):
    """A note drawn from the chord's scale, in one of the chord's octaves."""
    name = rng.choice(scale_names(a_chord, weighted_blues=True))
    octave = rng.choice([p.octave for p in a_chord.sortAscending().pitches])
    return note.Note(f"{name}{octave}")


def generate_approach_tone(a_chord, rng=random):
    """A scale tone moved a half step up or down."""
    return generate_scale_tone(a_chord, rng).transpose(rng.choice([1, -1]))


def parse_melody(fullMeasureNotes, fullMeasureChords):
    """Abstract grammar of one measure.

    Arguments:
        fullMeasureNotes -- the measure's notes and rests (a stream.Voice or a list), in order
        fullMeasureChords -- the chords sounding in that measure, in order
    Returns:
        a string of space-separated tokens, one per note or rest,
        e.g. "C,0.500 C,0.333,<P1,d-5> C,0.250,<M-2,m-6>"
    """
    return measure_grammar(fullMeasureNotes, fullMeasureChords)


def _candidates(low_pitch, high_pitch, last_chord, kind):
    """Notes between two pitches (inclusive) that fit the token's type."""
    count = int(high_pitch.ps - low_pitch.ps + 1)
    found = []
    for step in range(count):
        candidate = note.Note(low_pitch.transpose(step).simplifyEnharmonic())
        if fits(last_chord, candidate, kind):
            found.append(candidate)
    return found


def unparse_grammar(m1_grammar, m1_chords, rng=random, register=None, pitch_classes=None):
    """Turn a grammar string back into notes over the given chords.

    Arguments:
        m1_grammar -- tokens as produced by parse_melody (types C, S, A, X, R)
        m1_chords -- a stream.Voice of music21 Chords, offsets relative to the phrase start
        rng -- a random.Random; every note choice is drawn from it
        register -- optional (lowest, highest) MIDI pitches, e.g. the corpus melody's. Given,
            every note lies inside it, the first note starts near its centre, and steps lean
            to the corpus's intervals with leaps wider than a fifth only where the window
            leaves no choice (see music_rules.note_in_register). None keeps the course's
            rule: a note is drawn anywhere in its interval window and only raised out of
            the octaves below C4 (a note without a window) or C3 (the others).
        pitch_classes -- optional {pitch class (0-11): count}, e.g. how many of the corpus
            melody's notes have each class (a set counts each class once); with a register, a
            note of a class not counted is drawn only when no note of these fits (a tune in F
            major gets no D sharp over a B-flat chord), and each fitting pitch is weighted by
            its class's count.
    Returns:
        a stream.Voice of Notes and Rests, each starting where the previous one ends
    """
    pitch_classes = pitch_class_counts(pitch_classes)  # a set counts each class once
    elements = stream.Voice()
    chords = [c for c in m1_chords if isinstance(c, chord.Chord)]
    offset = 0.0
    previous = None
    for token in m1_grammar.split(" "):
        terms = token.split(",")
        kind, length = terms[0], token_length(terms[1])
        if kind == "R":
            elements.insert(offset, note.Rest(quarterLength=length))
            offset += length
            continue
        last_chord = chord_at(chords, offset)
        if register is not None:
            new_note = note_in_register(terms, kind, last_chord, previous, register, pitch_classes, rng)
            lowest_octave = None
        elif previous is None or len(terms) == 2:
            # No interval to go by: draw freely from the chord, no lower than middle C.
            if kind == "C":
                new_note = generate_chord_tone(last_chord, rng)
            elif kind == "S":
                new_note = generate_scale_tone(last_chord, rng)
            else:
                new_note = generate_approach_tone(last_chord, rng)
            lowest_octave = 4
        else:
            low_pitch, high_pitch = window(previous, terms)
            candidates = _candidates(low_pitch, high_pitch, last_chord, kind)
            moves = [c for c in candidates if c.nameWithOctave != previous.nameWithOctave]
            if len(candidates) > 1 and moves:
                new_note = rng.choice(moves)
            elif candidates:
                new_note = candidates[0]
            else:
                new_note = previous.transpose(rng.choice([-2, 2]))
            lowest_octave = 3
        new_note.quarterLength = length
        if lowest_octave is not None and new_note.octave < lowest_octave:
            new_note.octave = lowest_octave
        elements.insert(offset, new_note)
        offset += length
        previous = new_note
    return elements

