"""Shared fixtures. The corpus is the course's MIDI file; tests that need it skip without it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

CORPUS = ROOT / "data" / "original_metheny.mid"
ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")


def run_lstm(*args, cwd=ROOT, timeout=240, env=None):
    """python lstm.py ARGS, as a user runs it."""
    return subprocess.run([sys.executable, str(ROOT / "lstm.py"), *map(str, args)], cwd=cwd,
                          env=env or ENV, capture_output=True, text=True, timeout=timeout)


def write(tmp_path, name, *parts, fmt="midi"):
    """Write music21 parts as one score to tmp_path / name (MIDI, or fmt); returns the path."""
    from music21 import stream

    score = stream.Score()
    for part in parts:
        score.insert(0, part)
    path = tmp_path / name
    score.write(fmt, fp=path)
    return path


@pytest.fixture(scope="session")
def corpus_path():
    if not CORPUS.is_file():
        pytest.skip("data/original_metheny.mid is missing (.ci/run copies it from ../shared)")
    return CORPUS


@pytest.fixture(scope="session")
def musical_data(corpus_path):
    from preprocess import get_musical_data

    return get_musical_data(corpus_path)


@pytest.fixture(scope="session")
def default_run(tmp_path_factory, corpus_path):
    """`python lstm.py` with every default but --out: (CompletedProcess, path of the MIDI file)."""
    out = tmp_path_factory.mktemp("default") / "my_music.midi"
    return run_lstm("--out", out), out


@pytest.fixture(scope="session")
def other_seed_run(tmp_path_factory, corpus_path):
    """The default run with --seed 1 and --no-audio."""
    out = tmp_path_factory.mktemp("seed1") / "my_music.midi"
    return run_lstm("--seed", 1, "--no-audio", "--out", out), out
