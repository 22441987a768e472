"""The course's corpus, exactly: Metheny's solo read the way music21 5 read MIDI.

The course extracted the Metheny solo with music21 5, whose MIDI import differs from
today's: it grouped notes into chords by their *raw* tick times and then snapped offsets
and durations to the nearest sixteenth or eighth-note triplet, whereas music21 10 quantises
first, then merges simultaneous notes into chords and builds measures and voices. A literal
port therefore finds other notes. We read the MIDI events with mido and apply the old import
rules ourselves, so the corpus is the course's token for token
(193 tokens, 78 values, 19 chord groups, 18 grammar measures).
"""

from fractions import Fraction
from itertools import groupby
from typing import NamedTuple

from jazz_improv.console import InputError
from jazz_improv.events import Event, MelodyNote, make_chord, make_note, quantize
from jazz_improv.piece_files import read_midi

# Pat Metheny, "And Then I Knew": guitar (track 5) solos over piano (track 0) in quarter
# notes [476, 548]. Used whenever the file is the course's corpus, known by its sha256.
METHENY_SHA256 = "0da8322ceab36b036682b5ece0c315193f7b701a3340a0ca5a523b107c6f428d"
MELODY_TRACK, CHORD_TRACK = 5, 0
SOLO_START, SOLO_END = 476, 548  # quarter notes, both included
BEATS_PER_BAR = 4  # the solo is in 4/4
WHAT_TO_DO = "use data/original_metheny.mid"

MEASURES, TOKENS = 18, 193  # the course's corpus: 18 grammar strings, 193 tokens in all


class RawNote(NamedTuple):
    """A note as the MIDI file stores it: ticks from the start and pitch."""

    on_tick: int
    off_tick: int
    pitch: int


def read_midi_tracks(path):
    """(ticks_per_quarter, tracks) of a MIDI file, keeping only the tracks that switch a note on,
    as music21 5 counted them. Each track is a list of RawNote in note-on order.

    Raises InputError when the file is unreadable or not MIDI.
    """
    ticks_per_quarter, tracks = read_midi(path)
    return ticks_per_quarter, [[RawNote(on, off, pitch) for on, off, pitch, _ in track.notes]
                               for track in tracks if track.has_note_on]


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


def solo_events(path):
    """The Metheny solo's melody notes and chords as numbers: ([MelodyNote], [Event]).

    Raises InputError when the file does not have the Metheny file's layout.
    """
    ticks_per_quarter, tracks = read_midi_tracks(path)
    needed = max(MELODY_TRACK, CHORD_TRACK) + 1
    if len(tracks) < needed:
        raise InputError(f"{path}: has {len(tracks)} tracks with notes, the Metheny layout needs "
                         f"{needed} ({WHAT_TO_DO})")

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

    Raises InputError when they do not line up as the Metheny solo's do.
    """
    measures = _group_by_measure([make_note(*event) for event in melody])
    chords = _group_by_measure([make_chord(*event) for event in chord_events])
    # The accompaniment's final downbeat has no melody over it: drop it so they line up.
    del chords[-1]
    if len(measures) < 2 or len(chords) != len(measures):
        raise InputError(f"no accompanied solo found where the Metheny corpus has one ({WHAT_TO_DO})")
    return measures, chords


def has_course_numbers(abstract_grammars):
    """True when grammar strings have the course corpus's counts of measures and tokens."""
    return (len(abstract_grammars) == MEASURES
            and sum(len(g.split(" ")) for g in abstract_grammars) == TOKENS)
