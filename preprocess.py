"""Parse a jazz MIDI file into the course's training material.

The course extracted the Metheny solo with music21 5, whose MIDI import differs
from today's: it grouped notes into chords by their *raw* tick times and then
snapped offsets and durations to the nearest sixteenth or eighth-note triplet,
whereas music21 10 quantises first, then merges simultaneous notes into chords
and builds measures and voices. A literal port therefore finds other notes.
We read the MIDI events with music21's low-level reader and apply the old
import rules ourselves, so the corpus is the course's token for token
(193 tokens, 78 values, 19 chord groups, 18 grammar measures).

Any other MIDI or MusicXML file is read with music21 10's own importer: load_solo finds
its melody and chords (or is told which parts they are) and groups them by bar.
Results are cached as JSON, keyed by the file's sha256, the options and this code.
"""

import copy
import hashlib
import json
import math
from collections import namedtuple
from dataclasses import asdict, dataclass
from fractions import Fraction
from functools import lru_cache
from itertools import groupby
from pathlib import Path

from music21 import (chord, converter, harmony, instrument, meter, midi, note, percussion, pitch,
                     stream)

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
# These settings are used whenever the file is the course's corpus, identified by its sha256.
METHENY = Section(melody_track=5, chord_track=0, start=476, end=548)
METHENY_SHA256 = "0da8322ceab36b036682b5ece0c315193f7b701a3340a0ca5a523b107c6f428d"


@dataclass(frozen=True)
class Options:
    """How to read any other piece; None means: find it out.

    melody_part -- index or name of the melody's part
    chord_parts -- indices or names of the parts whose simultaneous notes are the chords
    section -- (first, last) measure, counted from 1, both included
    progression -- chord bars (from parse_progression) to use when the piece has no chords
    """

    melody_part: str = None
    chord_parts: tuple = None
    section: tuple = None
    progression: tuple = None

    def use_metheny_preset(self, digest):
        """True for the course's corpus read with no overrides: the classic extraction."""
        return (digest == METHENY_SHA256 and self.melody_part is None
                and self.chord_parts is None and self.section is None)


Solo = namedtuple("Solo", "measures chords abstract_grammars beats_per_bar")
MELODIC_RANGE = range(55, 89)  # G3 to E6: where melodies live
CORPUS_SUFFIXES = (".mid", ".midi", ".xml", ".musicxml", ".mxl")

QUANTIZE_DIVISORS = (4, 3)  # sixteenths and eighth-note triplets, music21 5's default

# Parsing a file and its grammar takes a second or more; the result is kept here, as plain
# JSON, under a key made of the file's sha256, the options and this code's own hash.
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
    made = note.Rest() if midi_pitch is None else note.Note(pitch.Pitch(midi=midi_pitch))
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
    chord_events = [
        (offset, length, pitches)
        for offset, length, pitches in track_events(tracks[section.chord_track], ticks_per_quarter)
        if in_section(offset) and len(pitches) > 1
    ]
    return melody, chord_events


def _measures_and_chords(path, melody, chord_events):
    measures = _group_by_measure([_make_note(*event) for event in melody])
    chords = _group_by_measure([_make_chord(*event) for event in chord_events])
    # The accompaniment's final downbeat has no melody over it: drop it so they line up.
    del chords[-1]
    if len(measures) < 2 or len(chords) != len(measures):
        raise CorpusError(
            f"{path}: no accompanied solo found where the Metheny corpus has one "
            "(use data/original_metheny.mid)"
        )
    return measures, chords


def parse_progression(text):
    """Chord bars from text such as "Dm7 G7 | Cmaj7 | A7" (one chord per bar if there is no "|").

    Returns a tuple of bars, each a tuple of chord-symbol figures. Raises CorpusError
    naming the first symbol music21 cannot read.
    """
    bars = [bar.split() for bar in text.split("|")] if "|" in text else [[s] for s in text.split()]
    if not bars or any(not bar for bar in bars):
        raise CorpusError(f"--chords {text!r}: give chord symbols, bars separated by |")
    for bar in bars:
        for figure in bar:
            _chord_symbol_pitches(figure)
    return tuple(tuple(bar) for bar in bars)


@lru_cache(maxsize=None)  # a progression names the same few chords over and over
def _chord_symbol_pitches(figure):
    """MIDI pitches of a chord symbol (a tuple), voiced from the octave below middle C."""
    try:
        symbol = harmony.ChordSymbol(figure)
        pitches = [p.midi for p in symbol.pitches]
    except Exception:
        pitches = []
    if len(pitches) < 2:
        raise CorpusError(f"unknown chord symbol {figure!r} (try e.g. C, Dm7, G7, Cmaj7, F#m7b5)")
    lowest = min(pitches)
    return tuple(sorted(p - 12 * ((lowest - 48) // 12) for p in pitches))


def progression_events(progression, first_bar, bar_count, beats_per_bar):
    """Chords of a progression looped over bars first_bar .. first_bar + bar_count - 1."""
    events = []
    for bar in range(first_bar, first_bar + bar_count):
        figures = progression[(bar - first_bar) % len(progression)]
        length = Fraction(beats_per_bar) / len(figures)
        for i, figure in enumerate(figures):
            events.append((bar * beats_per_bar + i * length, length, _chord_symbol_pitches(figure)))
    return events


def _is_percussion(part):
    if any(isinstance(i, instrument.UnpitchedPercussion) or i.midiChannel == 9
           for i in part.recurse().getElementsByClass(instrument.Instrument)):
        return True
    return any(isinstance(n, (note.Unpitched, percussion.PercussionChord)) for n in part.recurse().notes)


def _part_label(index, part):
    name = part.partName or str(part.getInstrument(returnDefault=False) or "")
    return f"{index} ({name})" if name else str(index)


def _find_parts(parts, wanted, what):
    """Parts named by index or (case-insensitive) name."""
    found = []
    for key in wanted:
        matches = [i for i, p in enumerate(parts)
                   if key == str(i) or key.lower() == (p.partName or "").lower()]
        if not matches:
            listing = ", ".join(_part_label(i, p) for i, p in enumerate(parts))
            raise CorpusError(f"no part {key!r} for {what}; the parts are: {listing}")
        found.append(matches[0])
    return found


def _pick_melody(parts):
    """The part mostly one note at a time with the most notes in a melodic range."""
    best, best_count = None, 0
    for index, part in enumerate(parts):
        if _is_percussion(part):
            continue
        sounding = [n for n in part.recurse().notes if not isinstance(n, harmony.ChordSymbol)]
        singles = [n for n in sounding if isinstance(n, note.Note)]
        if not sounding or len(singles) < 0.8 * len(sounding):
            continue
        count = sum(n.pitch.midi in MELODIC_RANGE for n in singles)
        if count > best_count:
            best, best_count = index, count
    return best


def _score_events(path, options):
    """Melody and chord events of any MIDI or MusicXML file, and its bar length in beats."""
    try:
        score = converter.parse(str(path))
    except Exception as error:
        raise CorpusError(f"{path}: not a readable MIDI or MusicXML file ({type(error).__name__})") from None
    parts = list(getattr(score, "parts", [])) or [score]
    signatures = score.flatten().getElementsByClass(meter.TimeSignature)
    beats_per_bar = Fraction(signatures[0].barDuration.quarterLength) if signatures else Fraction(4)

    if options.melody_part is not None:
        (melody_index,) = _find_parts(parts, [options.melody_part], "--melody-part")
    else:
        melody_index = _pick_melody(parts)
        if melody_index is None:
            raise CorpusError(f"{path}: no melodic part (one note at a time, in a melodic range); "
                              "name one with --melody-part")
    start, end = Fraction(0), None
    if options.section is not None:
        first, last = options.section
        start, end = (first - 1) * beats_per_bar, last * beats_per_bar

    def in_section(offset):
        return start <= offset and (end is None or offset < end)

    melody = []
    for element in parts[melody_index].flatten().notesAndRests:
        if isinstance(element, harmony.ChordSymbol) or not element.quarterLength:
            continue
        offset, length = Fraction(element.offset), Fraction(element.quarterLength)
        if not in_section(offset):
            continue
        if isinstance(element, note.Rest):
            melody.append((offset, length, None))
        else:
            melody.append((offset, length, max(p.midi for p in element.pitches)))
    if not any(p is not None for _, _, p in melody):
        where = f"measures {options.section[0]}:{options.section[1]}" if options.section else "the piece"
        raise CorpusError(f"{path}: {where} holds no melody notes; check --section and --melody-part")

    harmony_events = []
    symbols = [s for s in score.flatten().getElementsByClass(harmony.ChordSymbol) if s.pitches]
    if options.chord_parts is not None:
        chosen = [parts[i] for i in _find_parts(parts, options.chord_parts, "--chord-parts")]
        merged = stream.Score(chosen).chordify() if len(chosen) > 1 else chosen[0]
        sources = [c for c in merged.flatten().getElementsByClass(chord.Chord)
                   if not isinstance(c, harmony.ChordSymbol)]
    elif symbols:
        sources = symbols
    else:
        candidates = [(sum(len(c.pitches) > 1 for c in p.recurse().getElementsByClass(chord.Chord)
                           if not isinstance(c, harmony.ChordSymbol)), i)
                      for i, p in enumerate(parts) if i != melody_index and not _is_percussion(p)]
        count, index = max(candidates, default=(0, None))
        sources = ([c for c in parts[index].flatten().getElementsByClass(chord.Chord)
                    if not isinstance(c, harmony.ChordSymbol)] if count else [])
    for a_chord in sources:
        offset = Fraction(a_chord.offset)
        pitches = sorted({p.midi for p in a_chord.pitches})
        if len(pitches) > 1 and in_section(offset):
            harmony_events.append((offset, Fraction(a_chord.quarterLength), pitches))
    if not harmony_events:
        if options.progression is None:
            raise CorpusError(f"{path}: no chords found (no chord part, no chord symbols); "
                              "give them with --chords or --chord-parts")
        first_bar = int(min(o for o, _, _ in melody) // beats_per_bar)
        last_bar = int(max(o for o, _, _ in melody) // beats_per_bar)
        harmony_events = progression_events(options.progression, first_bar, last_bar - first_bar + 1,
                                            beats_per_bar)
    return melody, harmony_events, beats_per_bar


def _bars_and_chords(melody, harmony_events, beats_per_bar):
    """Measures with melody notes, and for each the chords sounding in it.

    A bar where no chord starts takes the chord still sounding from before (or the
    piece's first chord), moved to the bar's first beat.
    """
    def bar_of(offset):
        return int(offset // beats_per_bar)

    measures, chords = [[]], [[]]
    for bar in sorted({bar_of(o) for o, _, p in melody if p is not None}):
        measures.append([_make_note(*e) for e in melody if bar_of(e[0]) == bar])
        starting = [e for e in harmony_events if bar_of(e[0]) == bar]
        bar_start = bar * beats_per_bar
        if not starting or starting[0][0] > bar_start:
            before = [e for e in harmony_events if e[0] < bar_start] or harmony_events[:1]
            until = starting[0][0] if starting else bar_start + beats_per_bar
            starting = [(bar_start, until - bar_start, before[-1][2])] + starting
        chords.append([_make_chord(*e) for e in starting])
    return measures, chords


@lru_cache(maxsize=1)
def _code_version():
    """Hash of the code that extracts the corpus: editing it invalidates the cache."""
    digest = hashlib.sha256()
    for module in (__file__, grammar.__file__):
        digest.update(Path(module).read_bytes())
    return digest.hexdigest()


def _cache_key(digest, options):
    settings = "metheny" if options.use_metheny_preset(digest) else json.dumps(asdict(options))
    return hashlib.sha256(f"{digest} {settings} {_code_version()}".encode()).hexdigest()


def _fraction_pair(value):
    return [value.numerator, value.denominator]


def _read_cache(cache_file, key):
    """(melody, harmony, grammars, beats_per_bar) from a cache file, or None if absent or not valid."""
    try:
        entry = json.loads(cache_file.read_text())
        if entry["key"] != key:
            return None
        melody = [(Fraction(*o), Fraction(*q), None if p is None else int(p)) for o, q, p in entry["melody"]]
        harmony_events = [(Fraction(*o), Fraction(*q), [int(p) for p in ps]) for o, q, ps in entry["harmony"]]
        grammars = [str(g) for g in entry["grammars"]]
        return melody, harmony_events, grammars, Fraction(*entry["beats_per_bar"])
    except (OSError, ValueError, KeyError, TypeError, ZeroDivisionError):
        return None


def _write_cache(cache_file, key, melody, harmony_events, grammars, beats_per_bar):
    entry = {
        "key": key,
        "melody": [[_fraction_pair(o), _fraction_pair(q), p] for o, q, p in melody],
        "harmony": [[_fraction_pair(o), _fraction_pair(q), ps] for o, q, ps in harmony_events],
        "grammars": grammars,
        "beats_per_bar": _fraction_pair(beats_per_bar),
    }
    try:
        write_atomically(cache_file, lambda temporary: Path(temporary).write_text(json.dumps(entry)))
    except OSError:
        pass  # a read-only folder only costs the next run a second or two


def _load_one(path, options, cache_dir):
    """Solo of one file, from the cache when it is valid."""
    path = Path(path)
    if path.is_dir():
        raise CorpusError(f"{path}: is a folder, not a MIDI file")
    if not path.is_file():
        raise CorpusError(f"{path}: file not found")
    digest = sha256_of(path)
    metheny = options.use_metheny_preset(digest)
    key = _cache_key(digest, options)
    cache_file = cache_dir / f"{key}.json"
    cached = _read_cache(cache_file, key)
    if cached is not None:
        melody, harmony_events, grammars, beats_per_bar = cached
    elif metheny:
        melody, harmony_events = _solo_events(path, METHENY)
        beats_per_bar = Fraction(4)
    else:
        melody, harmony_events, beats_per_bar = _score_events(path, options)
    if metheny:
        measures, chords = _measures_and_chords(path, melody, harmony_events)
    else:
        measures, chords = _bars_and_chords(melody, harmony_events, beats_per_bar)
    if cached is None:
        grammars = _get_abstract_grammars(measures, chords)
        _write_cache(cache_file, key, melody, harmony_events, grammars, beats_per_bar)
    return Solo(measures, chords, grammars, beats_per_bar)


def corpus_paths(data_fn):
    """The files a corpus argument names: a file, a folder of MIDI/MusicXML files, or a list."""
    paths = []
    for item in data_fn if isinstance(data_fn, (list, tuple)) else [data_fn]:
        item = Path(item)
        if item.is_dir():
            found = sorted(p for p in item.iterdir() if p.suffix.lower() in CORPUS_SUFFIXES)
            if not found:
                raise CorpusError(f"{item}: folder holds no .mid, .midi, .xml, .musicxml or .mxl file")
            paths += found
        else:
            paths.append(item)
    return paths


def load_solo(data_fn, options=Options(), cache_dir=None):
    """The corpus of one or several files, as one Solo.

    Returns Solo(measures, chords, abstract_grammars, beats_per_bar): measures[i] and
    chords[i] list measure i's melody and chords (index 0 is the course's empty header),
    abstract_grammars one string per measure from 1 on.
    """
    cache_dir = CACHE_DIR if cache_dir is None else Path(cache_dir)
    solos = [_load_one(path, options, cache_dir) for path in corpus_paths(data_fn)]
    if len(solos) == 1:
        return solos[0]
    return Solo([[]] + [m for s in solos for m in s.measures[1:]],
                [[]] + [c for s in solos for c in s.chords[1:]],
                [g for s in solos for g in s.abstract_grammars],
                solos[0].beats_per_bar)


def solo_timeline(solo):
    """Copies of a Solo's melody notes and chords, measure after measure from offset 0.

    Measures keep their place within the bar; gaps between them close up, and measures
    from several files no longer overlap. Returns (notes, chords).
    """
    notes, chords = [], []
    for index, (measure, measure_chords) in enumerate(zip(solo.measures[1:], solo.chords[1:])):
        bar_start = min(e.offset for e in measure) // solo.beats_per_bar * solo.beats_per_bar
        shift = index * solo.beats_per_bar - bar_start
        for source, target in ((measure, notes), (measure_chords, chords)):
            for element in source:
                moved = copy.deepcopy(element)
                moved.offset = element.offset + shift
                target.append(moved)
    return notes, chords


def parse_midi(path, options=Options()):
    """The accompanied solo, measure by measure: (measures, chords) as load_solo returns them."""
    solo = load_solo(path, options)
    return solo.measures, solo.chords


def _get_abstract_grammars(measures, chords):
    return [parse_melody(measures[ix], chords[ix]) for ix in range(1, len(measures))]


def get_musical_data(data_fn, options=Options()):
    """Parse the corpus: a MIDI or MusicXML file, a folder of them, or a list.

    Returns:
        chords -- chord groups; chords[i] lists measure i's music21 Chords
                  (19 for the Metheny corpus; group 0 is the course's header and holds none)
        abstract_grammars -- one string per measure from 1 on (18 for the Metheny corpus),
                  e.g. "C,0.500 C,0.333,<P1,d-5> ..."
    """
    solo = load_solo(data_fn, options)
    return solo.chords, solo.abstract_grammars


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
