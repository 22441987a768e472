"""The corpus: where it comes from, how it is loaded, and how new music is written from it."""

import copy
import math
import random
from pathlib import Path

from music21 import instrument, midi, note, stream, tempo

from atomic_files import write_atomically
from music_utils import data_processing
from preprocess import CorpusError, get_corpus_data, get_musical_data, sha256_of
from grammar import unparse_grammar
from qa import clean_up_notes, prune_grammar, prune_notes

CORPUS_PATH = Path("data/original_metheny.mid")
CORPUS_URL = "https://raw.githubusercontent.com/jisungk/deepjazz/master/midi/original_metheny.mid"
CORPUS_SHA256 = "0da8322ceab36b036682b5ece0c315193f7b701a3340a0ca5a523b107c6f428d"
WHAT_TO_DO = f"put the corpus at {CORPUS_PATH} or pass --midi PATH"

TEMPO_BPM = 130
BEATS_PER_BAR = 4


def corpus_file(midi_path=None):
    """Path of the corpus MIDI file, downloading the Metheny solo if it is the default and missing.

    The download goes over HTTPS and is checked against a pinned sha256.
    Raises CorpusError with what to do when the file cannot be had.
    """
    if midi_path is not None:
        path = Path(midi_path)
        if not path.is_file():
            raise CorpusError(f"{path}: file not found; {WHAT_TO_DO}")
        return path
    if CORPUS_PATH.is_file():
        if sha256_of(CORPUS_PATH) != CORPUS_SHA256:
            raise CorpusError(f"{CORPUS_PATH}: checksum does not match the Metheny corpus; "
                              f"delete it to download it again, or pass --midi PATH")
        return CORPUS_PATH
    # Keras is imported here only, so that loading a local corpus stays light.
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
        raise CorpusError(
            f"{CORPUS_PATH}: could not download the corpus ({type(error).__name__}); {WHAT_TO_DO}"
        ) from None
    return Path(downloaded)


def load_music_utils(midi_path=None):
    """Load the corpus and cut it into training windows.

    Returns:
        X -- (60, 30, n_values) one-hot inputs
        Y -- (30, 60, n_values) one-hot targets, Y[t] the value after X[:, t]
        n_values -- number of distinct values (78 for the Metheny corpus)
        indices_values -- dict index -> grammar token
    """
    _, abstract_grammars = get_musical_data(corpus_file(midi_path))
    corpus, _, values_indices, indices_values = get_corpus_data(abstract_grammars)
    X, Y, n_values = data_processing(corpus, values_indices, 60, 30)
    return X, Y, n_values, indices_values


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


def phrase_chords(chord_group, bars):
    """The measure's chords repeated for each bar of a phrase, offsets from the phrase start."""
    voice = stream.Voice()
    for bar in range(bars):
        for a_chord in chord_group:
            voice.insert(bar * BEATS_PER_BAR + a_chord.offset % BEATS_PER_BAR, copy.deepcopy(a_chord))
    return voice


def generate_music(inference_model, indices_values, chords, predict_and_sample,
                   out_path="output/my_music.midi", seed=0):
    """Improvise over the corpus's chords and write the result as MIDI.

    For chord groups 1 .. len(chords) // 3 - 1, the model predicts a phrase of values,
    which the grammar turns into notes over that group's chords; the clean-up rules
    tidy them. Each phrase lasts a whole number of bars and the next starts after it.

    Arguments:
        inference_model -- the model returned by music_inference_model
        indices_values -- dict index -> grammar token
        chords -- chord groups from get_musical_data
        predict_and_sample -- function(inference_model) -> (results, indices)
        out_path -- where the MIDI file goes
        seed -- seeds every random choice made while turning values into notes
    Returns:
        a music21 Score with a melody part (guitar) and a chord part (piano)
    """
    rng = random.Random(seed)
    melody = stream.Part([instrument.ElectricGuitar(), tempo.MetronomeMark(number=TEMPO_BPM)])
    accompaniment = stream.Part([instrument.Piano()])
    curr_offset = 0.0
    num_chords = int(len(chords) / 3)

    print("Predicting new values for different set of chords.")
    for i in range(1, num_chords):
        _, indices = predict_and_sample(inference_model)
        pred = [indices_values[int(p)] for p in indices.ravel()]
        predicted_tones = " ".join(["C,0.25"] + pred)
        # The grammar turns approach (A) and arbitrary (X) tones into chord tones.
        predicted_tones = predicted_tones.replace(" A", " C").replace(" X", " C")
        predicted_tones = prune_grammar(predicted_tones, rng)

        length = sum(float(token.split(",")[1]) for token in predicted_tones.split(" "))
        bars = max(1, math.ceil(length / BEATS_PER_BAR))
        curr_chords = phrase_chords(chords[i], bars)
        sounds = unparse_grammar(predicted_tones, curr_chords, rng)
        sounds = prune_notes(sounds)
        sounds = clean_up_notes(sounds)

        print('Generated %s sounds using the predicted values for the set of chords ("%s") and after pruning'
              % (len([k for k in sounds if isinstance(k, note.Note)]), i))
        for m in sounds:
            melody.insert(curr_offset + m.offset, m)
        for mc in curr_chords:
            accompaniment.insert(curr_offset + mc.offset, mc)
        curr_offset += bars * BEATS_PER_BAR

    out_stream = stream.Score([melody, accompaniment])
    write_midi(out_stream, out_path)
    print(f"Your generated music is saved in {out_path}")
    return out_stream
