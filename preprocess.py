"""Read a piece of music into the course's training material: measures of melody and chords.

The course's own corpus, Metheny's solo, is read exactly as the course read it (course_corpus.py).
Any other MIDI or MusicXML file is read with music21 10's own importer: load_solo finds its
melody and chords (or is told which parts they are) and groups them by bar. Parsed files are
cached (corpus_cache.py).
"""

import copy
import json
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import NamedTuple

from music21 import chord, converter, harmony, instrument, meter, note, percussion, stream

import corpus_cache
import course_corpus
from chord_symbols import progression_events
from course_corpus import Event, MelodyNote, make_chord, make_note
from grammar import parse_melody


class CorpusError(Exception):
    """A corpus file that cannot be used; the message says what to do."""


@dataclass(frozen=True)
class Options:
    """How to read any other piece; None means: find it out.

    melody_part -- index or name of the melody's part
    chord_parts -- indices or names of the parts whose simultaneous notes are the chords
    section -- (first, last) measure, counted from 1, both included
    progression -- chord bars (from chord_symbols.parse_progression) for a piece without chords
    """

    melody_part: str | None = None
    chord_parts: tuple[str, ...] | None = None
    section: tuple[int, int] | None = None
    progression: tuple[tuple[str, ...], ...] | None = None

    def use_metheny_preset(self, digest):
        """True for the course's corpus read with no overrides: the classic extraction."""
        return (digest == course_corpus.METHENY_SHA256 and self.melody_part is None
                and self.chord_parts is None and self.section is None)


class Solo(NamedTuple):
    """A corpus: measures[i] and chords[i] hold measure i's melody (Notes and Rests) and its
    Chords, index 0 being the course's empty header; abstract_grammars one string per measure
    from 1 on; beats_per_bar the bar length in quarter notes; register the melody's lowest and
    highest MIDI pitch, which improvised melodies keep to."""

    measures: list
    chords: list
    abstract_grammars: list
    beats_per_bar: Fraction
    register: tuple[int, int]


DEFAULT_BEATS_PER_BAR = 4  # a piece that states no metre is in 4/4, as MIDI assumes
MELODIC_RANGE = range(55, 89)  # G3 to E6: where melodies live
CORPUS_SUFFIXES = (".mid", ".midi", ".xml", ".musicxml", ".mxl")


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
    bar_length = signatures[0].barDuration.quarterLength if signatures else DEFAULT_BEATS_PER_BAR
    beats_per_bar = Fraction(bar_length)

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
            melody.append(MelodyNote(offset, length, None))
        else:
            melody.append(MelodyNote(offset, length, max(p.midi for p in element.pitches)))
    if not any(n.pitch is not None for n in melody):
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
            harmony_events.append(Event(offset, Fraction(a_chord.quarterLength), tuple(pitches)))
    if not harmony_events:
        if options.progression is None:
            raise CorpusError(f"{path}: no chords found (no chord part, no chord symbols); "
                              "give them with --chords or --chord-parts")
        first_bar = int(melody[0].offset // beats_per_bar)
        last_bar = int(melody[-1].offset // beats_per_bar)
        harmony_events = [Event(*e) for e in progression_events(
            options.progression, first_bar, last_bar - first_bar + 1, beats_per_bar)]
    return melody, harmony_events, beats_per_bar


def _bars_and_chords(melody, harmony_events, beats_per_bar):
    """Measures with melody notes, and for each the chords sounding in it.

    A bar where no chord starts takes the chord still sounding from before (or the
    piece's first chord), moved to the bar's first beat.
    """
    def bar_of(offset):
        return int(offset // beats_per_bar)

    measures, chords = [[]], [[]]
    for bar in sorted({bar_of(n.offset) for n in melody if n.pitch is not None}):
        measures.append([make_note(*n) for n in melody if bar_of(n.offset) == bar])
        starting = [e for e in harmony_events if bar_of(e.offset) == bar]
        bar_start = bar * beats_per_bar
        if not starting or starting[0].offset > bar_start:
            before = [e for e in harmony_events if e.offset < bar_start] or harmony_events[:1]
            until = starting[0].offset if starting else bar_start + beats_per_bar
            starting = [Event(bar_start, until - bar_start, before[-1].pitches)] + starting
        chords.append([make_chord(*e) for e in starting])
    return measures, chords


def _load_one(path, options, cache_dir):
    """Solo of one file, from the cache when it is valid."""
    path = Path(path)
    if path.is_dir():
        raise CorpusError(f"{path}: is a folder, not a MIDI file")
    if not path.is_file():
        raise CorpusError(f"{path}: file not found")
    try:
        digest = corpus_cache.sha256_of(path)
    except OSError as error:
        raise CorpusError(f"{path}: cannot read it ({error.strerror})") from None
    metheny = options.use_metheny_preset(digest)
    key = corpus_cache.cache_key(digest, "metheny" if metheny else json.dumps(asdict(options)))
    cached = corpus_cache.read_entry(cache_dir, key)
    if metheny and cached is not None and not course_corpus.has_course_numbers(cached[2]):
        cached = None  # an entry for the course's corpus must hold the course's corpus
    if cached is not None:
        melody, harmony_events, grammars, beats_per_bar = cached
        melody = [MelodyNote(*n) for n in melody]
        harmony_events = [Event(o, q, tuple(ps)) for o, q, ps in harmony_events]
    if metheny:
        try:
            if cached is None:
                melody, harmony_events = course_corpus.solo_events(path)
                beats_per_bar = Fraction(course_corpus.BEATS_PER_BAR)
            measures, chords = course_corpus.measures_and_chords(melody, harmony_events)
        except course_corpus.MidiFileError as error:
            raise CorpusError(f"{path}: {error} (use data/original_metheny.mid)") from None
    else:
        if cached is None:
            melody, harmony_events, beats_per_bar = _score_events(path, options)
        measures, chords = _bars_and_chords(melody, harmony_events, beats_per_bar)
    if cached is None:
        grammars = _get_abstract_grammars(measures, chords)
        corpus_cache.write_entry(cache_dir, key, melody, harmony_events, grammars, beats_per_bar)
    return Solo(measures, chords, grammars, beats_per_bar, melody_register(measures))


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

    Returns a Solo: measures[i] and chords[i] list measure i's melody and chords (index 0 is
    the course's empty header), abstract_grammars one string per measure from 1 on, and the
    bar length and the melody's register.
    """
    cache_dir = corpus_cache.CACHE_DIR if cache_dir is None else Path(cache_dir)
    solos = [_load_one(path, options, cache_dir) for path in corpus_paths(data_fn)]
    if len(solos) == 1:
        return solos[0]
    return Solo([[]] + [m for s in solos for m in s.measures[1:]],
                [[]] + [c for s in solos for c in s.chords[1:]],
                [g for s in solos for g in s.abstract_grammars],
                solos[0].beats_per_bar,
                (min(s.register[0] for s in solos), max(s.register[1] for s in solos)))


def melody_register(measures):
    """(lowest, highest) MIDI pitch of the notes in measures."""
    pitches = [n.pitch.midi for measure in measures for n in measure if isinstance(n, note.Note)]
    return min(pitches), max(pitches)


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
