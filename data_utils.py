"""The corpus: where it comes from, how it is loaded, and how new music is written from it."""

import copy
import itertools
import json
import math
import random
import re
import warnings
from pathlib import Path

from music21 import chord, instrument, midi, note, pitch, stream, tempo

from atomic_files import write_atomically
from chord_symbols import progression_events
from corpus_cache import sha256_of
from course_corpus import METHENY_SHA256
from grammar import is_token, unparse_grammar
from music_utils import data_processing, windows_for
from piece_reader import DEFAULT_BEATS_PER_BAR
from preprocess import (CorpusError, Options, corpus_paths, get_corpus_data,
                        get_musical_data)
from qa import clean_up_notes, prune_grammar, prune_notes

CORPUS_PATH = Path("data/original_metheny.mid")
CORPUS_URL = "https://raw.githubusercontent.com/jisungk/deepjazz/master/midi/original_metheny.mid"
CORPUS_SHA256 = METHENY_SHA256
MUSIC21_PREFIX = "music21:"  # --midi music21:NAME reads a piece of music21's bundled corpus
WHAT_TO_DO = f"put the corpus at {CORPUS_PATH} or pass --midi PATH"

TEMPO_BPM = 130  # the improvisation's tempo, written into its MIDI file
MAX_PHRASES = 32  # of the course's plan, one phrase per chord group: about four minutes


def corpus_file(midi_path=None):
    """The corpus: the given file(s), folder or music21:NAME, else the Metheny solo, downloaded
    if missing.

    The download goes over HTTPS and is checked against a pinned sha256.
    Raises CorpusError with what to do when the file cannot be had.
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
            raise CorpusError(f"{path}: file not found; check the path given to --midi")
        return path
    if CORPUS_PATH.is_file():
        if sha256_of(CORPUS_PATH) != CORPUS_SHA256:
            raise CorpusError(f"{CORPUS_PATH}: checksum does not match the Metheny corpus; "
                              f"delete it to download it again, or pass --midi PATH")
        return CORPUS_PATH
    # Keras is imported here only, so that loading a local corpus stays light; its first
    # import prints TensorFlow's start-up log on stderr.
    from command_line import native_stderr_muted

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
        raise CorpusError(f"{CORPUS_PATH}: could not download the corpus "
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
    """The file of a piece in music21's bundled corpus, e.g. "bach/bwv66.6"."""
    from music21 import corpus

    try:
        found = corpus.getWork(name) if name else None
    except Exception:  # music21 says "could not find a work" in its own exception
        found = None
    if not found or isinstance(found, list):
        raise CorpusError(f"{MUSIC21_PREFIX}{name}: not one piece of music21's corpus "
                          f"(try e.g. {MUSIC21_PREFIX}bach/bwv66.6)")
    return Path(found)


def load_music_utils(midi_path=None, options=Options(), m=None, Tx=30, solo=None):
    """Load the corpus and cut it into training windows.

    Arguments:
        midi_path, options -- the corpus and how to read it (see corpus_file, preprocess.Options)
        m -- number of windows; None: music_utils.windows_for the corpus's length (the
             course's 60 for the Metheny corpus, more for a larger corpus, at most 2,000)
        Tx -- window length
        solo -- the corpus already loaded with preprocess.load_solo, to use instead of
                loading it again
    Returns:
        X -- (m, Tx, n_values) one-hot inputs
        Y -- (Tx, m, n_values) one-hot targets, Y[t] the value after X[:, t]
        n_values -- number of distinct values (78 for the Metheny corpus)
        indices_values -- dict index -> grammar token
    Raises CorpusError when the corpus is too short for windows of Tx values.
    """
    if solo is None:
        _, abstract_grammars = get_musical_data(corpus_file(midi_path), options)
    else:
        abstract_grammars = solo.abstract_grammars
    corpus, _, values_indices, indices_values = get_corpus_data(abstract_grammars)
    if len(corpus) <= Tx:
        raise CorpusError(f"the corpus has {len(corpus)} values; training windows of {Tx} need at "
                          f"least {Tx + 1}: use a longer piece, several files or a wider --section")
    X, Y, n_values = data_processing(corpus, values_indices, windows_for(len(corpus), Tx) if m is None else m, Tx)
    return X, Y, n_values, indices_values


MAX_VOCABULARY_BYTES = 1 << 20  # a vocabulary of thousands of values is a few hundred kB
MAX_VALUES = 10_000
MAX_PITCH_CLASS_COUNT = 10 ** 9  # notes: far above any corpus lstm.py reads


def save_vocabulary(path, indices_values, register, pitch_classes, corpus_files):
    """Write the values in index order, the corpus melody's register, its note count per pitch
    class (pitch_classes, {0-11: count}) and the corpus files' sha256, as JSON."""
    entry = {"values": [indices_values[i] for i in range(len(indices_values))],
             "register": list(register), "pitch_class_counts": [pitch_classes.get(pc, 0) for pc in range(12)],
             "corpus_sha256": [sha256_of(p) for p in corpus_paths(corpus_files)]}
    text = json.dumps(entry, indent=1)
    write_atomically(path, lambda temporary: Path(temporary).write_text(text))


def load_vocabulary(path):
    """(indices_values, register, pitch_classes {0-11: count}) from a file written by
    save_vocabulary.

    The file is not trusted: its size, every value's syntax, the register and the pitch-class
    counts are checked before anything is built from it. Raises CorpusError when it is missing or not valid.
    """
    path = Path(path)
    problem = f"{path}: not a vocabulary written by lstm.py"
    try:
        if not path.is_file():  # a pipe or a device would never end
            raise FileNotFoundError
        with open(path, "rb") as file:
            text = file.read(MAX_VOCABULARY_BYTES + 1)
        if len(text) > MAX_VOCABULARY_BYTES:
            raise CorpusError(f"{problem} (larger than {MAX_VOCABULARY_BYTES >> 10} kB)")
        entry = json.loads(text)
        values, register = entry["values"], entry["register"]
        # Vocabularies from before the counts have a list of the classes alone.
        counts, classes = entry.get("pitch_class_counts"), entry.get("pitch_classes")
    except FileNotFoundError:
        raise CorpusError(f"{path}: no vocabulary file beside the weights (it is written with them)") from None
    except OSError as error:
        raise CorpusError(f"{path}: cannot read it ({error.strerror})") from None
    except (ValueError, KeyError, TypeError, RecursionError):
        raise CorpusError(problem) from None
    if not isinstance(values, list) or not 0 < len(values) <= MAX_VALUES or len(set(values)) != len(values):
        raise CorpusError(f"{problem} (it needs 1 to {MAX_VALUES} distinct values)")
    bad = next((v for v in values if not is_token(v)), None)
    if bad is not None:
        raise CorpusError(f"{problem} ({str(bad)[:40]!r} is not a grammar value)")
    if (not isinstance(register, list) or len(register) != 2
            or not all(type(p) is int and 0 <= p <= 127 for p in register) or register[0] > register[1]):
        raise CorpusError(f"{problem} (its register must be two MIDI pitches, lowest first)")
    if counts is None:  # an older vocabulary: each class it lists counts once
        if not isinstance(classes, list) or not all(type(p) is int and 0 <= p < 12 for p in classes):
            raise CorpusError(f"{problem} (its pitch classes must be numbers from 0 to 11)")
        counts = [int(pc in classes) for pc in range(12)]
    if (not isinstance(counts, list) or len(counts) != 12
            or not all(type(c) is int and 0 <= c <= MAX_PITCH_CLASS_COUNT for c in counts)):
        raise CorpusError(f"{problem} (its pitch_class_counts must be 12 counts of notes)")
    return dict(enumerate(values)), tuple(register), {pc: c for pc, c in enumerate(counts) if c}


def save_weights_file(model, path):
    """Save a model's weights only (HDF5 arrays: no code, no pickles), whole or not at all."""
    write_atomically(path, model.save_weights)


def load_weights_file(model, path):
    """Load weights saved by save_weights_file into a model built for them.

    Raises CorpusError when the file is not such weights or they do not fit the model.
    """
    try:
        with warnings.catch_warnings():  # Keras warns before it fails on a wrong shape
            warnings.simplefilter("ignore")
            model.load_weights(path)
    except Exception as error:  # Keras and h5py report a wrong file or shape in many ways
        raise CorpusError(f"{path}: cannot load these weights into a model of "
                          f"{model.outputs[0].shape[-1]} values ({type(error).__name__}); they must "
                          "come with the vocabulary.json saved beside them") from None


def write_midi(score, path):
    """Write a music21 stream to a MIDI file, whole or not at all."""
    def write(temporary):
        midi_file = midi.translate.streamToMidiFile(score)
        midi_file.open(temporary, "wb")
        try:
            midi_file.write()
        finally:
            midi_file.close()

    write_atomically(path, write)


def phrase_chords(bar_groups, first_bar, bars, beats_per_bar):
    """Chords for a phrase of `bars` bars, offsets from the phrase's start.

    bar_groups lists each bar's chords (music21 Chords); bar k of the phrase takes
    bar_groups[(first_bar + k) % len(bar_groups)], so a short progression loops.
    """
    voice = stream.Voice()
    for bar in range(bars):
        for a_chord in bar_groups[(first_bar + bar) % len(bar_groups)]:
            voice.insert(bar * beats_per_bar + a_chord.offset % beats_per_bar, copy.deepcopy(a_chord))
    return voice


def progression_bars(progression, beats_per_bar):
    """A chord progression (from preprocess.parse_progression) as one list of Chords per bar."""
    bars = [[] for _ in progression]
    for offset, length, pitches in progression_events(progression, 0, len(progression), beats_per_bar):
        a_chord = chord.Chord([pitch.Pitch(midi=p) for p in pitches], quarterLength=length)
        a_chord.offset = offset
        bars[int(offset // beats_per_bar)].append(a_chord)
    return bars


def generate_music(inference_model, indices_values, chords, predict_and_sample,
                   out_path="output/my_music.midi", seed=0, progression=None, bars=16,
                   beats_per_bar=DEFAULT_BEATS_PER_BAR, register=None, pitch_classes=None):
    """Improvise over chords and write the result as MIDI.

    Without a progression, as in the course: for chord groups 1 .. len(chords) // 3 - 1
    (at most MAX_PHRASES of them) the model predicts a phrase of values, which the grammar turns into notes over that
    group's chords. With a progression, phrases follow each other over the progression,
    looped, until `bars` bars are filled. The clean-up rules tidy every phrase. Each phrase
    lasts a whole number of bars and the next starts after it.

    Arguments:
        inference_model -- the model returned by music_inference_model
        indices_values -- dict index -> grammar token
        chords -- chord groups from get_musical_data
        predict_and_sample -- function(inference_model) -> (results, indices)
        out_path -- where the MIDI file goes
        seed -- seeds every random choice made while turning values into notes
        progression -- optional chord bars from preprocess.parse_progression
        bars -- with a progression, the length of the piece in bars
        beats_per_bar -- the metre's bar length in quarter notes
        register -- (lowest, highest) MIDI pitch the melody keeps to, e.g. the corpus's, and
                    approach tones stay approach tones (None: the course's rules, no ceiling
                    and approach tones played as chord tones)
        pitch_classes -- with a register, {pitch class: how many of the corpus's notes have
                    it}, which weights the grammar's draw (see grammar.unparse_grammar)
    Returns:
        a music21 Score with a melody part (guitar) and a chord part (piano)
    """
    rng = random.Random(seed)
    melody = stream.Part([instrument.ElectricGuitar(), tempo.MetronomeMark(number=TEMPO_BPM)])
    accompaniment = stream.Part([instrument.Piano()])
    if progression is None:
        # The course's plan: phrase i over chord group i, i = 1 .. len(chords) // 3 - 1,
        # the group's chords repeated under every bar of the phrase.
        # A large corpus would give hundreds of phrases: at most MAX_PHRASES are played.
        plans = [(i, [chords[i]], 0) for i in range(1, min(max(int(len(chords) / 3), 2), MAX_PHRASES + 1))]
        bars = None
    else:
        # Phrase after phrase over the progression, looped, until the piece has `bars` bars.
        progression_groups = progression_bars(progression, beats_per_bar)
        plans = ((i, progression_groups, None) for i in itertools.count(1))
    curr_offset = 0.0
    bar = 0
    print("Predicting new values for different set of chords.")
    for label, bar_groups, first_bar in plans:
        if bars is not None and bar >= bars:
            break
        _, indices = predict_and_sample(inference_model)
        pred = [indices_values[int(p)] for p in indices.ravel()]
        predicted_tones = " ".join(["C,0.25"] + pred)
        # The course turns approach (A) and arbitrary (X) tones into chord tones, "a common
        # choice". With a register the grammar draws an approach tone among the pitch classes
        # the corpus plays when one fits, so approach tones stay: jazz lines are full of them
        # (13.5 % of Metheny's notes), and the course's rule left none.
        predicted_tones = predicted_tones.replace(" X", " C")
        if register is None:
            predicted_tones = predicted_tones.replace(" A", " C")
        predicted_tones = prune_grammar(predicted_tones, rng)

        length = sum(float(token.split(",")[1]) for token in predicted_tones.split(" "))
        phrase_bars = max(1, math.ceil(length / beats_per_bar))
        if bars is not None:
            phrase_bars = min(phrase_bars, bars - bar)
        curr_chords = phrase_chords(bar_groups, bar if first_bar is None else first_bar,
                                    phrase_bars, beats_per_bar)
        sounds = unparse_grammar(predicted_tones, curr_chords, rng, register=register,
                                 pitch_classes=pitch_classes)
        sounds = prune_notes(sounds)
        sounds = clean_up_notes(sounds)
        phrase_end = phrase_bars * beats_per_bar
        sounds = [s for s in sounds if s.offset < phrase_end]
        for s in sounds:  # nothing rings on into the next phrase
            s.quarterLength = min(s.quarterLength, phrase_end - s.offset)

        print('Generated %s sounds using the predicted values for the set of chords ("%s") and after pruning'
              % (len([k for k in sounds if isinstance(k, note.Note)]), label))
        for m in sounds:
            melody.insert(curr_offset + m.offset, m)
        for mc in curr_chords:
            if mc.quarterLength > 0:  # the corpus's zero-length chords guide the grammar, silently
                accompaniment.insert(curr_offset + mc.offset, mc)
        curr_offset += phrase_bars * beats_per_bar
        bar += phrase_bars

    out_stream = stream.Score([melody, accompaniment])
    write_midi(out_stream, out_path)
    print(f"Your generated music is saved in {out_path}")
    return out_stream
