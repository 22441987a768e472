"""The preprocessing cache: a parsed corpus file kept as plain JSON, trusted only when it checks out.

Parsing a file and its grammar takes a second or more. The result is kept under a key made of
the file's sha256, the reading options and the hash of the code that reads it, so an edit to
that code or other options make a new entry. Every entry carries the sha256 of its own content
and is validated field by field when read: anything wrong (a changed digit, a zero bar length,
a grammar token that is not one) makes the entry absent, and the corpus is parsed again.
"""

import hashlib
import json
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

from atomic_files import write_atomically
from grammar import is_token

CACHE_DIR = Path("data/.cache")
MAX_ENTRY_BYTES = 64 << 20  # far above any real entry (the Metheny solo's is 20 kB)
# The modules whose code decides what an entry holds: editing one invalidates the cache.
READER_MODULES = ("preprocess.py", "piece_reader.py", "course_corpus.py", "melody_extraction.py",
                  "chord_symbols.py", "grammar.py", "corpus_cache.py")


def sha256_of(path):
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


@lru_cache(maxsize=1)
def code_version():
    """Hash of the code that reads a corpus."""
    digest = hashlib.sha256()
    for name in READER_MODULES:
        module = Path(__file__).with_name(name)
        if module.is_file():
            digest.update(module.read_bytes())
    return digest.hexdigest()


def cache_key(file_digest, settings):
    """The key of a file's entry: its sha256, how it is read (a string) and the code's hash."""
    return hashlib.sha256(f"{file_digest} {settings} {code_version()}".encode()).hexdigest()


def _fraction(pair, positive=False):
    numerator, denominator = pair
    if type(numerator) is not int or type(denominator) is not int or denominator <= 0:
        raise ValueError("not a fraction")
    value = Fraction(numerator, denominator)
    if value < 0 or (positive and value == 0):
        raise ValueError("out of range")
    return value


def _pitch(value):
    if type(value) is not int or not 0 <= value <= 127:
        raise ValueError("not a MIDI pitch")
    return value


def _content_digest(content):
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def read_entry(cache_dir, key):
    """(melody, harmony, grammars, beats_per_bar) cached under key, or None if absent or not valid.

    melody is a list of (offset, length, pitch or None), harmony of (offset, length, [pitches]),
    offsets and lengths as Fractions; grammars one string per measure.
    """
    path = Path(cache_dir) / f"{key}.json"
    try:
        if not path.is_file() or path.stat().st_size > MAX_ENTRY_BYTES:
            return None
        entry = json.loads(path.read_text())
        content = entry["content"]
        if entry["sha256"] != _content_digest(content) or content["key"] != key:
            return None
        melody = [(_fraction(o), _fraction(q, positive=True), None if p is None else _pitch(p))
                  for o, q, p in content["melody"]]
        harmony = [(_fraction(o), _fraction(q), [_pitch(p) for p in ps]) for o, q, ps in content["harmony"]]
        grammars = content["grammars"]
        if not all(isinstance(g, str) and all(is_token(t) for t in g.split(" ")) for g in grammars):
            return None
        beats_per_bar = _fraction(content["beats_per_bar"], positive=True)
        if not melody or not grammars or beats_per_bar > 64:
            return None
        return melody, harmony, grammars, beats_per_bar
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None


def write_entry(cache_dir, key, melody, harmony, grammars, beats_per_bar):
    """Keep a parsed file under key; a folder that cannot be written only costs the next run time."""
    def pair(value):
        return [value.numerator, value.denominator]

    content = {
        "key": key,
        "melody": [[pair(o), pair(q), p] for o, q, p in melody],
        "harmony": [[pair(o), pair(q), list(ps)] for o, q, ps in harmony],
        "grammars": list(grammars),
        "beats_per_bar": pair(beats_per_bar),
    }
    text = json.dumps({"sha256": _content_digest(content), "content": content})
    try:
        write_atomically(Path(cache_dir) / f"{key}.json",
                         lambda temporary: Path(temporary).write_text(text))
    except OSError:
        pass
