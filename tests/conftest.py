"""Shared fixtures. The corpus is the course's MIDI file; tests that need it skip without it."""

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

CORPUS = ROOT / "data" / "original_metheny.mid"


@pytest.fixture(scope="session")
def corpus_path():
    if not CORPUS.is_file():
        pytest.skip("data/original_metheny.mid is missing (.ci/run copies it from ../shared)")
    return CORPUS


@pytest.fixture(scope="session")
def musical_data(corpus_path):
    from preprocess import get_musical_data

    return get_musical_data(corpus_path)
