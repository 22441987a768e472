"""Any MIDI or MusicXML works or stops with one clear line (small scores built with music21)."""

import numpy as np
import pytest
from music21 import chord, harmony, instrument, meter, note, stream

from jazz_improv import corpus
from conftest import run_lstm, write
from data_utils import load_music_utils
from jazz_improv.chord_symbols import parse_progression
from jazz_improv.console import InputError
from jazz_improv.corpus import Options, load_solo

TUNE = ["C5", "D5", "E5", "G5", "A5", "G5", "E5", "D5", "C5", "E5", "G5", "B5", "A5", "F5", "D5", "B4"]


def melody_part(bars=12, beats=4, name="Lead"):
    part = stream.Part(id=name)
    part.partName = name
    part.insert(0, meter.TimeSignature(f"{beats}/4"))
    for i in range(bars * beats * 2):  # eighth notes
        part.insert(i * 0.5, note.Note(TUNE[i % len(TUNE)], quarterLength=0.5))
    return part


def chord_part(bars=12, beats=4, name="Piano"):
    part = stream.Part(id=name)
    part.partName = name
    part.insert(0, instrument.Piano())
    figures = [["C3", "E3", "G3", "B3"], ["D3", "F3", "A3", "C4"], ["G2", "B2", "D3", "F3"]]
    for bar in range(bars):
        part.insert(bar * beats, chord.Chord(figures[bar % 3], quarterLength=beats))
    return part


def drum_part(bars=12):
    part = stream.Part(id="Drums")
    part.insert(0, instrument.BassDrum())
    for i in range(bars * 4):
        hit = note.Unpitched(quarterLength=1)
        hit.displayStep, hit.displayOctave = "C", 4
        part.insert(i, hit)
    return part


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus, "CACHE_DIR", tmp_path / "cache")


def test_melody_and_piano_midi_is_found_automatically(tmp_path):
    path = write(tmp_path, "two.mid", chord_part(), melody_part())
    solo = load_solo(path)
    assert len(solo.abstract_grammars) == 12
    assert all(len(m) == 8 for m in solo.measures[1:])  # eight eighth notes a bar
    assert all(c and len(c[0].pitches) == 4 for c in solo.chords[1:])
    first = solo.abstract_grammars[0].split(" ")
    assert first[0] == "C,0.500"  # C5 over C major seventh: a chord tone
    X, Y, n_values, indices_values = load_music_utils(path)
    assert X.shape == (60, 30, n_values) and Y.shape == (30, 60, n_values)
    assert n_values == len(indices_values) < 78


def test_parts_can_be_named(tmp_path):
    path = write(tmp_path, "named.mid", chord_part(), melody_part())
    by_index = load_solo(path, Options(melody_part="1", chord_parts=("0",)))
    assert by_index.abstract_grammars == load_solo(path).abstract_grammars
    with pytest.raises(InputError, match="no part 'Sax'.*parts are"):
        load_solo(path, Options(melody_part="Sax"))


def test_melody_only_needs_chords(tmp_path):
    path = write(tmp_path, "solo.mid", melody_part())
    with pytest.raises(InputError, match="no chords found.*--chords"):
        load_solo(path)
    solo = load_solo(path, Options(progression=parse_progression("Cmaj7 | Dm7 | G7")))
    assert [c[0].pitches[0].name for c in solo.chords[1:4]] == ["C", "D", "G"]


def test_piano_only_plays_its_top_notes_and_drums_only_have_no_melody(tmp_path):
    solo = load_solo(write(tmp_path, "piano.mid", chord_part()))
    # The top notes B3 C4 F3 are the melody, the three notes under them the chords.
    assert [[n.nameWithOctave for n in m] for m in solo.measures[1:4]] == [["B3"], ["C4"], ["F3"]]
    assert [[p.nameWithOctave for p in c[0].pitches] for c in solo.chords[1:4]] == [
        ["C3", "E3", "G3"], ["D3", "F3", "A3"], ["G2", "B2", "D3"]]
    with pytest.raises(InputError, match="no melodic part: nothing pitched"):
        load_solo(write(tmp_path, "drums.mid", drum_part()))


def test_lead_sheet_with_chord_symbols(tmp_path):
    lead = melody_part()
    for bar, figure in enumerate(["Cmaj7", "Dm7", "G7"] * 4):
        lead.insert(bar * 4, harmony.ChordSymbol(figure))
    path = write(tmp_path, "lead.musicxml", lead, fmt="musicxml")
    solo = load_solo(path)
    assert len(solo.abstract_grammars) == 12
    roots = [c[0].pitches[0].name for c in solo.chords[1:4]]
    assert roots == ["C", "D", "G"]
    assert all(isinstance(n, note.Note) for m in solo.measures[1:] for n in m)


def test_three_four_time(tmp_path):
    path = write(tmp_path, "waltz.mid", chord_part(beats=3), melody_part(beats=3))
    solo = load_solo(path)
    assert solo.beats_per_bar == 3
    assert all(len(m) == 6 for m in solo.measures[1:])
    assert sum(float(t.split(",")[1]) for t in solo.abstract_grammars[0].split(" ")) == 3


def test_section_and_empty_section(tmp_path):
    path = write(tmp_path, "two.mid", chord_part(), melody_part())
    assert len(load_solo(path, Options(section=(3, 6))).abstract_grammars) == 4
    with pytest.raises(InputError, match="measures 40:50 holds no melody notes"):
        load_solo(path, Options(section=(40, 50)))


def test_a_corpus_shorter_than_a_window_is_looped(tmp_path, capsys):
    path = write(tmp_path, "short.mid", chord_part(bars=2), melody_part(bars=1))
    X, Y, n_values, indices_values = load_music_utils(path)
    assert capsys.readouterr().out == ("The corpus has 8 values, fewer than the 31 a training window needs: "
                                       "it is looped, as a tune is played chorus after chorus\n")
    assert X.shape == (60, 30, n_values) and Y.shape == (30, 60, n_values)
    # every window is the tune played round and round, from some value of it
    index = {value: i for i, value in indices_values.items()}
    tune = [index[token] for grammar in load_solo(path).abstract_grammars for token in grammar.split(" ")]
    assert len(tune) == 8
    round_and_round = tune * 6
    for window in X.argmax(axis=-1)[:, 1:].tolist():
        assert any(round_and_round[start:start + 29] == window for start in range(8))


def test_several_files_make_one_corpus(tmp_path):
    a = write(tmp_path, "a.mid", chord_part(), melody_part())
    b = write(tmp_path, "b.mid", chord_part(bars=6), melody_part(bars=6))
    both = load_solo([a, b])
    assert both.abstract_grammars == load_solo(a).abstract_grammars + load_solo(b).abstract_grammars
    assert len(both.chords) == 1 + 12 + 6
    folder = tmp_path / "folder"
    folder.mkdir()
    for path in (a, b):
        (folder / path.name).write_bytes(path.read_bytes())
    assert load_solo(folder).abstract_grammars == both.abstract_grammars


def test_unknown_chord_symbol():
    with pytest.raises(match="unknown chord symbol 'Hmaj13#'"):
        parse_progression("Cmaj7 | Hmaj13#")
    assert parse_progression("Dm7 G7 | Cmaj7") == (("Dm7", "G7"), ("Cmaj7",))
    assert parse_progression("C F G") == (("C",), ("F",), ("G",))


@pytest.mark.xdist_group("tensorflow in process")  # see test_model.py
def test_temperature_samples_reproducibly():
    import lstm

    lstm.djmodel(lstm.Tx, lstm.n_a, lstm.n_values)  # builds the shared layers (untrained)

    def sample(temperature, seed):
        lstm.keras.utils.set_random_seed(seed)
        chooser = lstm.SampleWithTemperature(lstm.densor, temperature) if temperature else lstm.densor
        model = lstm.music_inference_model(lstm.LSTM_cell, chooser, lstm.n_values, lstm.n_a, Ty=40)
        return [lstm.predict_and_sample(model)[1][:, 0] for _ in range(2)]

    first, again = sample(5.0, 7), sample(5.0, 7)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[0], first[1])  # each call draws anew
    assert len(set(first[0])) > 3  # untrained and hot: many values
    greedy = sample(0.0, 7)
    np.testing.assert_array_equal(greedy[0], greedy[1])  # argmax: the same every call


@pytest.mark.parametrize("kind, flags, message", [
    ("drums", [], "no melodic part"),
    ("melody", [], "no chords found"),
    ("melody", ["--chords", "Cmaj7 | Hmaj13#"], "unknown chord symbol"),
    ("two", ["--section", "40:50"], "holds no melody notes"),
    ("two", ["--section", "5-6"], "START:END"),
])
def test_cli_bad_music_exits_2_with_one_line(tmp_path, kind, flags, message):
    parts = {"drums": [drum_part()], "melody": [melody_part()], "two": [chord_part(), melody_part()]}
    path = write(tmp_path, f"{kind}.mid", *parts[kind])
    out = tmp_path / "out" / "x.midi"
    result = run_lstm("--midi", str(path), "--out", str(out), *flags)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr and message in lines[-1]
    assert not out.exists()


def test_cli_own_lead_sheet_over_own_chords_then_reuse_the_model(tmp_path):
    lead = melody_part()
    for bar, figure in enumerate(["Cmaj7", "Am7", "Dm7", "G7"] * 3):
        lead.insert(bar * 4, harmony.ChordSymbol(figure))
    path = write(tmp_path, "lead.musicxml", lead, fmt="musicxml")
    out = tmp_path / "mine" / "tune.midi"
    first = run_lstm("--midi", str(path), "--epochs", "2", "--chords", "Dm7 G7 | Cmaj7",
                     "--bars", "6", "--temperature", "0.8", "--no-audio", "--out", str(out))
    assert first.returncode == 0, first.stderr
    from music21 import converter

    score = converter.parse(out)
    assert score.highestTime == pytest.approx(6 * 4, abs=0.5)
    names = [c.pitches[0].name for c in score.parts[1].flatten().getElementsByClass("Chord")]
    assert names[:3] == ["D", "G", "C"]
    weights, vocabulary = out.parent / "djmodel.weights.h5", out.parent / "vocabulary.json"
    assert weights.exists() and vocabulary.exists()
    report = (out.parent / "report.json").read_text()
    assert '"chord_tone_share"' in report

    # the saved model generates again without training
    again = run_lstm("--midi", str(path), "--load-weights", str(weights), "--no-audio",
                     "--chords", "Dm7 G7 | Cmaj7", "--bars", "6", "--out", str(tmp_path / "b.midi"))
    assert again.returncode == 0, again.stderr
    assert "skipping training" in again.stdout and "/epoch" not in again.stdout

    # a vocabulary that does not fit the weights is refused
    import json

    entry = json.loads(vocabulary.read_text())
    entry["values"] = entry["values"][:-1]
    entry["openings"] = [index for index in entry["openings"] if index < len(entry["values"])]
    vocabulary.write_text(json.dumps(entry))
    refused = run_lstm("--midi", str(path), "--load-weights", str(weights), "--no-audio",
                       "--out", str(tmp_path / "c.midi"))
    assert refused.returncode == 2
    assert "cannot load these weights" in refused.stderr and "Traceback" not in refused.stderr


def test_cli_a_piece_shorter_than_a_window_schoenberg_op19_no2(tmp_path):
    """27 values: looped into 60 windows, trained, and improvised over its own chords."""
    out = tmp_path / "short" / "my_music.midi"
    result = run_lstm("--midi", "music21:schoenberg/opus19/movement2", "--epochs", "1", "--no-audio",
                      "--out", str(out))
    assert result.returncode == 0 and result.stderr == "", result.stderr[-3000:]
    printed = result.stdout.splitlines()
    assert printed[0] == ("The corpus has 27 values, fewer than the 31 a training window needs: "
                          "it is looped, as a tune is played chorus after chorus")
    assert "number of training examples: 60" in printed
    assert any(line.startswith("Generated ") for line in printed) and out.is_file()


def test_monteverdi_takes_its_harmony_from_its_voices_not_four_stray_symbols(tmp_path, capsys):
    """madrigal.3.1: 4 chord symbols in 96 bars (A minor held over 39 bars) give way to the five
    voices, and every run says so, from the cache too."""
    path = corpus.corpus_file("music21:monteverdi/madrigal.3.1")
    assert path.name == "madrigal.3.1.mxl"  # not madrigal.3.10, which music21 matches too
    for _ in range(2):  # read, then from the cache
        solo = load_solo(path, cache_dir=tmp_path)
        printed = capsys.readouterr().out
        assert printed == (f"{path}: 4 chord symbols for 96 bars, 39.2 bars without a new one: "
                           "its chords are taken from its parts instead\n")
        distinct = {tuple(p.midi for p in c.pitches) for group in solo.chords for c in group}
        assert len(distinct) > 20  # the four symbols would give four
    assert len(list(tmp_path.glob("*.json"))) == 1


def test_cli_an_eight_bar_tune_is_looped_and_improvised_over(tmp_path):
    tune = tmp_path / "eight.abc"
    tune.write_text('X:1\nT:Eight bars\nM:4/4\nL:1/4\nK:F\n'
                    '"F"A2 c2|"Bb"d2 B2|"F"A2 F2|"C7"G4|"F"A2 c2|"Bb"d2 f2|"C7"e2 G2|"F"F4|]\n')
    out = tmp_path / "out" / "my_music.midi"
    result = run_lstm("--midi", str(tune), "--epochs", "1", "--no-audio", "--out", str(out))
    assert result.returncode == 0 and result.stderr == "", result.stderr[-3000:]
    assert result.stdout.startswith("The corpus has 14 values, fewer than the 31 a training window needs: "
                                    "it is looped")
    assert result.stdout.count("Generated ") == 5 and out.is_file()


def test_cli_a_folder_of_two_lead_sheets_plays_five_phrases(tmp_path):
    """The course's rule would play 22 phrases (9.5 minutes) for these two tunes."""
    import shutil

    folder = tmp_path / "sheets"
    folder.mkdir()
    for name in ("leadSheet/fosterBrownHair", "leadSheet/berlinAlexandersRagtime"):
        source = corpus.corpus_file(f"music21:{name}")
        shutil.copy(source, folder / source.name)
    out = tmp_path / "out" / "my_music.midi"
    result = run_lstm("--midi", str(folder), "--epochs", "1", "--no-audio", "--out", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stderr.splitlines()[-1] == "read 2 of 2 files" and "Traceback" not in result.stderr
    assert result.stdout.count("Generated ") == 5
    from music21 import converter

    # five phrases of at most four bars each, though an untrained model's values are long
    assert converter.parse(out).highestTime == 5 * 4 * 4


def test_cli_ten_thousand_voices_print_no_library_warning(tmp_path):
    """A bar of 10,000 voices, then a tune: music21's warnings about it never reach the user."""
    steps = "CDEFGAB"
    voices = "".join(f"<note><pitch><step>{steps[v % 7]}</step><octave>{4 + v % 2}</octave></pitch>"
                     f"<duration>4</duration><voice>{v}</voice><type>whole</type></note>"
                     "<backup><duration>4</duration></backup>" for v in range(1, 10_001))
    bars = [f'<measure number="1"><attributes><divisions>1</divisions><time><beats>4</beats>'
            f'<beat-type>4</beat-type></time></attributes>{voices}</measure>']
    for number in range(2, 14):
        bars.append(f'<measure number="{number}">' + "".join(
            f"<note><pitch><step>{steps[(number + i) % 7]}</step><octave>5</octave></pitch>"
            "<duration>1</duration><voice>1</voice><type>quarter</type></note>" for i in range(4)) + "</measure>")
    path = tmp_path / "voices.musicxml"
    path.write_text('<?xml version="1.0" encoding="UTF-8"?><score-partwise version="3.1"><part-list>'
                    '<score-part id="P1"><part-name>Voices</part-name></score-part></part-list>'
                    f'<part id="P1">{"".join(bars)}</part></score-partwise>')
    out = tmp_path / "out" / "my_music.midi"
    result = run_lstm("--midi", str(path), "--epochs", "1", "--no-audio", "--out", str(out))
    assert result.returncode == 0 and result.stderr == "", result.stderr[-3000:]
    assert out.is_file()
