"""The preprocessing cache: a parsed corpus file kept as plain JSON, trusted only when it checks out.

Parsing a file and its grammar takes a second or more. The result is kept under a key made of
the file's sha256, the reading options and the hash of the code that reads it (every module of
the package that the reading module uses, found by following its imports), so an edit to that
code or other options make a new entry. Every entry carries the sha256 of its own content
and is validated field by field when read: anything wrong (a changed digit, a zero bar length,
a grammar token that is not one) makes the entry absent, and the corpus is parsed again.
"""

import ast
import hashlib
import json
import sys
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

from jazz_improv.events import is_midi_pitch
from jazz_improv.limits import MAX_CACHE_ENTRY_BYTES
from jazz_improv.music_rules import is_token
from jazz_improv.safe_files import read_untrusted_json, write_atomically

PACKAGE = __name__.rpartition(".")[0]
MAX_NOTE_CHARACTERS = 2_000  # a file's name and a few words


def modules_behind(module):
    """The package's modules that `module` uses, itself included, found by following the import
    statements in their source (constants such as limits' count too)."""
    found, waiting = {}, [module.__name__]
    while waiting:
        name = waiting.pop()
        if name in found:
            continue
        found[name] = sys.modules[name]
        tree = ast.parse(Path(found[name].__file__).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            waiting += [n for n in names if n.startswith(PACKAGE + ".") and n in sys.modules]
    return [found[name] for name in sorted(found)]


@lru_cache(maxsize=None)
def code_version(module):
    """Hash of the code behind `module` (modules_behind): editing any of it makes new keys."""
    digest = hashlib.sha256()
    for used in modules_behind(module):
        digest.update(used.__name__.encode())
        digest.update(Path(used.__file__).read_bytes())
    return digest.hexdigest()


def cache_key(file_digest, settings, reader):
    """The key of a file's entry: its sha256, how it is read (a string) and the hash of the code
    behind the reading module `reader`."""
    return hashlib.sha256(f"{file_digest} {settings} {code_version(reader)}".encode()).hexdigest()


def _fraction(pair, positive=False):
    numerator, denominator = pair
    if type(numerator) is not int or type(denominator) is not int or denominator <= 0:
        raise ValueError("not a fraction")
    value = Fraction(numerator, denominator)
    if value < 0 or (positive and value == 0):
        raise ValueError("out of range")
    return value


def _pitch(value):
    if not is_midi_pitch(value):
        raise ValueError("not a MIDI pitch")
    return value


def _content_digest(content):
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def read_entry(cache_dir, key):
    """(melody, harmony, grammars, beats_per_bar, note) cached under key, or None if absent or
    not valid.

    melody is a list of (offset, length, pitch or None), harmony of (offset, length, [pitches]),
    offsets and lengths as Fractions; grammars one string per measure; note the line the run
    prints about the piece's harmony, or None.
    """
    try:
        entry = read_untrusted_json(Path(cache_dir) / f"{key}.json", MAX_CACHE_ENTRY_BYTES)
    except (OSError, ValueError):
        return None
    try:
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
        note = content["note"]
        if not melody or not grammars or beats_per_bar > 64:
            return None
        if note is not None and not (isinstance(note, str) and len(note) <= MAX_NOTE_CHARACTERS):
            return None
        return melody, harmony, grammars, beats_per_bar, note
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None


def write_entry(cache_dir, key, melody, harmony, grammars, beats_per_bar, note=None):
    """Keep a parsed file under key; a folder that cannot be written only costs the next run time."""
    def pair(value):
        return [value.numerator, value.denominator]

    content = {
        "key": key,
        "melody": [[pair(o), pair(q), p] for o, q, p in melody],
        "harmony": [[pair(o), pair(q), list(ps)] for o, q, ps in harmony],
        "grammars": list(grammars),
        "beats_per_bar": pair(beats_per_bar),
        "note": note,
    }
    text = json.dumps({"sha256": _content_digest(content), "content": content})
    try:
        write_atomically(Path(cache_dir) / f"{key}.json",
                         lambda temporary: Path(temporary).write_text(text))
    except OSError:
        pass
