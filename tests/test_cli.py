"""python lstm.py, run as a user runs it."""

import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
from music21 import converter

from jazz_improv.course_preset import read_midi_tracks

from conftest import ENV, ROOT, run_lstm


def test_prints_the_course_lines_and_writes_five_phrases(default_run):
    result, out = default_run
    assert result.returncode == 0, result.stderr
    for line in ["shape of X: (60, 30, 78)", "number of training examples: 60",
                 "Tx (length of sequence): 30", "total # of unique values: 78",
                 "Shape of Y: (30, 60, 78)", f"Your generated music is saved in {out}"]:
        assert line in result.stdout
    generated = re.findall(r'Generated (\d+) sounds using the predicted values for the set of '
                           r'chords \("(\d)"\) and after pruning', result.stdout)
    assert [group for _, group in generated] == ["1", "2", "3", "4", "5"]

    # the MIDI file's own note events (music21's importer would split notes across bar lines)
    ticks_per_quarter, (melody, chords) = read_midi_tracks(out)
    assert len(melody) == sum(int(count) for count, _ in generated)
    assert len(chords) > 2 * len(generated)
    # phrases follow each other: no two melody notes start together
    onsets = [n.on_tick for n in melody]
    assert len(onsets) == len(set(onsets))

    score = converter.parse(out)
    # five phrases of about three bars each, one after the other
    assert 5 * 4 * 2 <= score.highestTime <= 5 * 4 * 5
    assert score.metronomeMarkBoundaries()[0][2].number == 130
    assert result.stderr == ""  # no TensorFlow start-up noise, no warnings


def test_another_seed_another_piece_and_no_audio(default_run, other_seed_run):
    (_, first), (result, other) = default_run, other_seed_run
    assert result.returncode == 0, result.stderr
    assert first.read_bytes() != other.read_bytes()
    assert not list(other.parent.glob("*.wav"))
    assert result.stderr == ""


def test_audio_lasts_as_long_as_the_midi_and_pictures_are_written(default_run):
    from scipy.io import wavfile

    result, out = default_run
    rate, pcm = wavfile.read(out.with_suffix(".wav"))
    assert rate == 44_100 and pcm.dtype == np.int16
    assert 0 < np.abs(pcm).max() < 32767
    # the length the MIDI file gives: its last note's end, at its own tempo
    score = converter.parse(out)
    last_end = max(n.offset + n.quarterLength for n in score.flatten().notes)
    seconds = float(last_end) * 60 / score.metronomeMarkBoundaries()[0][2].number
    assert seconds <= len(pcm) / rate <= seconds + 0.25  # plus a short release
    assert f"s in {out.with_suffix('.wav')}" in result.stdout
    # the snippet plays the corpus's 18 bars of 4 beats at the same tempo
    snippet_rate, snippet = wavfile.read(out.parent / "training_snippet.wav")
    assert 18 * 4 * 60 / 130 <= len(snippet) / snippet_rate <= 18 * 4 * 60 / 130 + 0.25
    for picture in (out.with_suffix(".png"), out.parent / "loss.png"):
        assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_help_answers_without_tensorflow():
    result = subprocess.run(
        [sys.executable, "-X", "importtime", str(ROOT / "lstm.py"), "--help"],
        cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "--epochs" in result.stdout and "--seed" in result.stdout and "--midi" in result.stdout
    assert "tensorflow" not in result.stderr


def test_bench_help():
    for script in ("bench.py", "quality.py"):
        result = subprocess.run([sys.executable, str(ROOT / "bench" / script), "--help"],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0 and "--" in result.stdout, script


def bad_corpus(tmp_path, kind):
    path = tmp_path / "corpus.mid"
    if kind == "missing":
        return tmp_path / "nowhere.mid"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "not MIDI":
        path.write_text("<html>This is a web page, not a MIDI file</html>\n" * 20)
    elif kind == "truncated":
        path.write_bytes((ROOT / "data" / "original_metheny.mid").read_bytes()[:3000])
    elif kind == "folder":
        path.mkdir()
    return path


@pytest.mark.parametrize("kind", ["missing", "empty", "not MIDI", "truncated", "folder"])
def test_bad_corpus_one_line_exit_2_nothing_written(tmp_path, kind, corpus_path):
    out = tmp_path / "out" / "music.midi"
    result = run_lstm("--midi", bad_corpus(tmp_path, kind), "--out", out)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("lstm.py: error: "), result.stderr
    assert "corpus.mid" in errors[0] or "nowhere.mid" in errors[0]
    assert not out.exists() and not (out.parent.exists() and any(out.parent.iterdir()))


@pytest.mark.parametrize("flags, message", [
    (["--epochs", "0"], "at least 1"),
    (["--epochs", "many"], "whole number"),
    (["--seed", "-1"], "0 to 4294967295"),
    (["--temperature", "hot"], "a number"),
    (["--bars", "0"], "from 1 to 256"),
    (["--windows", "1000000"], "from 1 to 2000"),
])
def test_bad_flags_exit_2(flags, message):
    result = run_lstm(*flags)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert message in result.stderr.splitlines()[-1]


def test_output_path_that_is_a_folder(tmp_path):
    for out in (str(tmp_path), f"{tmp_path}/new/"):
        result = run_lstm("--out", out)
        assert result.returncode == 2
        assert len(result.stderr.strip().splitlines()) == 1 and "is a folder" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_default_corpus_with_wrong_checksum(tmp_path, corpus_path):
    """A corrupt data/original_metheny.mid is reported, not trusted."""
    shutil.copytree(ROOT, tmp_path / "project", ignore=shutil.ignore_patterns(
        ".git", "output", "__pycache__", ".pytest_cache", ".cache"))
    data = tmp_path / "project" / "data" / "original_metheny.mid"
    data.write_bytes(corpus_path.read_bytes()[:-10] + b"0123456789")
    result = run_lstm(cwd=tmp_path / "project", timeout=120)
    assert result.returncode == 2
    assert "checksum" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.xdist_group("tensorflow in process")  # see test_model.py
def test_download_is_https_and_pinned(tmp_path, monkeypatch):
    """Without data/original_metheny.mid, the corpus is fetched over HTTPS against its sha256."""
    import keras

    from jazz_improv import corpus
    from jazz_improv.console import InputError

    monkeypatch.chdir(tmp_path)
    calls = []

    def fake_get_file(**kwargs):
        calls.append(kwargs)
        raise OSError("network unreachable")

    monkeypatch.setattr(keras.utils, "get_file", fake_get_file)
    with pytest.raises(InputError, match="could not download.*--midi PATH"):
        corpus.corpus_file()
    (call,) = calls
    assert call["origin"].startswith("https://")
    assert call["file_hash"] == "0da8322ceab36b036682b5ece0c315193f7b701a3340a0ca5a523b107c6f428d"
    assert call["hash_algorithm"] == "sha256"


# As on Windows, where there is no fcntl: `import fcntl` fails in this interpreter.
WITHOUT_FCNTL = """
import sys
sys.modules["fcntl"] = None
sys.path.insert(0, sys.argv[1])
import lstm  # the notebook as a module: nothing POSIX-only is imported at module level
from jazz_improv.command_line import begin_run, output_files, settings
sys.argv = ["lstm.py", "--out", sys.argv[2]]
args = settings("__main__")
files, written, outdated = output_files(args)
run = begin_run("__main__", written, outdated)  # the output folder, locked without fcntl
files.midi.write_bytes(b"MThd")
run.commit()
print(type(lstm.LSTM_cell).__name__, "started, wrote and committed")
"""


def test_importable_and_the_run_starts_without_fcntl(tmp_path):
    out = tmp_path / "out" / "my_music.midi"
    result = subprocess.run([sys.executable, "-c", WITHOUT_FCNTL, str(ROOT), str(out)], env=ENV,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "StepLSTM started, wrote and committed" in result.stdout
    assert [p.name for p in out.parent.iterdir()] == ["my_music.midi"]  # no lock or journal left
