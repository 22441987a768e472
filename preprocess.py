"""Parse a jazz MIDI file into the course's training material.

The course extracted the Metheny solo with music21 5, whose MIDI import differs
from today's: it grouped notes into chords by their *raw* tick times and then
snapped offsets and durations to the nearest sixteenth or eighth-note triplet,
whereas music21 10 quantises first, then merges simultaneous notes into chords
and builds measures and voices. A literal port therefore finds other notes.
We read the MIDI events with music21's low-level reader and apply the old
import rules ourselves, so the corpus is the course's token for token
(193 tokens, 78 values, 19 chord groups, 18 grammar measures).
"""

import hashlib
import json
import math
from dataclasses import asdict, dataclass
from fractions import Fraction
from functools import lru_cache
from itertools import groupby
from pathlib import Path

from music21 import chord, midi, note, pitch

import grammar
from atomic_files import write_atomically
from grammar import parse_melody


class CorpusError(Exception):
    """A corpus file that cannot be used; the message says what to do."""


@dataclass(frozen=True)
class Section:
    """Where the accompanied solo lives in a MIDI file (tracks counted among those with notes)."""

    melody_track: int
    chord_track: int
    start: float  # quarter notes, inclusive
    end: float  # quarter notes, inclusive


# Pat Metheny, "And Then I Knew": guitar (track 5) solos over piano (track 0) in [476, 548].
METHENY = Section(melody_track=5, chord_track=0, start=476, end=548)

QUANTIZE_DIVISORS = (4, 3)  # sixteenths and eighth-note triplets, music21 5's default

# Parsing the MIDI file and its grammar takes a second or two; the result is kept here,
# as plain JSON, under a key made of the file's sha256, the section and this code's own hash.
CACHE_DIR = Path("data/.cache")


def sha256_of(path):
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def read_midi_tracks(path):
    """Read a MIDI file into (ticks_per_quarter, tracks), keeping only tracks that hold notes.

    Each track is a list of (on_tick, off_tick, midi_pitch, velocity) in note-on order.
    Raises CorpusError when the file is missing, unreadable or not MIDI.
    """
    midi_file = midi.MidiFile()
    try:
        midi_file.open(str(path))
        try:
            midi_file.read()
        finally:
            midi_file.close()
    except Exception as error:  # music21 raises assorted errors on bad bytes
        raise CorpusError(f"{path}: not a readable MIDI file ({type(error).__name__})") from None
    if not midi_file.ticksPerQuarterNote:
        raise CorpusError(f"{path}: not a readable MIDI file (no timing information)")
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
                notes.append((on_tick, timed_events[j][0], event.pitch, event.velocity))
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
    """Group a track's notes into notes and chords the way music21 5 imported MIDI.

    Notes starting within 1/16 of a quarter of each other *and* ending within that
    tolerance form a chord; offsets and durations are then quantised.
    Returns [(offset, quarter_length, [midi pitches])] in offset order, as Fractions.
    """
    tolerance = ticks_per_quarter / 16
    events, gathered = [], set()
    for i, (on_tick, off_tick, pitch, _) in enumerate(notes):
        if i in gathered:
            continue
        group = [notes[i]]
        for j in range(i + 1, len(notes)):
            other_on, other_off = notes[j][0], notes[j][1]
            if abs(other_on - on_tick) > tolerance:
                break
            if abs(other_off - off_tick) <= tolerance:
                group.append(notes[j])
                gathered.add(j)
        # music21 5 timed a chord from its first note's end to its last note's start.
        ticks = group[0][1] - group[-1][0]
        length = ticks / ticks_per_quarter if ticks != 0 else 1.0
        events.append((quantize(on_tick / ticks_per_quarter), quantize(length), [n[2] for n in group], i))
    events.sort(key=lambda event: (event[0], event[3]))
    return [event[:3] for event in events]


# Spelled one pitch at a time, as music21 5 did: a chord built from MIDI numbers
# is spelled in context today (G# becomes A-), which changes chord qualities.
def _make_note(offset, quarter_length, midi_pitch):
    made = note.Note(pitch.Pitch(midi=midi_pitch))
    made.quarterLength = quarter_length
    made.offset = offset
    return made


def _make_chord(offset, quarter_length, midi_pitches):
    made = chord.Chord([pitch.Pitch(midi=p) for p in midi_pitches])
    made.quarterLength = quarter_length
    made.offset = offset
    return made


def _group_by_measure(elements):
    """Consecutive 4-beat groups, numbered from 1: group 0 is the course's header (no notes)."""
    return [[]] + [list(group) for _, group in groupby(elements, key=lambda e: int(e.offset // 4))]


def _solo_events(path, section):
    """The section's melody notes and chords as numbers: ([(offset, length, pitch)],
    [(offset, length, [pitches])]), offsets and lengths as Fractions."""
    ticks_per_quarter, tracks = read_midi_tracks(path)
    needed = max(section.melody_track, section.chord_track) + 1
    if len(tracks) < needed:
        raise CorpusError(
            f"{path}: has {len(tracks)} tracks with notes, the Metheny layout needs {needed} "
            "(use data/original_metheny.mid)"
        )

    def in_section(offset):
        return section.start <= offset <= section.end

    melody = [
        # The course merged the guitar's two voices into one line and gave zero-length
        # notes a sixteenth; its solo holds no chords, so a simultaneous group's pitches
        # are kept as single notes.
        (offset, length or Fraction(1, 4), midi_pitch)
        for offset, length, pitches in track_events(tracks[section.melody_track], ticks_per_quarter)
        if in_section(offset)
        for midi_pitch in pitches
    ]
    harmony = [
        (offset, length, pitches)
        for offset, length, pitches in track_events(tracks[section.chord_track], ticks_per_quarter)
        if in_section(offset) and len(pitches) > 1
    ]
    return melody, harmony


def _measures_and_chords(path, melody, harmony):
    measures = _group_by_measure([_make_note(*event) for event in melody])
    chords = _group_by_measure([_make_chord(*event) for event in harmony])
    # The accompaniment's final downbeat has no melody over it: drop it so they line up.
    del chords[-1]
    if len(measures) < 2 or len(chords) != len(measures):
        raise CorpusError(
            f"{path}: no accompanied solo found where the Metheny corpus has one "
            "(use data/original_metheny.mid)"
        )
    return measures, chords


@lru_cache(maxsize=1)
def _code_version():
    """Hash of the code that extracts the corpus: editing it invalidates the cache."""
    digest = hashlib.sha256()
    for module in (__file__, grammar.__file__):
        digest.update(Path(module).read_bytes())
    return digest.hexdigest()


def _cache_key(path, section):
    return hashlib.sha256(
        f"{sha256_of(path)} {json.dumps(asdict(section))} {_code_version()}".encode()).hexdigest()


def _fraction_pair(value):
    return [value.numerator, value.denominator]


def _read_cache(cache_file, key):
    """(melody, harmony, grammars) from a cache file, or None if it is absent or not valid."""
    try:
        entry = json.loads(cache_file.read_text())
        if entry["key"] != key:
            return None
        melody = [(Fraction(*o), Fraction(*q), int(p)) for o, q, p in entry["melody"]]
        harmony = [(Fraction(*o), Fraction(*q), [int(p) for p in ps]) for o, q, ps in entry["harmony"]]
        grammars = [str(g) for g in entry["grammars"]]
        return melody, harmony, grammars
    except (OSError, ValueError, KeyError, TypeError, ZeroDivisionError):
        return None


def _write_cache(cache_file, key, melody, harmony, grammars):
    entry = {
        "key": key,
        "melody": [[_fraction_pair(o), _fraction_pair(q), p] for o, q, p in melody],
        "harmony": [[_fraction_pair(o), _fraction_pair(q), ps] for o, q, ps in harmony],
        "grammars": grammars,
    }
    try:
        write_atomically(cache_file, lambda temporary: Path(temporary).write_text(json.dumps(entry)))
    except OSError:
        pass  # a read-only folder only costs the next run a second or two


def _load_solo(path, section=METHENY, cache_dir=None):
    """(measures, chords, abstract_grammars) of a corpus file, from the cache when it is valid."""
    cache_dir = CACHE_DIR if cache_dir is None else Path(cache_dir)
    if Path(path).is_dir():
        raise CorpusError(f"{path}: is a folder, not a MIDI file")
    if not Path(path).is_file():
        raise CorpusError(f"{path}: file not found")
    key = _cache_key(path, section)
    cache_file = cache_dir / f"{key}.json"
    cached = _read_cache(cache_file, key)
    if cached is not None:
        melody, harmony, grammars = cached
        measures, chords = _measures_and_chords(path, melody, harmony)
        return measures, chords, grammars
    melody, harmony = _solo_events(path, section)
    measures, chords = _measures_and_chords(path, melody, harmony)
    grammars = _get_abstract_grammars(measures, chords)
    _write_cache(cache_file, key, melody, harmony, grammars)
    return measures, chords, grammars


def parse_midi(path, section=METHENY):
    """The accompanied solo, measure by measure.

    Returns (measures, chords): measures[i] lists measure i's melody Notes, chords[i] its
    piano Chords, offsets in quarter notes from the start of the piece. Index 0 is the
    course's header group and holds nothing.
    """
    measures, chords, _ = _load_solo(path, section)
    return measures, chords


def _get_abstract_grammars(measures, chords):
    return [parse_melody(measures[ix], chords[ix]) for ix in range(1, len(measures))]


def get_musical_data(data_fn):
    """Parse the corpus MIDI file.

    Returns:
        chords -- list of 19 chord groups; chords[i] lists measure i's music21 Chords
                  (group 0 is the course's header and holds none)
        abstract_grammars -- list of 18 strings, one per measure from 1 on,
                  e.g. "C,0.500 C,0.333,<P1,d-5> ..."
    """
    _, chords, abstract_grammars = _load_solo(data_fn)
    return chords, abstract_grammars


def get_corpus_data(abstract_grammars):
    """Split the grammars into tokens and index the distinct values.

    Returns corpus (list of tokens), values (sorted list of distinct tokens),
    values_indices (token -> index) and indices_values (index -> token).
    The values are sorted so that the indices are the same on every run.
    """
    corpus = [token for grammar in abstract_grammars for token in grammar.split(" ")]
    values = sorted(set(corpus))
    values_indices = {value: index for index, value in enumerate(values)}
    indices_values = dict(enumerate(values))
    return corpus, values, values_indices, indices_values
