"""The course's corpus, exactly: Metheny's solo read the way music21 5 read MIDI.

The course extracted the Metheny solo with music21 5, whose MIDI import differs from
today's: it grouped notes into chords by their *raw* tick times and then snapped offsets
and durations to the nearest sixteenth or eighth-note triplet, whereas music21 10 quantises
first, then merges simultaneous notes into chords and builds measures and voices. A literal
port therefore finds other notes. We read the MIDI events with music21's low-level reader and
apply the old import rules ourselves, so the corpus is the course's token for token
(193 tokens, 78 values, 19 chord groups, 18 grammar measures).
"""

import math
from fractions import Fraction
from itertools import groupby
from typing import NamedTuple

from music21 import chord, midi, note, pitch

# Pat Metheny, "And Then I Knew": guitar (track 5) solos over piano (track 0) in quarter
# notes [476, 548]. Used whenever the file is the course's corpus, known by its sha256.
METHENY_SHA256 = "0da8322ceab36b036682b5ece0c315193f7b701a3340a0ca5a523b107c6f428d"
MELODY_TRACK, CHORD_TRACK = 5, 0
SOLO_START, SOLO_END = 476, 548  # quarter notes, both included
BEATS_PER_BAR = 4  # the solo is in 4/4

MEASURES, TOKENS = 18, 193  # the course's corpus: 18 grammar strings, 193 tokens in all
QUANTIZE_DIVISORS = (4, 3)  # sixteenths and eighth-note triplets, music21 5's default


class MidiFileError(ValueError):
    """A file that is not the course's MIDI layout; the message says why."""


class RawNote(NamedTuple):
    """A note as the MIDI file stores it: ticks from the start, pitch and velocity."""

    on_tick: int
    off_tick: int
    pitch: int
    velocity: int


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


def read_midi_tracks(path):
    """(ticks_per_quarter, tracks) of a MIDI file, keeping only tracks that hold notes.

    Each track is a list of RawNote in note-on order.
    Raises MidiFileError when the file is unreadable or not MIDI.
    """
    midi_file = midi.MidiFile()
    try:
        midi_file.open(str(path))
        try:
            midi_file.read()
        finally:
            midi_file.close()
    except Exception as error:  # music21 raises assorted errors on bad bytes
        raise MidiFileError(f"not a readable MIDI file ({type(error).__name__})") from None
    if not midi_file.ticksPerQuarterNote:
        raise MidiFileError("not a readable MIDI file (no timing information)")
    tracks = [_paired_notes(track) for track in midi_file.tracks if track.hasNotes()]
    return midi_file.ticksPerQuarterNote, tracks


def _paired_notes(track):
    """Match each note-on with the first later note-off of the same pitch and channel."""
    timed_events, now = [], 0
    events = track.events
    i = 0
    while i < len(events) - 1:
        if events[i].isDeltaTime() and not events[i + 1].isDeltaTime():
            now += events[i].time
            timed_events.append((now, events[i + 1]))
            i += 2
        else:
            i += 1
    notes, matched = [], set()
    for i, (on_tick, event) in enumerate(timed_events):
        if i in matched or not event.isNoteOn():
            continue
        for j in range(i + 1, len(timed_events)):
            if j not in matched and event.matchedNoteOff(timed_events[j][1]):
                matched.add(j)
                notes.append(RawNote(on_tick, timed_events[j][0], event.pitch, event.velocity))
                break
    return notes


def _nearest_multiple(value, unit):
    """music21 5's rounding: (error, multiple, count of units); halfway rounds down."""
    count = math.floor(value / unit)
    low = unit * count
    if low <= value <= low + unit / 2:
        return round(value - low, 7), low, count
    return round(unit * (count + 1) - value, 7), unit * (count + 1), count + 1


def quantize(quarter_length, divisors=QUANTIZE_DIVISORS):
    """Snap a length in quarter notes to the closest multiple of 1/d for d in divisors, exactly."""
    value = max(quarter_length, 0.0)
    _, _, count, divisor = min(_nearest_multiple(value, 1.0 / d) + (d,) for d in divisors)
    return Fraction(count, divisor)


def track_events(notes, ticks_per_quarter):
    """Group a track's RawNotes into notes and chords the way music21 5 imported MIDI.

    Notes starting within 1/16 of a quarter of each other *and* ending within that
    tolerance form a chord; offsets and durations are then quantised.
    Returns a list of Event in offset order.
    """
    tolerance = ticks_per_quarter / 16
    events, gathered = [], set()
    for i, first in enumerate(notes):
        if i in gathered:
            continue
        group = [first]
        for j in range(i + 1, len(notes)):
            if abs(notes[j].on_tick - first.on_tick) > tolerance:
                break
            if abs(notes[j].off_tick - first.off_tick) <= tolerance:
                group.append(notes[j])
                gathered.add(j)
        # music21 5 timed a chord from its first note's end to its last note's start.
        ticks = group[0].off_tick - group[-1].on_tick
        length = ticks / ticks_per_quarter if ticks != 0 else 1.0
        offset = quantize(first.on_tick / ticks_per_quarter)
        events.append((offset, i, Event(offset, quantize(length), tuple(n.pitch for n in group))))
    events.sort(key=lambda item: item[:2])
    return [event for _, _, event in events]


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


def solo_events(path):
    """The Metheny solo's melody notes and chords as numbers: ([MelodyNote], [Event]).

    Raises MidiFileError when the file does not have the Metheny file's layout.
    """
    ticks_per_quarter, tracks = read_midi_tracks(path)
    needed = max(MELODY_TRACK, CHORD_TRACK) + 1
    if len(tracks) < needed:
        raise MidiFileError(f"has {len(tracks)} tracks with notes, the Metheny layout needs {needed}")

    def in_solo(offset):
        return SOLO_START <= offset <= SOLO_END

    melody = [
        # The course merged the guitar's two voices into one line and gave zero-length
        # notes a sixteenth; its solo holds no chords, so a simultaneous group's pitches
        # are kept as single notes.
        MelodyNote(event.offset, event.length or Fraction(1, 4), midi_pitch)
        for event in track_events(tracks[MELODY_TRACK], ticks_per_quarter)
        if in_solo(event.offset)
        for midi_pitch in event.pitches
    ]
    chord_events = [event for event in track_events(tracks[CHORD_TRACK], ticks_per_quarter)
                    if in_solo(event.offset) and len(event.pitches) > 1]
    return melody, chord_events


def _group_by_measure(elements):
    """Consecutive bars, numbered from 1: group 0 is the course's header (no notes)."""
    return [[]] + [list(group) for _, group in
                   groupby(elements, key=lambda e: int(e.offset // BEATS_PER_BAR))]


def measures_and_chords(melody, chord_events):
    """The solo's measures of Notes and their groups of Chords, as the course built them.

    Raises MidiFileError when they do not line up as the Metheny solo's do.
    """
    measures = _group_by_measure([make_note(*event) for event in melody])
    chords = _group_by_measure([make_chord(*event) for event in chord_events])
    # The accompaniment's final downbeat has no melody over it: drop it so they line up.
    del chords[-1]
    if len(measures) < 2 or len(chords) != len(measures):
        raise MidiFileError("no accompanied solo found where the Metheny corpus has one")
    return measures, chords


def has_course_numbers(abstract_grammars):
    """True when grammar strings have the course corpus's counts of measures and tokens."""
    return (len(abstract_grammars) == MEASURES
            and sum(len(g.split(" ")) for g in abstract_grammars) == TOKENS)
