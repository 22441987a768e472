"""A corpus, read into the course's training material: measures of melody and chords.

The course's own corpus, Metheny's solo, is read exactly as the course read it (course_preset).
Any other file is read as parts of plain note events (piece_files): a MIDI file from mido's
events, one part per track and channel; MusicXML and ABC by music21 (an ABC file of several
tunes gives one piece per tune). melody_and_chords then finds the melody and the chords and
cuts them into bars, each piece by its own metre, and music_rules writes each bar's grammar.

Parsed files are cached (corpus_cache); several files not in the cache are read in parallel.
corpus_file finds the corpus a run names, downloading the course's when it is missing.
"""

import copy
import json
import multiprocessing
import os
import re
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

from jazz_improv import corpus_cache, course_preset
from jazz_improv.console import InputError, cannot_read, native_stderr_muted, printable
from jazz_improv.events import Event, MelodyNote
from jazz_improv.limits import CORPUS_PATH, CORPUS_SUFFIXES, MAX_NOTES, MUSIC21_PREFIX
from jazz_improv.melody_and_chords import bars_and_chords, in_section, melody_and_harmony
from jazz_improv.music_rules import measure_grammar
from jazz_improv.piece_files import check_size, textures
from jazz_improv.rhythm import Rhythm, corpus_rhythm
from jazz_improv.safe_files import not_a_regular_file, sha256_of

CORPUS_URL = "https://raw.githubusercontent.com/jisungk/deepjazz/master/midi/original_metheny.mid"
CORPUS_SHA256 = course_preset.METHENY_SHA256
WHAT_TO_DO = f"put the corpus at {CORPUS_PATH} or pass --midi PATH"
RICHEST_FIRST = (".mxl", ".musicxml", ".xml", ".mid", ".midi", ".abc")  # a piece found in several formats
CACHE_DIR = Path(__file__).resolve().parent.parent / "data" / ".cache"  # the project's, wherever a run starts


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
        return (digest == course_preset.METHENY_SHA256 and self.melody_part is None
                and self.chord_parts is None and self.section is None)


class Solo(NamedTuple):
    """A corpus: measures[i] and chords[i] hold measure i's melody (Notes and Rests) and its
    Chords, index 0 being the course's empty header; abstract_grammars one string per measure
    from 1 on; bar_lengths the bar length of each of those measures in quarter notes (its own
    piece's metre); beats_per_bar the bar length improvisations are laid out in: the one most
    measures have (on a tie, the first file's); register the melody's lowest and highest MIDI
    pitch, which improvised melodies keep to; pitch_classes how many of the melody's notes have
    each pitch class it plays ({0-11: count}), which improvised melodies follow; digests the
    sha256 of each file it was read from; rhythm its jazz_improv.rhythm.Rhythm (where its notes start,
    the gaps between them, the values opening its measures), which improvised phrases follow."""

    measures: list
    chords: list
    abstract_grammars: list
    beats_per_bar: Fraction
    register: tuple[int, int]
    bar_lengths: tuple
    pitch_classes: dict
    digests: tuple = ()
    rhythm: Rhythm | None = None


class Piece(NamedTuple):
    """One piece of the corpus as plain numbers, as the cache keeps it: melody [MelodyNote]
    (one line, rests filling its gaps), harmony [Event], grammars one string per measure, and
    its bar length in quarter notes. bars, when the piece was just read in this process, are
    the (measures, chords) its grammars were made from, so that they are built once. note is
    the line each run prints about its harmony, or None (melody_and_harmony)."""

    melody: list
    harmony: list
    grammars: list
    bar_length: Fraction
    bars: tuple | None = None
    note: str | None = None


def _get_abstract_grammars(measures, chords):
    return [measure_grammar(measures[ix], chords[ix]) for ix in range(1, len(measures))]


def _piece(texture, options, where):
    """The Piece of a Texture: its melody, chords and grammar. Raises InputError."""
    texture = in_section(texture, options.section)
    count = sum(len(pitches) for part in texture.parts for _, _, pitches in part.events)
    if count > MAX_NOTES:
        raise InputError(f"{where}: {count:,} notes, more than the {MAX_NOTES:,} a piece may hold; "
                         "learn from part of it with --section START:END")
    melody, chords, note = melody_and_harmony(texture, options, where)
    measures, chord_groups = bars_and_chords(melody, chords, texture.bar_length)
    return Piece(melody, chords, _get_abstract_grammars(measures, chord_groups), texture.bar_length,
                 (measures, chord_groups), note)


def _read_file(path, metheny, options):
    """(pieces, skipped) of one file: [Piece], and a line for each tune of it that could not be
    used. The slow part of loading: it runs in a worker process when several files are read.
    Raises InputError when no piece of the file can be used."""
    if metheny:
        melody, chords = course_preset.solo_events(path)
        try:
            measures, chord_groups = course_preset.measures_and_chords(melody, chords)
        except InputError as error:
            raise InputError(f"{path}: {error}") from None
        grammars = _get_abstract_grammars(measures, chord_groups)
        return [Piece(melody, chords, grammars, Fraction(course_preset.BEATS_PER_BAR),
                      (measures, chord_groups))], []
    pieces, errors = [], []
    pieces_read = textures(path)
    for where, texture in pieces_read:
        try:
            pieces.append(_piece(texture, options, where))
        except InputError as error:
            errors.append(error)
    if not pieces:
        if len(pieces_read) == 1:
            raise errors[0]
        first = str(errors[0]).removeprefix(f"{path} ")  # "tune 1 (title): why"
        raise InputError(f"{path}: none of its {len(pieces_read)} tunes can be used; {first}")
    return pieces, [f"skipped {error}" for error in errors]


def _read_or_error(path, metheny, options):
    """_read_file's result, or the InputError saying why the file cannot be used."""
    try:
        return _read_file(path, metheny, options)
    except InputError as error:
        return error
    except Exception as error:  # a file music21 chokes on is one unusable file, not a crash
        return InputError(f"{path}: cannot be read ({type(error).__name__}: {error})".splitlines()[0])


def _read_in_worker(path, metheny, options):
    """_read_or_error in a worker process: the pieces come back as plain numbers (their music21
    bars are built again by the caller, which is quicker than sending them)."""
    result = _read_or_error(path, metheny, options)
    if isinstance(result, InputError):
        return result
    pieces, skipped = result
    return [piece._replace(bars=None) for piece in pieces], skipped


# --- many files, the cache, the corpus ------------------------------------------------------

def _progress(done, total, out):
    """'reading 12/57 files' on out: redrawn in place on a terminal, else about every tenth."""
    if out.isatty():
        print(f"\rreading {done}/{total} files", end="\n" if done == total else "", file=out, flush=True)
    elif done == total or done * 10 // total != (done - 1) * 10 // total:
        print(f"reading {done}/{total} files", file=out, flush=True)


def _ignore_ctrl_c():
    """In a reading worker: Ctrl-C (and the terminal closing, Ctrl-\\) reaches the whole process
    group, and the main process alone answers it (one line), stopping the workers at once."""
    for name in ("SIGINT", "SIGHUP", "SIGQUIT"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)


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
        futures = {pool.submit(_read_in_worker, path, metheny, options): index
                   for index, (path, metheny) in enumerate(jobs)}
        for done, future in enumerate(as_completed(futures), 1):
            index = futures[future]
            try:
                results[index] = future.result()
            except BrokenProcessPool:  # a worker killed (out of memory, a signal) takes its file along
                results[index] = InputError(f"{jobs[index][0]}: its reader stopped (out of memory?)")
            _progress(done, len(jobs), sys.stderr)
    except BaseException:  # Ctrl-C, a signal: the workers stop now, not after their files
        for worker in list((pool._processes or {}).values()):
            worker.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return results


def _file_digest(path):
    problem = not_a_regular_file(path)
    if problem:
        raise InputError(f"{path}: {problem}")
    check_size(path)  # before hashing it: a 20 GB file is refused at once
    try:
        return sha256_of(path)
    except OSError as error:
        raise cannot_read(path, error) from None


def _piece_key(digest, settings, index, last):
    """The cache key of a file's piece `index`. The last piece's key says so, so that a file's
    pieces are found all or not at all; a file of one piece has the plain key."""
    reader = sys.modules[__name__]  # the cache's key hashes the code behind this module
    if index == 0 and last:
        return corpus_cache.cache_key(digest, settings, reader)
    return corpus_cache.cache_key(digest, f"{settings} piece {index}{' last' if last else ''}", reader)


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
        melody, chords, grammars, bar_length, note = entry
        if not chords:
            return None  # every piece has chords: this entry was not written by _write_pieces
        pieces.append(Piece([MelodyNote(*n) for n in melody], [Event(o, q, tuple(ps)) for o, q, ps in chords],
                            grammars, bar_length, note=note))
        if last:
            break
    if metheny and not course_preset.has_course_numbers(pieces[0].grammars):
        return None  # an entry for the course's corpus must hold the course's corpus
    return pieces


def _write_pieces(cache_dir, digest, settings, pieces):
    for index, piece in enumerate(pieces):
        corpus_cache.write_entry(cache_dir, _piece_key(digest, settings, index, index == len(pieces) - 1),
                                 piece.melody, piece.harmony, piece.grammars, piece.bar_length, piece.note)


def corpus_paths(data_fn):
    """The files a corpus argument names: a file, a folder of MIDI/MusicXML/ABC files, or a list."""
    paths = []
    for item in data_fn if isinstance(data_fn, (list, tuple)) else [data_fn]:
        item = Path(item)
        if item.is_dir():
            found = sorted(p for p in item.iterdir() if p.suffix.lower() in CORPUS_SUFFIXES)
            if not found:
                raise InputError(f"{item}: folder holds no .mid, .midi, .xml, .musicxml, .mxl or .abc file")
            paths += found
        else:
            paths.append(item)
    return paths


def load_solo(data_fn, options=Options(), cache_dir=None):
    """The corpus of one or several files, as one Solo.

    Each file is read (or taken from the cache) on its own, with its own metre; several files
    not in the cache are read in parallel. With several files, one that cannot be used is
    reported on stderr ("skipped PATH: reason") and left out, and a closing line says how many
    were read; InputError when none can be used (for one file: its own reason).

    Returns a Solo: measures[i] and chords[i] list measure i's melody and chords (index 0 is
    the course's empty header), abstract_grammars one string per measure from 1 on, each
    measure's bar length, the bar length to improvise in and the melody's register.
    """
    cache_dir = CACHE_DIR if cache_dir is None else Path(cache_dir)
    paths = corpus_paths(data_fn)
    results = [None] * len(paths)  # per file: ([Piece], skipped lines) or InputError
    digest_of = [None] * len(paths)
    presets = [False] * len(paths)  # per file: read as the course's corpus
    jobs, keys = [], []
    for index, path in enumerate(paths):
        try:
            digest = digest_of[index] = _file_digest(path)
        except InputError as error:
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
        if not isinstance(result, InputError):
            _write_pieces(cache_dir, digest, settings, result[0])

    if len(paths) == 1 and isinstance(results[0], InputError):
        raise results[0]
    measures, chords, grammars, bar_lengths, digests = [[]], [[]], [], [], []
    used = 0
    for index, (result, metheny) in enumerate(zip(results, presets)):
        if isinstance(result, InputError):
            print(f"skipped {result}", file=sys.stderr)
            continue
        pieces, skipped = result
        for line in skipped:
            print(line, file=sys.stderr)
        for piece in pieces:
            if piece.note:
                print(printable(piece.note))
            if piece.bars is not None:
                piece_measures, piece_chords = piece.bars
            elif metheny:
                piece_measures, piece_chords = course_preset.measures_and_chords(piece.melody, piece.harmony)
            else:
                piece_measures, piece_chords = bars_and_chords(piece.melody, piece.harmony, piece.bar_length)
            measures += piece_measures[1:]
            chords += piece_chords[1:]
            grammars += piece.grammars
            bar_lengths += [piece.bar_length] * (len(piece_measures) - 1)
        digests.append(digest_of[index])
        used += 1
    if len(paths) > 1:
        print(f"read {used} of {len(paths)} files", file=sys.stderr)
    if not used:
        raise InputError(f"none of the {len(paths)} files can be used (the reasons are above)")
    counts = Counter(bar_lengths)
    beats_per_bar = max(counts, key=counts.get)  # the first file's bar length wins a tie
    solo = Solo(measures, chords, grammars, beats_per_bar, melody_register(measures), tuple(bar_lengths),
                melody_pitch_classes(measures), tuple(digests))
    return solo._replace(rhythm=corpus_rhythm(solo_timeline(solo)[0], grammars))


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


# --- where the corpus comes from ---------------------------------------------------------

def corpus_file(midi_path=None):
    """The corpus: the given file(s), folder or music21:NAME, else the Metheny solo, downloaded
    if missing.

    The download goes over HTTPS and is checked against a pinned sha256.
    Raises InputError with what to do when the file cannot be had.
    """
    if isinstance(midi_path, (list, tuple)) and len(midi_path) == 1:
        midi_path = midi_path[0]
    if isinstance(midi_path, (list, tuple)):
        return [corpus_file(path) for path in midi_path]
    if str(midi_path).startswith(MUSIC21_PREFIX):
        return music21_corpus_file(str(midi_path)[len(MUSIC21_PREFIX):])
    if midi_path is not None:
        path = Path(midi_path)
        if not path.exists():
            raise InputError(f"{path}: file not found; check the path given to --midi")
        return path
    if CORPUS_PATH.is_file():
        if sha256_of(CORPUS_PATH) != CORPUS_SHA256:
            raise InputError(f"{CORPUS_PATH}: checksum does not match the Metheny corpus; "
                             f"delete it to download it again, or pass --midi PATH")
        return CORPUS_PATH
    # Keras is imported here only, so that loading a local corpus stays light; its first
    # import prints TensorFlow's start-up log on stderr.
    with native_stderr_muted():
        from keras.utils import get_file

    print(f"Downloading the corpus to {CORPUS_PATH} ...")
    try:
        downloaded = get_file(
            fname=CORPUS_PATH.name,
            origin=CORPUS_URL,
            file_hash=CORPUS_SHA256,
            hash_algorithm="sha256",
            cache_dir=str(CORPUS_PATH.parent.resolve()),
            cache_subdir=".",
        )
    except Exception as error:
        if "hash does not match" in str(error):
            CORPUS_PATH.unlink(missing_ok=True)  # never leave an unchecked corpus behind
        raise InputError(f"{CORPUS_PATH}: could not download the corpus "
                         f"({_download_failure(error)}); {WHAT_TO_DO}") from None
    return Path(downloaded)


def _download_failure(error):
    """Why a download failed, for a person: no connection, an HTTP status or a bad checksum."""
    text = str(error)
    if "hash does not match" in text:
        return "its sha256 is not the pinned one, so it was deleted"
    # keras.utils.get_file reports "URL fetch failure on URL: CODE -- REASON"
    found = re.search(r"URL fetch failure on \S+: (\S+) -- (.+)", text)
    if found:
        code, reason = found.groups()
        if code.isdigit():
            return f"the server answered HTTP {code} {reason}"
        return "no connection: " + re.sub(r"^\[Errno -?\d+\] ", "", reason)
    return text.splitlines()[0] if text.strip() else type(error).__name__


def music21_corpus_file(name):
    """The file of a piece in music21's bundled corpus, e.g. "bach/bwv66.6".

    A name music21 finds in several formats (a .krn and an .mxl of one movement) gives the
    richest one this project reads: MusicXML, then MIDI, then ABC. A name of several pieces
    (a composer, a folder) is refused with a few of them to choose from.
    """
    from music21 import common, corpus

    try:
        found = corpus.getWork(name) if name else None
    except Exception:  # music21 says "could not find a work" in its own exception
        found = None
    found = [Path(path) for path in (found if isinstance(found, list) else [found] if found else [])]
    # music21 matches names as prefixes: madrigal.3.1 finds madrigal.3.10 too. The exact name wins.
    exact = [path for path in found if path.with_suffix("").as_posix().endswith("/" + name.strip("/"))]
    found = exact or found
    readable = [path for path in found if path.suffix.lower() in CORPUS_SUFFIXES]
    if readable and len({path.with_suffix("") for path in found}) == 1:
        return min(readable, key=lambda path: RICHEST_FIRST.index(path.suffix.lower()))
    if found and not readable and len({path.with_suffix("") for path in found}) == 1:
        raise InputError(f"{MUSIC21_PREFIX}{name}: music21 has it only as "
                         f"{', '.join(sorted({path.suffix for path in found}))}; this project reads "
                         f"MusicXML, MIDI and ABC")
    if len({path.with_suffix("") for path in found}) > 1:
        root = Path(common.getCorpusFilePath())
        names = sorted({path.with_suffix("").relative_to(root).as_posix() for path in found})
        raise InputError(f"{MUSIC21_PREFIX}{name}: names {len(names)} pieces of music21's corpus, "
                         f"not one; choose one, e.g. {', '.join(MUSIC21_PREFIX + n for n in names[:3])}")
    raise InputError(f"{MUSIC21_PREFIX}{name}: not one piece of music21's corpus "
                     f"(try e.g. {MUSIC21_PREFIX}bach/bwv66.6)")
