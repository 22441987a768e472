"""The course's notebook cells run against these modules as a learner writes them; calls in the
course's later form get one line; the star imports bring the course's names and nothing else."""

import mido
import numpy as np
import pytest

from conftest import ENV, ROOT, LstmProcess

# What the course's own modules give its notebook through `from ... import *`
COURSE_NAMES = {
    "grammar": {"parse_melody", "unparse_grammar"},
    "qa": {"prune_grammar", "prune_notes", "clean_up_notes"},
    "preprocess": {"get_musical_data", "get_corpus_data"},
    "music_utils": {"data_processing", "one_hot"},
    "data_utils": {"load_music_utils", "predict_and_sample", "generate_music"},
}


def test_the_course_cells_run_and_write_the_music(tmp_path, corpus_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / corpus_path.name).write_bytes(corpus_path.read_bytes())
    # one epoch: the cells' own model.fit takes most of a minute to trace; 100 would add a minute.
    # The script runs in a process forked from the tests' warm interpreter (tests/warm_lstm.py).
    result = LstmProcess([], cwd=tmp_path, env=dict(ENV, PYTHONPATH=str(ROOT), EPOCHS="1"),
                         script="tests/course_cells.py").finish(400)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    printed = result.stdout.splitlines()
    assert "shape of X: (60, 30, 78)" in printed and "Shape of Y: (30, 60, 78)" in printed
    assert any(line.startswith("np.argmax(results[12]) = ") for line in printed)
    assert "Your generated music is saved in output/my_music.midi" in printed
    midi = mido.MidiFile(tmp_path / "output" / "my_music.midi")
    notes = [message for track in midi.tracks for message in track if message.type == "note_on"]
    assert len(notes) > 50


def test_the_star_imports_bring_the_course_names_and_change_none_of_music21s():
    namespace = {}
    exec("from music21 import *", namespace)
    music21_names = dict(namespace)
    for module in COURSE_NAMES:
        exec(f"from {module} import *", namespace)
    assert set(namespace) - set(music21_names) == set().union(*COURSE_NAMES.values())
    assert all(namespace[name] is value for name, value in music21_names.items())


class FixedModel:
    """Stands in for an inference model: Ty outputs whose argmax cycles through given values."""

    def __init__(self, indices, n_values=78, n_a=64):
        self.inputs = [np.zeros((1, 1, n_values)), np.zeros((1, n_a)), np.zeros((1, n_a))]
        self.outputs = [np.eye(n_values)[[index]] for index in indices]

    def predict(self, inputs, verbose=0):
        return self.outputs


def test_generate_music_with_the_model_alone_uses_the_course_corpus(tmp_path, corpus_path, capsys):
    from data_utils import generate_music, load_music_utils
    from jazz_improv.corpus import load_solo

    _, _, n_values, indices_values = load_music_utils(corpus_path)
    solo = load_solo(corpus_path)
    model = FixedModel(np.arange(50) * 7 % n_values, n_values)
    generate_music(model, out_path=tmp_path / "alone.midi")
    generate_music(model, indices_values, solo.chords, out_path=tmp_path / "given.midi",
                   register=solo.register, pitch_classes=solo.pitch_classes, rhythm=solo.rhythm)
    assert (tmp_path / "alone.midi").read_bytes() == (tmp_path / "given.midi").read_bytes()
    assert capsys.readouterr().out.count("Generated ") == 10  # five phrases each time


def test_the_later_courses_load_music_utils_gets_one_line(corpus_path):
    from data_utils import load_music_utils
    from jazz_improv.course_forms import CourseFormError

    with pytest.raises(CourseFormError) as error:
        X, Y, n_values, indices_values, chords = load_music_utils(corpus_path)
    message = str(error.value)
    assert "78-value" in message and "X, Y, n_values, indices_values = load_music_utils()" in message
    assert error.value._render_traceback_() == [f"CourseFormError: {message}"]  # a notebook shows one line
    X, Y, n_values, indices_values = load_music_utils(corpus_path)  # the course's form still works
    assert X.shape == (60, 30, 78)


@pytest.mark.xdist_group("tensorflow in process")  # see test_model.py
def test_the_later_courses_djmodel_gets_one_line():
    import lstm
    from jazz_improv.course_forms import CourseFormError

    with pytest.raises(CourseFormError, match=r"call djmodel\(Tx, n_a, n_values\), with sizes"):
        lstm.djmodel(30, lstm.LSTM_cell, lstm.densor, lstm.reshapor)
    with pytest.raises(CourseFormError, match="78-value"):
        lstm.djmodel(Tx=30, n_a=lstm.LSTM_cell, n_values=78)


@pytest.mark.parametrize("groups, bars, asked, phrases, length", [
    (19, None, None, 5, None),  # the course's corpus: its chord groups 1-5
    (57, None, None, 5, None),  # three times as long: still five phrases, about 40 s
    (4, None, None, 5, None),  # shorter: five phrases all the same, its groups again from the first
    (57, None, 18, 18, None),  # the course's rule for a long corpus, on request (bench/quality.py)
    (57, 7, None, None, 7),  # --bars with a corpus
    (4, 20, None, None, 20),  # --bars longer than the corpus: its groups again from the first
])
def test_a_piece_lasts_five_phrases_or_its_bars(tmp_path, musical_data, capsys, groups, bars, asked, phrases,
                                                 length):
    from data_utils import generate_music

    chords = [musical_data[0][0]] + [musical_data[0][1 + i % 18] for i in range(groups - 1)]
    model = FixedModel(np.arange(50) * 7 % 78)
    score = generate_music(model, dict(enumerate(sorted(set(" ".join(musical_data[1]).split())))), chords,
                           out_path=tmp_path / "a.midi", bars=bars, phrases=asked)
    printed = capsys.readouterr().out
    if phrases:
        assert printed.count("Generated ") == phrases
        labels = [line.split('("')[1].split('")')[0] for line in printed.splitlines() if "Generated" in line]
        assert labels == [str(i) for i in range(1, phrases + 1)]
    if length:
        assert (length - 1) * 4 < score.highestTime <= length * 4  # the last bar is the seventh


@pytest.mark.parametrize("beats_per_bar, asked, length", [
    (4, None, 5 * 16),  # five phrases of four bars: 50 whole notes would make 50 bars each
    (3, None, 5 * 18),  # of 3/4: six bars, the whole bars that hold 16 quarter notes
    (4, 2, None),  # phrases asked for last as long as their values: longer than five default ones
])
def test_a_default_phrase_lasts_at_most_sixteen_quarter_notes(tmp_path, musical_data, capsys, beats_per_bar,
                                                             asked, length):
    from data_utils import generate_music

    model = FixedModel([0] * 50)
    score = generate_music(model, {0: "C,4.000"}, musical_data[0], out_path=tmp_path / "a.midi",
                           beats_per_bar=beats_per_bar, phrases=asked)
    assert score.highestTime == length if length else score.highestTime > 5 * 16
    assert capsys.readouterr().out.count("Generated ") == (asked or 5)
