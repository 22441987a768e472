"""The preprocessing cache: used when valid, rebuilt when the file, the code or the entry changes."""

import hashlib
import json
import shutil

import pytest

import preprocess
from jazz_improv import corpus, corpus_cache
from jazz_improv.safe_files import sha256_of


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus, "CACHE_DIR", tmp_path / "cache")
    return tmp_path / "cache"


def only_entry(cache_dir):
    (path,) = cache_dir.glob("*.json")
    return path


def rewrite(path, change):
    """Change an entry's content and give it a matching checksum, as a careful forger would."""
    entry = json.loads(path.read_text())
    change(entry["content"])
    text = json.dumps(entry["content"], sort_keys=True).encode()
    entry["sha256"] = hashlib.sha256(text).hexdigest()
    path.write_text(json.dumps(entry))


def test_cache_is_written_and_gives_the_same_corpus(corpus_path, fresh_cache, musical_data):
    chords, grammars = preprocess.get_musical_data(corpus_path)
    entry = json.loads(only_entry(fresh_cache).read_text())
    assert entry["content"]["grammars"] == grammars == musical_data[1]
    again_chords, again = preprocess.get_musical_data(corpus_path)
    assert again == grammars
    assert [[c.offset for c in g] for g in again_chords] == [[c.offset for c in g] for g in chords]
    assert [[c.pitches for c in g] for g in again_chords] == [[c.pitches for c in g] for g in chords]


def test_a_changed_digit_is_not_trusted(corpus_path, fresh_cache, musical_data):
    preprocess.get_musical_data(corpus_path)
    path = only_entry(fresh_cache)
    path.write_text(path.read_text().replace("0.500", "0.600", 1))
    assert preprocess.get_musical_data(corpus_path)[1] == musical_data[1]
    assert json.loads(path.read_text())["content"]["grammars"] == musical_data[1]  # rebuilt


@pytest.mark.parametrize("change", [
    lambda c: c.update(beats_per_bar=[0, 1]),
    lambda c: c.update(beats_per_bar=[4, 0]),
    lambda c: c["grammars"].__setitem__(0, "Q,zz <<<"),
    lambda c: c["grammars"].__setitem__(0, 12),
    lambda c: c["melody"].__setitem__(0, [[1, 1], [1, 4], 999]),
    lambda c: c["melody"].__setitem__(0, [[1, 1], [0, 4], 60]),
    lambda c: c.update(melody=[]),
    lambda c: c["grammars"].pop(),  # a well-formed entry without the course's 18 measures
], ids=["zero bar", "zero denominator", "bad token", "not text", "pitch 999", "zero length",
        "no melody", "one measure short"])
def test_a_forged_entry_that_does_not_check_out_is_rebuilt(corpus_path, fresh_cache, musical_data,
                                                           change):
    preprocess.get_musical_data(corpus_path)
    rewrite(only_entry(fresh_cache), change)
    assert preprocess.get_musical_data(corpus_path)[1] == musical_data[1]


@pytest.mark.parametrize("garbage", ["", "{not json", '{"key": 1}', "[]", "null", '{"sha256": 1}'])
def test_corrupt_cache_is_rebuilt(corpus_path, fresh_cache, musical_data, garbage):
    preprocess.get_musical_data(corpus_path)
    path = only_entry(fresh_cache)
    path.write_text(garbage)
    assert preprocess.get_musical_data(corpus_path)[1] == musical_data[1]
    assert json.loads(path.read_text())["content"]["grammars"] == musical_data[1]


def test_an_edit_to_the_reading_code_makes_a_new_entry(corpus_path, fresh_cache, monkeypatch):
    preprocess.get_musical_data(corpus_path)
    monkeypatch.setattr(corpus_cache, "code_version", lambda reader: "edited code")
    preprocess.get_musical_data(corpus_path)
    assert len(list(fresh_cache.glob("*.json"))) == 2


def test_entries_are_keyed_by_content_and_settings(corpus_path, fresh_cache, tmp_path):
    preprocess.get_musical_data(corpus_path)
    copy = tmp_path / "same bytes, other name.mid"
    shutil.copy(corpus_path, copy)
    preprocess.get_musical_data(copy)
    assert len(list(fresh_cache.glob("*.json"))) == 1  # the same file under another name
    digest = sha256_of(corpus_path)
    keys = {corpus_cache.cache_key(digest, "metheny", corpus), corpus_cache.cache_key("0" * 64, "metheny", corpus),
            corpus_cache.cache_key(digest, '{"section": [1, 4]}', corpus)}
    assert len(keys) == 3


def test_the_code_version_covers_the_modules_that_read_a_corpus_and_no_others():
    """Found by following imports, not from a list of file names that a rename would outdate."""
    from jazz_improv import (audio, chord_symbols, command_line, course_preset, limits, melody_and_chords,
                             music_rules, piece_files, plots)

    behind = corpus_cache.modules_behind(corpus)
    for reader in (corpus, corpus_cache, course_preset, piece_files, melody_and_chords, chord_symbols, music_rules,
                   limits):  # limits only lends constants
        assert reader in behind, reader.__name__
    for other in (audio, plots, command_line):
        assert other not in behind, other.__name__


def test_an_unwritable_cache_only_costs_time(corpus_path, tmp_path, musical_data):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    solo = corpus.load_solo(corpus_path, cache_dir=blocker / "cache")
    assert solo.abstract_grammars == musical_data[1]
