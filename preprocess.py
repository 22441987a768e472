"""Read a piece of music into the course's training material: measures of melody and chords.

The course's own corpus, Metheny's solo, is read exactly as the course read it (course_corpus.py).
Any other file is read as parts of plain note events: a MIDI file by our own reader (linear in
its size, one part per track and channel), MusicXML and ABC by music21 (an ABC file of several
tunes gives one piece per tune). melody_extraction then finds the melody (the most melodic part;
its top line when it plays chords) and the chords (chord symbols, a chord part, or the other parts'
notes beat by beat), and load_solo groups them by bar, each piece by its own metre.

Parsed files are cached (corpus_cache.py); several files not in the cache are read in parallel.
"""

import copy
import json
import multiprocessing
import os
import signal
import sys
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import NamedTuple

from music21 import note

import corpus_cache
import course_corpus
from chord_symbols import progression_events
from course_corpus import Event, MelodyNote, make_chord, make_note
from grammar import MAX_TOKEN_LENGTH, parse_melody
from melody_extraction import accompaniment, harmony_events, pick_melodic_part, skyline, with_rests
from piece_reader import UnreadableFile, textures


class CorpusError(Exception):
    """A corpus file that cannot be used; the message says what to do."""


@dataclass(frozen=True)
class Options:
    """How to read any other piece; None means: find it out.

    melody_part -- index or name of the melody's part
    chord_parts -- indices or names of the parts whose notes, beat by beat, are the chords
    section -- (first, last) measure, counted from 1 (a pickup bar being 0), both included
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
    from 1 on; bar_lengths the bar length of each of those measures in quarter notes (its own
    piece's metre); beats_per_bar the bar length improvisations are laid out in: the one most
    measures have (on a tie, the first file's); register the melody's lowest and highest MIDI
    pitch, which improvised melodies keep to; pitch_classes how many of the melody's notes have
    each pitch class it plays ({0-11: count}), which improvised melodies follow."""

    measures: list
    chords: list
    abstract_grammars: list
    beats_per_bar: Fraction
    register: tuple[int, int]
    bar_lengths: tuple
    pitch_classes: dict


class Piece(NamedTuple):
    """One piece of the corpus as plain numbers, as the cache keeps it: melody [MelodyNote]
    (one line, rests filling its gaps), harmony [Event], grammars one string per measure, and
    its bar length in quarter notes."""

    melody: list
    harmony: list
    grammars: list
    bar_length: Fraction


CORPUS_SUFFIXES = (".mid", ".midi", ".xml", ".musicxml", ".mxl", ".abc")
# A part whose skyline keeps this share of its notes is one line already; below it, it plays
# chords or voices, and a low note far under the tune is accompaniment (melody_extraction.DROP).
SINGLE_LINE_SHARE = Fraction(4, 5)
# A part is the piece's chord part when at least this share of its events (notes and chords)
# are chords of two pitch classes or more: its chords are then taken as written, not beat by beat.
CHORD_PART_SHARE = Fraction(2, 3)
# Notes a piece may hold (in its --section, if one is given), counted once the file is read,
# before its melody and chords are worked out. Reading is quick (a 250,000-note MIDI file is read
# and refused in 3 s); the melody's grammar takes about 0.5 ms a melody note. Measured: 50,000
# notes in 6 to 14 s and 0.2 GB, 200,000 in 55 s and 0.55 GB (more melody, more time).
MAX_NOTES = 200_000


# --- melody and chords of a piece ----------------------------------------------------------

def _part_label(index, part):
    return f"{index} ({part.name})" if part.name else str(index)


def _find_parts(parts, wanted, what, where):
    """Indices of the parts named by index or (case-insensitive) name; where names the piece."""
    found = []
    for key in wanted:
        matches = [i for i, p in enumerate(parts) if key == str(i) or key.lower() == p.name.lower()]
        if not matches:
            listing = ", ".join(_part_label(i, p) for i, p in enumerate(parts))
            raise CorpusError(f"{where}: no part {key!r} for {what}; the parts are: {listing}")
        found.append(matches[0])
    return found


def _in_section(texture, section):
    """The texture with only the events that start in measures first..last (counted as the
    score counts them: from 1, or from 0 after a pickup)."""
    if section is None:
        return texture
    first, last = section
    start = (first - texture.first_bar) * texture.bar_length
    end = (last - texture.first_bar + 1) * texture.bar_length

    def kept(events):
        return [event for event in events if start <= event[0] < end]

    return texture._replace(parts=[part._replace(events=kept(part.events)) for part in texture.parts],
                            symbols=kept(texture.symbols))


def _chord_part(parts, melody_index):
    """Index of the part that plays chords, or None: a part other than the melody's in which at
    least CHORD_PART_SHARE of the events are chords of two pitch classes or more (of several
    such parts, the one with the most chords)."""
    best, best_count = None, 0
    for index, part in enumerate(parts):
        if index == melody_index or part.percussion or not part.events:
            continue
        count = sum(len({p % 12 for p in pitches}) > 1 for _, _, pitches in part.events)
        if count >= CHORD_PART_SHARE * len(part.events) and count > best_count:
            best, best_count = index, count
    return best


def _melody_and_harmony(texture, options, where):
    """The melody [MelodyNote] (one line, rests in its gaps) and the chords [Event] of a piece.

    Melody: the part --melody-part names, else the most melodic part
    (melody_extraction.pick_melodic_part); its skyline, which drops notes far under the tune
    when the part plays chords or voices.
    Chords, the first of: the parts --chord-parts names, beat by beat; the piece's chord
    symbols; its chord part, as written; the other pitched parts and the notes under the
    melody in its own part, beat by beat; the --chords progression.
    """
    parts = texture.parts
    span = f"measures {options.section[0]}:{options.section[1]}" if options.section else "the piece"
    if options.melody_part is not None:
        (melody_index,) = _find_parts(parts, [options.melody_part], "--melody-part", where)
    else:
        melody_index = pick_melodic_part([p.events for p in parts], [p.percussion for p in parts])
        if melody_index is None and options.section is None:
            raise CorpusError(f"{where}: no melodic part: nothing pitched (only drums, or no notes); "
                              "use a piece with a tune or chords")
    events = [] if melody_index is None else parts[melody_index].events  # None: an empty section
    line = skyline(events, drop=None)
    single_line = len(line) >= SINGLE_LINE_SHARE * sum(len(pitches) for _, _, pitches in events)
    if not single_line:
        line = skyline(events)
    if not line:
        raise CorpusError(f"{where}: {span} holds no melody notes; check --section and --melody-part")
    under = accompaniment(events, line)

    bar_length = texture.bar_length
    if options.chord_parts is not None:
        chosen = _find_parts(parts, options.chord_parts, "--chord-parts", where)
        sources = [under if index == melody_index else parts[index].events for index in chosen]
        chords = harmony_events(sources, bar_length, texture.beat)
    elif texture.symbols:
        chords = texture.symbols
    elif (chord_part := _chord_part(parts, melody_index)) is not None:
        chords = [e for e in parts[chord_part].events if len({p % 12 for p in e[2]}) > 1]
    else:
        others = [p.events for i, p in enumerate(parts) if i != melody_index and not p.percussion]
        chords = harmony_events(others + [under], bar_length, texture.beat)
    chords = [Event(*e) for e in chords]
    if not chords:
        if options.progression is None:
            raise CorpusError(f"{where}: no chords found (no chord symbols, and no other notes sound "
                              "with the melody); give them with --chords or --chord-parts")
        # The progression starts on the first full bar: a pickup takes its first chord too.
        first_bar = max(int(line[0][0] // bar_length), 1 - texture.first_bar)
        last_bar = max(int(line[-1][0] // bar_length), first_bar)
        chords = [Event(*e) for e in progression_events(options.progression, first_bar,
                                                        last_bar - first_bar + 1, bar_length)]
    melody = [MelodyNote(*n) for n in with_rests(line, start=line[0][0] // bar_length * bar_length)]
    return melody, chords


def _bars_and_chords(melody, harmony_events, bar_length):
    """Measures of the bars that hold melody notes, and for each the chords sounding in it.

    melody: [MelodyNote] in order, one line; harmony_events: [Event]. A note or rest longer
    than grammar.MAX_TOKEN_LENGTH is cut to it, and one that crosses a bar line is split
    there (as a tie would split it). A bar where no chord starts on the downbeat takes the
    chord still sounding from before (or the piece's first chord), moved to the downbeat.
    Returns (measures, chords), index 0 the course's empty header; one pass over each list.
    """
    bars = {}  # bar index -> [MelodyNote], in order
    for offset, length, pitch in melody:
        end = offset + min(length, MAX_TOKEN_LENGTH)
        first, last = int(offset // bar_length), -int(-end // bar_length) - 1
        # A rest's middle bars hold nothing but the rest: they are not measures of the corpus.
        for bar in (range(first, last + 1) if pitch is not None else sorted({first, last})):
            start, stop = max(offset, bar * bar_length), min(end, (bar + 1) * bar_length)
            bars.setdefault(bar, []).append(MelodyNote(start, stop - start, pitch))

    harmony_events = sorted(harmony_events, key=lambda e: e.offset)
    measures, chords = [[]], [[]]
    next_chord, held = 0, None  # held: the last chord starting before the current bar
    for bar, notes in bars.items():
        if all(n.pitch is None for n in notes):
            continue
        bar_start, bar_end = bar * bar_length, (bar + 1) * bar_length
        while next_chord < len(harmony_events) and harmony_events[next_chord].offset < bar_start:
            held = harmony_events[next_chord]
            next_chord += 1
        after = next_chord
        while after < len(harmony_events) and harmony_events[after].offset < bar_end:
            after += 1
        starting = harmony_events[next_chord:after]
        if not starting or starting[0].offset > bar_start:
            pitches = (held or harmony_events[0]).pitches
            until = starting[0].offset if starting else bar_end
            starting.insert(0, Event(bar_start, until - bar_start, pitches))
        measures.append([make_note(*n) for n in notes])
        chords.append([make_chord(*e) for e in starting])
    return measures, chords


def _get_abstract_grammars(measures, chords):
    return [parse_melody(measures[ix], chords[ix]) for ix in range(1, len(measures))]


def _piece(texture, options, where):
    """The Piece of a Texture: its melody, chords and grammar. Raises CorpusError."""
    texture = _in_section(texture, options.section)
    count = sum(len(pitches) for part in texture.parts for _, _, pitches in part.events)
    if count > MAX_NOTES:
        raise CorpusError(f"{where}: {count:,} notes, more than the {MAX_NOTES:,} a piece may hold; "
                          "learn from part of it with --section START:END")
    melody, chords = _melody_and_harmony(texture, options, where)
    measures, chord_groups = _bars_and_chords(melody, chords, texture.bar_length)
    return Piece(melody, chords, _get_abstract_grammars(measures, chord_groups), texture.bar_length)


def _read_file(path, metheny, options):
    """(pieces, skipped) of one file: [Piece], and a line for each tune of it that could not be
    used. The slow part of loading: it runs in a worker process when several files are read.
    Raises CorpusError when no piece of the file can be used."""
    if metheny:
        try:
            melody, chords = course_corpus.solo_events(path)
            measures, chord_groups = course_corpus.measures_and_chords(melody, chords)
        except course_corpus.MidiFileError as error:
            raise CorpusError(f"{path}: {error} (use data/original_metheny.mid)") from None
        grammars = _get_abstract_grammars(measures, chord_groups)
        return [Piece(melody, chords, grammars, Fraction(course_corpus.BEATS_PER_BAR))], []
    pieces, errors = [], []
    try:
        pieces_read = textures(path)
    except UnreadableFile as error:
        raise CorpusError(str(error)) from None
    for where, texture in pieces_read:
        try:
            pieces.append(_piece(texture, options, where))
        except CorpusError as error:
            errors.append(error)
    if not pieces:
        if len(pieces_read) == 1:
            raise errors[0]
        first = str(errors[0]).removeprefix(f"{path} ")  # "tune 1 (title): why"
        raise CorpusError(f"{path}: none of its {len(pieces_read)} tunes can be used; {first}")
    return pieces, [f"skipped {error}" for error in errors]


def _read_or_error(path, metheny, options):
    """_read_file's result, or the CorpusError saying why the file cannot be used."""
    try:
        return _read_file(path, metheny, options)
    except CorpusError as error:
        return error
    except Exception as error:  # a file music21 chokes on is one unusable file, not a crash
        return CorpusError(f"{path}: cannot be read ({type(error).__name__}: {error})".splitlines()[0])


# --- many files, the cache, the corpus ------------------------------------------------------

def _progress(done, total, out):
    """'reading 12/57 files' on out: redrawn in place on a terminal, else about every tenth."""
    if out.isatty():
        print(f"\rreading {done}/{total} files", end="\n" if done == total else "", file=out, flush=True)
    elif done == total or done * 10 // total != (done - 1) * 10 // total:
        print(f"reading {done}/{total} files", file=out, flush=True)


def _ignore_ctrl_c():
    """In a reading worker: Ctrl-C reaches the whole process group, and the main process alone
    answers it (one line), stopping the pool."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _read_files(jobs, options):
    """_read_or_error for each (path, metheny) job, in job order, with progress on stderr.

    On Linux two jobs or more run in parallel, one worker process per core, forked from this
    one: a forked worker needs no imports and does not run the caller's script again, as
    spawned workers do (they would each load TensorFlow under lstm.py). lstm.py reads its
    corpus before TensorFlow starts any thread. Elsewhere, or once TensorFlow is loaded, the
    jobs run one after the other.
    """
    if len(jobs) < 2:
        return [_read_or_error(path, metheny, options) for path, metheny in jobs]
    results = [None] * len(jobs)
    # Forking a process whose TensorFlow threads run (a notebook's data cell run again) could
    # hang a worker: then, too, one file after the other.
    if not sys.platform.startswith("linux") or "tensorflow" in sys.modules:
        for index, (path, metheny) in enumerate(jobs):
            results[index] = _read_or_error(path, metheny, options)
            _progress(index + 1, len(jobs), sys.stderr)
        return results
    for out in (sys.stdout, sys.stderr):
        out.flush()  # or a worker could write out our pending output a second time
    pool = ProcessPoolExecutor(max_workers=min(os.cpu_count() or 1, len(jobs)),
                               mp_context=multiprocessing.get_context("fork"), initializer=_ignore_ctrl_c)
    try:
        futures = {pool.submit(_read_or_error, path, metheny, options): index
                   for index, (path, metheny) in enumerate(jobs)}
        for done, future in enumerate(as_completed(futures), 1):
            index = futures[future]
            try:
                results[index] = future.result()
            except BrokenProcessPool:  # a worker killed (out of memory, a signal) takes its file along
                results[index] = CorpusError(f"{jobs[index][0]}: its reader stopped (out of memory?)")
            _progress(done, len(jobs), sys.stderr)
    finally:
        pool.shutdown(cancel_futures=True)
    return results


def _file_digest(path):
    if path.is_dir():
        raise CorpusError(f"{path}: is a folder, not a MIDI file")
    if not path.is_file():
        raise CorpusError(f"{path}: file not found")
    try:
        return corpus_cache.sha256_of(path)
    except OSError as error:
        raise CorpusError(f"{path}: cannot read it ({error.strerror})") from None


def _piece_key(digest, settings, index, last):
    """The cache key of a file's piece `index`. The last piece's key says so, so that a file's
    pieces are found all or not at all; a file of one piece has the plain key."""
    if index == 0 and last:
        return corpus_cache.cache_key(digest, settings)
    return corpus_cache.cache_key(digest, f"{settings} piece {index}{' last' if last else ''}")


def _cached_pieces(cache_dir, digest, settings, metheny):
    """The file's [Piece] from the cache, or None when any is missing or not valid."""
    pieces = []
    while True:
        index = len(pieces)
        entry = corpus_cache.read_entry(cache_dir, _piece_key(digest, settings, index, last=True))
        last = entry is not None
        if not last:
            entry = corpus_cache.read_entry(cache_dir, _piece_key(digest, settings, index, last=False))
            if entry is None:
                return None
        melody, chords, grammars, bar_length = entry
        if not chords:
            return None  # every piece has chords: this entry was not written by _write_pieces
        pieces.append(Piece([MelodyNote(*n) for n in melody], [Event(o, q, tuple(ps)) for o, q, ps in chords],
                            grammars, bar_length))
        if last:
            break
    if metheny and not course_corpus.has_course_numbers(pieces[0].grammars):
        return None  # an entry for the course's corpus must hold the course's corpus
    return pieces


def _write_pieces(cache_dir, digest, settings, pieces):
    for index, piece in enumerate(pieces):
        corpus_cache.write_entry(cache_dir, _piece_key(digest, settings, index, index == len(pieces) - 1),
                                 *piece)


def corpus_paths(data_fn):
    """The files a corpus argument names: a file, a folder of MIDI/MusicXML/ABC files, or a list."""
    paths = []
    for item in data_fn if isinstance(data_fn, (list, tuple)) else [data_fn]:
        item = Path(item)
        if item.is_dir():
            found = sorted(p for p in item.iterdir() if p.suffix.lower() in CORPUS_SUFFIXES)
            if not found:
                raise CorpusError(f"{item}: folder holds no .mid, .midi, .xml, .musicxml, .mxl or .abc file")
            paths += found
        else:
            paths.append(item)
    return paths


def load_solo(data_fn, options=Options(), cache_dir=None):
    """The corpus of one or several files, as one Solo.

    Each file is read (or taken from the cache) on its own, with its own metre; several files
    not in the cache are read in parallel. With several files, one that cannot be used is
    reported on stderr ("skipped PATH: reason") and left out, and a closing line says how many
    were read; CorpusError when none can be used (for one file: its own reason).

    Returns a Solo: measures[i] and chords[i] list measure i's melody and chords (index 0 is
    the course's empty header), abstract_grammars one string per measure from 1 on, each
    measure's bar length, the bar length to improvise in and the melody's register.
    """
    cache_dir = corpus_cache.CACHE_DIR if cache_dir is None else Path(cache_dir)
    paths = corpus_paths(data_fn)
    results = [None] * len(paths)  # per file: ([Piece], skipped lines) or CorpusError
    presets = [False] * len(paths)  # per file: read as the course's corpus
    jobs, keys = [], []
    for index, path in enumerate(paths):
        try:
            digest = _file_digest(path)
        except CorpusError as error:
            results[index] = error
            continue
        presets[index] = options.use_metheny_preset(digest)
        settings = "metheny" if presets[index] else json.dumps(asdict(options))
        cached = _cached_pieces(cache_dir, digest, settings, presets[index])
        if cached is not None:
            results[index] = (cached, [])
        else:
            jobs.append((path, presets[index]))
            keys.append((index, digest, settings))
    for (index, digest, settings), result in zip(keys, _read_files(jobs, options)):
        results[index] = result
        if not isinstance(result, CorpusError):
            _write_pieces(cache_dir, digest, settings, result[0])

    if len(paths) == 1 and isinstance(results[0], CorpusError):
        raise results[0]
    measures, chords, grammars, bar_lengths = [[]], [[]], [], []
    used = 0
    for result, metheny in zip(results, presets):
        if isinstance(result, CorpusError):
            print(f"skipped {result}", file=sys.stderr)
            continue
        pieces, skipped = result
        for line in skipped:
            print(line, file=sys.stderr)
        for piece in pieces:
            if metheny:
                try:
                    piece_measures, piece_chords = course_corpus.measures_and_chords(piece.melody,
                                                                                     piece.harmony)
                except course_corpus.MidiFileError as error:
                    raise CorpusError(f"{error} (use data/original_metheny.mid)") from None
            else:
                piece_measures, piece_chords = _bars_and_chords(piece.melody, piece.harmony, piece.bar_length)
            measures += piece_measures[1:]
            chords += piece_chords[1:]
            grammars += piece.grammars
            bar_lengths += [piece.bar_length] * (len(piece_measures) - 1)
        used += 1
    if len(paths) > 1:
        print(f"read {used} of {len(paths)} files", file=sys.stderr)
    if not used:
        raise CorpusError(f"none of the {len(paths)} files can be used (the reasons are above)")
    counts = Counter(bar_lengths)
    beats_per_bar = max(counts, key=counts.get)  # the first file's bar length wins a tie
    return Solo(measures, chords, grammars, beats_per_bar, melody_register(measures), tuple(bar_lengths),
                melody_pitch_classes(measures))


def melody_register(measures):
    """(lowest, highest) MIDI pitch of the notes in measures."""
    pitches = [n.pitch.midi for measure in measures for n in measure if isinstance(n, note.Note)]
    return min(pitches), max(pitches)


def melody_pitch_classes(measures):
    """{pitch class (0-11): how many notes in measures have it}, for the classes they have."""
    return dict(Counter(n.pitch.midi % 12 for measure in measures for n in measure if isinstance(n, note.Note)))


def solo_timeline(solo):
    """Copies of a Solo's melody notes and chords, measure after measure from offset 0.

    Each measure takes its own bar length (solo.bar_lengths) and its notes keep their place
    within the bar; gaps between measures close up, and measures from several files no longer
    overlap. Returns (notes, chords).
    """
    notes, chords = [], []
    position = 0
    for measure, measure_chords, bar_length in zip(solo.measures[1:], solo.chords[1:], solo.bar_lengths):
        bar_start = min(e.offset for e in measure) // bar_length * bar_length
        shift = position - bar_start
        for source, target in ((measure, notes), (measure_chords, chords)):
            for element in source:
                moved = copy.deepcopy(element)
                moved.offset = element.offset + shift
                target.append(moved)
        position += bar_length
    return notes, chords


def get_musical_data(data_fn, options=Options()):
    """Parse the corpus: a MIDI, MusicXML or ABC file, a folder of them, or a list.

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
