"""The preprocessing cache: used when valid, rebuilt when the file, the code or the cache changes."""

import json
import shutil

import pytest

import preprocess


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(preprocess, "CACHE_DIR", tmp_path / "cache")
    return tmp_path / "cache"


def test_cache_is_written_and_gives_the_same_corpus(corpus_path, fresh_cache, musical_data):
    chords, grammars = preprocess.get_musical_data(corpus_path)
    files = list(fresh_cache.glob("*.json"))
    assert len(files) == 1
    entry = json.loads(files[0].read_text())
    assert entry["grammars"] == grammars == musical_data[1]
    again_chords, again = preprocess.get_musical_data(corpus_path)
    assert again == grammars
    assert [[c.offset for c in g] for g in again_chords] == [[c.offset for c in g] for g in chords]
    assert [[c.pitches for c in g] for g in again_chords] == [[c.pitches for c in g] for g in chords]


def test_cache_is_trusted_only_for_its_key(corpus_path, fresh_cache, monkeypatch):
    preprocess.get_musical_data(corpus_path)
    cache_file = next(fresh_cache.glob("*.json"))
    entry = json.loads(cache_file.read_text())
    entry["grammars"][0] = "C,9.000"
    cache_file.write_text(json.dumps(entry))
    assert preprocess.get_musical_data(corpus_path)[1][0] == "C,9.000"  # the entry is used...
    monkeypatch.setattr(preprocess, "_code_version", lambda: "edited code")
    assert preprocess.get_musical_data(corpus_path)[1][0].startswith("C,0.500")  # ...until the code changes


@pytest.mark.parametrize("garbage", ["", "{not json", '{"key": 1}', "[]"])
def test_corrupt_cache_is_rebuilt(corpus_path, fresh_cache, musical_data, garbage):
    preprocess.get_musical_data(corpus_path)
    cache_file = next(fresh_cache.glob("*.json"))
    cache_file.write_text(garbage)
    assert preprocess.get_musical_data(corpus_path)[1] == musical_data[1]
    assert json.loads(cache_file.read_text())["grammars"] == musical_data[1]


def test_entries_are_keyed_by_content_and_settings(corpus_path, fresh_cache, tmp_path):
    preprocess.get_musical_data(corpus_path)
    copy = tmp_path / "same bytes, other name.mid"
    shutil.copy(corpus_path, copy)
    preprocess.get_musical_data(copy)
    assert len(list(fresh_cache.glob("*.json"))) == 1  # the same file under another name
    digest = preprocess.sha256_of(corpus_path)
    keys = {preprocess._cache_key(digest, preprocess.Options()),
            preprocess._cache_key("0" * 64, preprocess.Options()),
            preprocess._cache_key(digest, preprocess.Options(section=(1, 4))),
            preprocess._cache_key(digest, preprocess.Options(melody_part="1"))}
    assert len(keys) == 4
