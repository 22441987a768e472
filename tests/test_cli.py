"""python lstm.py, run as a user runs it."""

import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
from music21 import converter, note

from conftest import ROOT

ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")


def run_lstm(*args, cwd=ROOT):
    return subprocess.run([sys.executable, str(ROOT / "lstm.py"), *args], cwd=cwd, env=ENV,
                          capture_output=True, text=True, timeout=240)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory, corpus_path):
    """Two runs with seed 0 and one with seed 1, two epochs each."""
    folder = tmp_path_factory.mktemp("runs")
    runs = {}
    for name, seed in [("first", "0"), ("again", "0"), ("other", "1")]:
        out = folder / f"{name}.midi"
        runs[name] = (run_lstm("--epochs", "2", "--seed", seed, "--out", str(out)), out)
    return runs


def test_prints_the_course_lines_and_writes_five_phrases(two_runs):
    result, out = two_runs["first"]
    assert result.returncode == 0, result.stderr
    for line in ["shape of X: (60, 30, 78)", "number of training examples: 60",
                 "Tx (length of sequence): 30", "total # of unique values: 78",
                 "Shape of Y: (30, 60, 78)", f"Your generated music is saved in {out}"]:
        assert line in result.stdout
    generated = re.findall(r'Generated (\d+) sounds using the predicted values for the set of '
                           r'chords \("(\d)"\) and after pruning', result.stdout)
    assert [group for _, group in generated] == ["1", "2", "3", "4", "5"]

    score = converter.parse(out)
    melody, chords = score.parts[0].flatten(), score.parts[1].flatten()
    melody_notes = melody.getElementsByClass(note.Note)
    assert len(melody_notes) == sum(int(count) for count, _ in generated)
    assert len(chords.getElementsByClass("Chord")) > 0
    # phrases follow each other: no two melody notes start together
    offsets = [n.offset for n in melody_notes]
    assert len(offsets) == len(set(offsets))
    # five phrases of about three bars each, one after the other
    assert 5 * 4 * 2 <= score.highestTime <= 5 * 4 * 5
    assert score.metronomeMarkBoundaries()[0][2].number == 130


def test_same_seed_same_bytes_other_seed_other_piece(two_runs):
    first, again, other = (two_runs[k][1].read_bytes() for k in ("first", "again", "other"))
    assert first == again
    assert first != other
    wavs = [two_runs[k][1].with_suffix(".wav").read_bytes() for k in ("first", "again", "other")]
    assert wavs[0] == wavs[1] != wavs[2]


def test_writes_audio_and_pictures_that_match_the_midi(two_runs):
    from scipy.io import wavfile

    import audio

    result, out = two_runs["first"]
    rate, pcm = wavfile.read(out.with_suffix(".wav"))
    assert rate == 44_100 and pcm.dtype == np.int16
    assert 0 < np.abs(pcm).max() < 32767
    score = converter.parse(out)
    last_end = max(n.offset + n.quarterLength for n in score.flatten().notes)
    expected = float(last_end) * 60 / 130 + audio.RELEASE_SECONDS
    assert abs(len(pcm) / rate - expected) < 0.05
    assert f"s in {out.with_suffix('.wav')}" in result.stdout
    snippet_rate, snippet = wavfile.read(out.parent / "training_snippet.wav")
    assert 25 < len(snippet) / snippet_rate < 40
    for picture in (out.with_suffix(".png"), out.parent / "loss.png"):
        assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_audio_writes_no_audio(tmp_path, corpus_path):
    out = tmp_path / "quiet.midi"
    result = run_lstm("--epochs", "1", "--no-audio", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert out.exists() and not list(tmp_path.glob("*.wav"))
    assert result.stderr.strip() == ""  # no TensorFlow start-up noise, no warnings


def test_help_answers_without_tensorflow():
    result = subprocess.run(
        [sys.executable, "-X", "importtime", str(ROOT / "lstm.py"), "--help"],
        cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "--epochs" in result.stdout and "--seed" in result.stdout and "--midi" in result.stdout
    assert "tensorflow" not in result.stderr


def test_bench_help():
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "bench.py"), "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "--repeats" in result.stdout


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
    result = run_lstm("--midi", str(bad_corpus(tmp_path, kind)), "--out", str(out))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("lstm.py: error: "), result.stderr
    assert "corpus.mid" in errors[0] or "nowhere.mid" in errors[0]
    assert not out.exists() and not (out.parent.exists() and any(out.parent.iterdir()))


@pytest.mark.parametrize("flags", [["--epochs", "0"], ["--epochs", "many"], ["--seed", "-1"]])
def test_bad_flags_exit_2(flags):
    result = run_lstm(*flags)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "error:" in result.stderr


def test_output_path_that_is_a_folder(tmp_path):
    result = run_lstm("--out", str(tmp_path))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1


def test_default_corpus_with_wrong_checksum(tmp_path, corpus_path):
    """A corrupt data/original_metheny.mid is reported, not trusted."""
    shutil.copytree(ROOT, tmp_path / "project", ignore=shutil.ignore_patterns(
        ".git", "output", "__pycache__", ".pytest_cache"))
    data = tmp_path / "project" / "data" / "original_metheny.mid"
    data.write_bytes(corpus_path.read_bytes()[:-10] + b"0123456789")
    result = subprocess.run([sys.executable, "lstm.py"], cwd=tmp_path / "project", env=ENV,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "checksum" in result.stderr and "Traceback" not in result.stderr


def test_download_is_https_and_pinned(tmp_path, monkeypatch):
    """Without data/original_metheny.mid, the corpus is fetched over HTTPS against its sha256."""
    import keras

    import data_utils

    monkeypatch.chdir(tmp_path)
    calls = []

    def fake_get_file(**kwargs):
        calls.append(kwargs)
        raise OSError("network unreachable")

    monkeypatch.setattr(keras.utils, "get_file", fake_get_file)
    with pytest.raises(data_utils.CorpusError, match="could not download.*--midi PATH"):
        data_utils.corpus_file()
    (call,) = calls
    assert call["origin"].startswith("https://")
    assert call["file_hash"] == "0da8322ceab36b036682b5ece0c315193f7b701a3340a0ca5a523b107c6f428d"
    assert call["hash_algorithm"] == "sha256"
