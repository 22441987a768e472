"""Notes <-> abstract grammar, after Keller and Morrison's "A Grammatical Approach to Automatic
Improvisation" as used by jazzml, deepjazz and the course.

A measure of melody becomes a string of tokens such as ``C,0.250,<M-2,m-6>``:
the note's type relative to the chord sounding under it (C chord tone, S scale
tone, A approach tone, X anything else, R rest), its length in quarter notes,
and the range of intervals (the real interval to the previous note, widened by
a minor third each way) from which a new note may be drawn when the grammar is
turned back into notes.
"""

import random
from functools import lru_cache

from music21 import chord, interval, note, pitch, scale, stream


# Steps of the two linear scales the grammar derives, in semitones from the tonic.
SCALE_STEPS = {"major": (0, 2, 4, 5, 7, 9, 11), "dorian": (0, 2, 3, 5, 7, 9, 10)}
# The tonics music21's scale.derive tries, in its order (enharmonic spellings included).
TONICS = scale.intervalNetwork.IntervalNetwork._SCALE_STARTS


@lru_cache(maxsize=None)
def _scale_pitch_names(kind, tonic):
    scale_class = {"major": scale.MajorScale, "dorian": scale.DorianScale}[kind]
    return tuple(p.name for p in scale_class(tonic=tonic).getPitches())


@lru_cache(maxsize=None)
def _scale_names(chord_pitches, quality, weighted_blues):
    """Pitch names of the scale derived from a chord (major if the chord is major).

    For the major and Dorian scales this is music21's scale.derive, computed directly:
    derive realises the scale on each of 15 tonics and keeps the one whose pitch classes
    cover most of the chord's pitch classes (ties to the higher tonic, then the later one), which
    took seconds per run. The tests check both agree.
    """
    kind = "major" if quality == "major" else "blues" if weighted_blues else "dorian"
    if kind == "blues":  # not a simple pitch-class set: ask music21
        derived = scale.WeightedHexatonicBlues().derive(chord.Chord(list(chord_pitches)))
        return tuple(p.name for p in derived.getPitches())
    classes = {pitch.Pitch(p).pitchClass for p in chord_pitches}  # derive counts each class once
    ranked = []
    for tonic in TONICS:
        tonic_pitch = pitch.Pitch(tonic)
        members = {(tonic_pitch.pitchClass + step) % 12 for step in SCALE_STEPS[kind]}
        ranked.append((sum(c in members for c in classes), tonic_pitch))
    ranked.sort()
    ranked.reverse()
    return _scale_pitch_names(kind, ranked[0][1].name)


def _chord_key(a_chord):
    return tuple(p.nameWithOctave for p in a_chord.pitches), a_chord.quality


def is_scale_tone(a_chord, a_note):
    """True if the note's name is in the (major or Dorian) scale derived from the chord."""
    return a_note.name in _scale_names(*_chord_key(a_chord), weighted_blues=False)


def is_approach_tone(a_chord, a_note):
    """True if the note is a half step above or below one of the chord's pitches."""
    for chord_pitch in a_chord.pitches:
        for step in (1, -1):
            neighbour = chord_pitch.transpose(step)
            if a_note.name in (neighbour.name, neighbour.getEnharmonic().name):
                return True
    return False


def is_chord_tone(a_chord, a_note):
    """True if the note's name is one of the chord's pitch names."""
    return a_note.name in (p.name for p in a_chord.pitches)


def generate_chord_tone(a_chord, rng=random):
    """A note drawn from the chord's own pitches."""
    return note.Note(rng.choice([p.nameWithOctave for p in a_chord.pitches]))


def generate_scale_tone(a_chord, rng=random):
    """A note drawn from the chord's scale, in one of the chord's octaves."""
    name = rng.choice(_scale_names(*_chord_key(a_chord), weighted_blues=True))
    octave = rng.choice([p.octave for p in a_chord.sortAscending().pitches])
    return note.Note(f"{name}{octave}")


def generate_approach_tone(a_chord, rng=random):
    """A scale tone moved a half step up or down."""
    return generate_scale_tone(a_chord, rng).transpose(rng.choice([1, -1]))


def chord_at(chords, offset):
    """The last chord starting at or before offset, else the first chord."""
    sounding = [c for c in chords if c.offset <= offset]
    return sounding[-1] if sounding else chords[0]


def parse_melody(fullMeasureNotes, fullMeasureChords):
    """Abstract grammar of one measure.

    Arguments:
        fullMeasureNotes -- the measure's notes and rests (a stream.Voice or a list), in order
        fullMeasureChords -- the chords sounding in that measure, in order
    Returns:
        a string of space-separated tokens, one per note or rest,
        e.g. "C,0.500 C,0.333,<P1,d-5> C,0.250,<M-2,m-6>"
    """
    measure = [e for e in fullMeasureNotes if isinstance(e, (note.Note, note.Rest))]
    chords = [c for c in fullMeasureChords if isinstance(c, chord.Chord)]
    tokens = []
    previous = None
    for element in measure:
        last_chord = chord_at(chords, element.offset)
        if isinstance(element, note.Rest):
            kind = "R"
        elif element.name in last_chord.pitchNames:
            kind = "C"
        elif is_scale_tone(last_chord, element):
            kind = "S"
        elif is_approach_tone(last_chord, element):
            kind = "A"
        else:
            kind = "X"
        token = f"{kind},{float(element.quarterLength):.3f}"
        if isinstance(element, note.Note):
            if previous is not None:
                distance = interval.Interval(noteStart=previous, noteEnd=element)
                upper = interval.add([distance, "m3"])
                lower = interval.subtract([distance, "m3"])
                token += f",<{upper.directedName},{lower.directedName}>"
            previous = element
        tokens.append(token)
    return " ".join(tokens)


def _candidates(low_pitch, high_pitch, last_chord, kind):
    """Notes between two pitches (inclusive) that fit the token's type."""
    test = {"C": is_chord_tone, "S": is_scale_tone}.get(kind, is_approach_tone)
    count = int(high_pitch.ps - low_pitch.ps + 1)
    found = []
    for step in range(count):
        candidate = note.Note(low_pitch.transpose(step).simplifyEnharmonic())
        if test(last_chord, candidate):
            found.append(candidate)
    return found


def unparse_grammar(m1_grammar, m1_chords, rng=random):
    """Turn a grammar string back into notes over the given chords.

    Arguments:
        m1_grammar -- tokens as produced by parse_melody (types C, S, A, X, R)
        m1_chords -- a stream.Voice of music21 Chords, offsets relative to the phrase start
        rng -- a random.Random; every note choice is drawn from it
    Returns:
        a stream.Voice of Notes and Rests, each starting where the previous one ends
    """
    elements = stream.Voice()
    chords = [c for c in m1_chords if isinstance(c, chord.Chord)]
    offset = 0.0
    previous = None
    for token in m1_grammar.split(" "):
        terms = token.split(",")
        kind, length = terms[0], float(terms[1])
        if kind == "R":
            elements.insert(offset, note.Rest(quarterLength=length))
            offset += length
            continue
        last_chord = chord_at(chords, offset)
        if previous is None or len(terms) == 2:
            # No interval to go by: draw freely from the chord, no lower than middle C.
            if kind == "C":
                new_note = generate_chord_tone(last_chord, rng)
            elif kind == "S":
                new_note = generate_scale_tone(last_chord, rng)
            else:
                new_note = generate_approach_tone(last_chord, rng)
            lowest_octave = 4
        else:
            first = interval.Interval(terms[2].replace("<", ""))
            second = interval.Interval(terms[3].replace(">", ""))
            upper, lower = (first, second) if first.cents > second.cents else (second, first)
            low_pitch = interval.transposePitch(previous.pitch, lower)
            high_pitch = interval.transposePitch(previous.pitch, upper)
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
        if new_note.octave < lowest_octave:
            new_note.octave = lowest_octave
        elements.insert(offset, new_note)
        offset += length
        previous = new_note
    return elements

