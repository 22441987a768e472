"""Jazz chord symbols as musicians write them (Bb7, C-7, Cø7, C7alt, Dm7/G), read as MIDI pitches.

A symbol is read as

    ROOT [QUALITY] [MAJOR-SEVENTH MARK] [NUMBER] [ALTERATION ...] [/BASS]

e.g. ``Db`` ``-`` ``Δ`` ``9`` ``#11`` ``/Ab``; each part's meaning is one of the tables below.
Parentheses, commas and spaces are ignored, so ``C7(b9, #11)`` reads as ``C7b9#11``.
``N.C.`` (also ``NC``, ``N.C``) means no chord.

Spelling decisions, where real books and music21 disagree (music21 spells flats ``-``):

* A flat is written ``b`` (``Bb7``, ``Ebmaj7``); ``♭`` and ``♯`` are accepted too.
* ``-`` right after the root means minor, as real books write it: ``C-7`` is Cm7, so ``B-7``
  is B minor seventh (music21 would read B-flat seventh). After the number, ``-``/``+`` alter a
  degree the old-fashioned way: ``C7-9`` = C7b9, ``C7+5`` = C7#5; a lone trailing ``+`` is #5.
* ``Δ`` and ``^`` alone mean a major seventh chord (``CΔ`` = Cmaj7); ``maj`` and ``M`` alone
  mean a major triad, as in music21.
* ``ø`` alone is the half-diminished seventh (``Cø`` = Cø7 = Cm7b5); ``°``/``o``/``dim`` alone
  is the diminished triad and with a 7 the diminished seventh (bb7).
* 11 and 13 follow jazz practice, not the stacked-thirds textbook: on a chord with a major third
  the natural 11 clashes with the third, so ``C11`` drops the third (C9sus4: C G Bb D F) and
  ``C13``/``Cmaj13`` leave the 11 out (C E G Bb D A). Minor chords keep it (``Cm13`` has F).
* A root followed by 5 alone is a power chord, root and fifth (``C5``, ``F#5``, ``Bb5/D``), as
  chord charts write it; to alter a triad's fifth, put the alteration in parentheses
  (``C(#5)`` is C augmented, ``C(b5)`` C E Gb). music21 reads ``Bb5`` as B with a flat fifth.
* ``alt`` is a dominant seventh with every altered tension and no fifth:
  root, 3, b7, b9, #9, #11, b13 (``C7alt`` = C E Bb Db D# F# Ab).
* The first alteration of a degree replaces its natural tone, a second one joins it:
  ``C13b9`` has Db instead of D; ``C7b9#9`` has both.

Voicing (as earlier versions voiced symbols, so earlier outputs stay the same): tones are
stacked above the root, and the whole chord is moved by octaves so its lowest note lies in MIDI
48..59, the octave below middle C. A slash chord's bass takes over that pitch class from the
upper voices and goes below them, so it is the lowest note and lies in 48..59.
"""

import re
from fractions import Fraction
from functools import lru_cache

from jazz_improv.console import InputError, quoted
from jazz_improv.events import Event

_EXAMPLES = "C, Dm7, G7, Cmaj7, F#m7b5, Bb7, Ebmaj7"
_LOWEST = 48  # C3, the octave below middle C

_LETTERS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_ACCIDENTALS = {"": 0, "b": -1, "#": 1}

# Quality -> (third, fifth, seventh, seventh implied without a number); semitones above the root.
_QUALITIES = {
    "": (4, 7, 10, False),
    "m": (3, 7, 10, False), "mi": (3, 7, 10, False), "min": (3, 7, 10, False),
    "-": (3, 7, 10, False),
    "dim": (3, 6, 9, False), "°": (3, 6, 9, False), "o": (3, 6, 9, False),
    "ø": (3, 6, 10, True),
    "aug": (4, 8, 10, False), "+": (4, 8, 10, False),
}

# Major-seventh mark -> seventh implied without a number (the triangle is read as maj7 on its own).
_MAJOR_MARKS = {"maj": False, "Maj": False, "MAJ": False, "ma": False, "Ma": False, "MA": False,
                "M": False, "Δ": True, "^": True}

# Number -> extra tones as {degree: semitones}; "7" stands for the quality's seventh.
_NUMBERS = {
    "6": {"6": 9},
    "69": {"6": 9, "9": 14},
    "7": {"7": None},
    "9": {"7": None, "9": 14},
    "11": {"7": None, "9": 14, "11": 17},
    "13": {"7": None, "9": 14, "13": 21},
}

# Alteration -> (degree, semitones, replaces the degree's natural tone).
_ALTERATIONS = {
    "b5": ("5", 6, True), "#5": ("5", 8, True), "-5": ("5", 6, True), "+5": ("5", 8, True),
    "+": ("5", 8, True),
    "b9": ("9", 13, True), "#9": ("9", 15, True), "-9": ("9", 13, True), "+9": ("9", 15, True),
    "#11": ("11", 18, True), "+11": ("11", 18, True),
    "b13": ("13", 20, True), "-13": ("13", 20, True),
    "sus": ("3", 5, True), "sus4": ("3", 5, True), "sus2": ("3", 2, True),
    "add2": ("2", 2, False), "add4": ("4", 5, False), "add6": ("6", 9, False),
    "add9": ("9", 14, False), "add11": ("11", 17, False), "add13": ("13", 21, False),
    "alt": None,
}
_ALT_TONES = {"7": {10}, "9": {13, 15}, "11": {18}, "13": {20}}

# Typographic variants people paste from lead sheets, and decoration that carries no meaning
# (but for a power chord: C5 is one, C(5) is not).
_TYPOGRAPHY = str.maketrans({"♭": "b", "♯": "#", "∆": "Δ", "△": "Δ", "Ø": "ø", "º": "°", "−": "-"})
_NORMALISE = _TYPOGRAPHY | str.maketrans({"(": None, ")": None, ",": None, " ": None})


def _alternatives(table):
    # Longest first, so that e.g. "min" is tried before "m" and "69" before "6".
    return "|".join(re.escape(key) for key in sorted(table, key=len, reverse=True) if key)


_NOTE = r"[A-G][b#]?"
_ALTERATION = _alternatives(_ALTERATIONS)
_POWER_CHORD = re.compile(rf"(?P<root>{_NOTE})5(?:/(?P<bass>{_NOTE}))?")
_SYMBOL = re.compile(
    rf"(?P<root>{_NOTE})(?P<quality>{_alternatives(_QUALITIES)})?"
    rf"(?P<major>{_alternatives(_MAJOR_MARKS)})?(?P<number>{_alternatives(_NUMBERS)})?"
    rf"(?P<alterations>(?:{_ALTERATION})*)(?:/(?P<bass>{_NOTE}))?"
)


def _pitch_class(note):
    return (_LETTERS[note[0]] + _ACCIDENTALS[note[1:]]) % 12


def _tones(match):
    """Semitones above the root that the parsed symbol names."""
    third, fifth, seventh, has_seventh = _QUALITIES[match["quality"] or ""]
    if match["major"]:
        seventh, has_seventh = 11, has_seventh or _MAJOR_MARKS[match["major"]]
    # Kept per degree so that an alteration can replace its degree's natural tone.
    tones = {"1": {0}, "3": {third}, "5": {fifth}}
    if has_seventh:
        tones["7"] = {seventh}
    for degree, semitones in _NUMBERS.get(match["number"], {}).items():
        tones[degree] = {seventh if semitones is None else semitones}
    # The natural 11 clashes with a major third: C11 is played without the third, C13 without
    # the 11; over a minor third the 11 is a fine tension, so m13 keeps it.
    if match["number"] == "11" and third == 4:
        del tones["3"]
    if match["number"] == "13" and third == 3:
        tones["11"] = {17}
    altered = set()
    for token in re.findall(_ALTERATION, match["alterations"]):
        if _ALTERATIONS[token] is None:  # alt: #11 and b13 stand in for the fifth
            tones.pop("5", None)
            tones.update({degree: set(semitones) for degree, semitones in _ALT_TONES.items()})
            altered.update(_ALT_TONES)
            continue
        degree, semitones, replaces = _ALTERATIONS[token]
        if replaces and degree not in altered:
            tones[degree] = set()
            altered.add(degree)
        tones.setdefault(degree, set()).add(semitones)
    return set().union(*tones.values())


@lru_cache(maxsize=None)  # a progression names the same few chords over and over
def chord_symbol_pitches(figure: str) -> tuple[int, ...]:
    """Sorted MIDI pitches of a jazz chord symbol, lowest note in 48..59; () for N.C.

    Raises InputError naming the symbol when it cannot be read.
    """
    power = _POWER_CHORD.fullmatch(figure.strip().translate(_TYPOGRAPHY))
    text = figure.strip().translate(_NORMALISE).replace("6/9", "69")
    if text.replace(".", "").upper() == "NC":
        return ()
    match = power or _SYMBOL.fullmatch(text)
    if not match:
        raise InputError(f"unknown chord symbol {quoted(figure)} (try e.g. {_EXAMPLES})")
    root = _pitch_class(match["root"])
    pitches = sorted(_LOWEST + root + semitones for semitones in ({0, 7} if power else _tones(match)))
    if match["bass"] and _pitch_class(match["bass"]) != root:
        bass = _pitch_class(match["bass"])
        pitches = [p for p in pitches if p % 12 != bass]
        pitches.insert(0, pitches[0] - ((pitches[0] - bass) % 12 or 12))
    shift = 12 * ((pitches[0] - _LOWEST) // 12)
    return tuple(p - shift for p in pitches)


def parse_progression(text: str) -> tuple[tuple[str, ...], ...]:
    """Chord bars from text such as "Dm7 G7 | Cmaj7 | A7" (one chord per bar if there is no "|").

    Returns a tuple of bars, each a tuple of chord-symbol figures; "N.C." may stand for a chord.
    Raises InputError for empty text or bars, for N.C. alone, or naming the first symbol it
    cannot read.
    """
    bars = [bar.split() for bar in text.split("|")] if "|" in text else [[s] for s in text.split()]
    if not bars or any(not bar for bar in bars):
        raise InputError(f"--chords {quoted(text)}: give chord symbols, bars separated by |")
    if not any([chord_symbol_pitches(figure) for bar in bars for figure in bar]):
        raise InputError(f"--chords {quoted(text)}: no chord sounds in it (N.C. alone); give at least one chord")
    return tuple(tuple(bar) for bar in bars)


def progression_events(progression, first_bar: int, bar_count: int, beats_per_bar):
    """Chords of a progression looped over bars first_bar .. first_bar + bar_count - 1.

    Returns [Event] with offsets and lengths in beats as Fractions; the chords
    of a bar share it equally, and an N.C. keeps its share of the bar silent.
    """
    events = []
    for bar in range(first_bar, first_bar + bar_count):
        figures = progression[(bar - first_bar) % len(progression)]
        length = Fraction(beats_per_bar) / len(figures)
        for i, figure in enumerate(figures):
            pitches = chord_symbol_pitches(figure)
            if pitches:
                events.append(Event(bar * beats_per_bar + i * length, length, tuple(pitches)))
    return events


# --- naming chords ------------------------------------------------------------------------

# Root names as jazz charts spell them (flats for the black keys but F#).
ROOT_NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
# The chords a name is chosen among, as semitones above the root, simplest first; each is a
# symbol chord_symbol_pitches reads back to the same pitch classes.
_NAMED_QUALITIES = (
    ("", (0, 4, 7)), ("m", (0, 3, 7)), ("7", (0, 4, 7, 10)), ("maj7", (0, 4, 7, 11)), ("m7", (0, 3, 7, 10)),
    ("6", (0, 4, 7, 9)), ("m6", (0, 3, 7, 9)), ("m7b5", (0, 3, 6, 10)), ("dim", (0, 3, 6)),
    ("dim7", (0, 3, 6, 9)), ("aug", (0, 4, 8)), ("sus4", (0, 5, 7)), ("7sus4", (0, 5, 7, 10)),
    ("mmaj7", (0, 3, 7, 11)), ("9", (0, 2, 4, 7, 10)), ("maj9", (0, 2, 4, 7, 11)), ("m9", (0, 2, 3, 7, 10)),
    ("69", (0, 2, 4, 7, 9)), ("7b9", (0, 1, 4, 7, 10)), ("7#9", (0, 3, 4, 7, 10)), ("7#5", (0, 4, 8, 10)),
    ("13", (0, 2, 4, 7, 9, 10)), ("m11", (0, 2, 3, 5, 7, 10)), ("5", (0, 7)),
)


@lru_cache(maxsize=4096)
def chord_name(midi_pitches):
    """A jazz chord symbol for sounding pitches (a tuple of MIDI numbers), e.g. "Abmaj9"; "" for
    none.

    Each root and quality of the table above is scored by the pitch classes it explains, less
    one for each it leaves out and half a one for each of its own that does not sound (a
    missing fifth a quarter); ties go to the root in the bass, then to the simpler chord. No
    slash: the lowest note of a comping voicing is no bass line (with --band the bass plays
    the roots).
    """
    if not midi_pitches:
        return ""
    root, quality = _best_name(midi_pitches)
    return ROOT_NAMES[root] + quality


def chord_root(midi_pitches):
    """The pitch class of the root chord_name finds for sounding pitches (a non-empty tuple)."""
    return _best_name(midi_pitches)[0]


@lru_cache(maxsize=4096)
def _best_name(midi_pitches):
    """(root pitch class, quality) of the best-scoring chord of the table (see chord_name)."""
    classes = {p % 12 for p in midi_pitches}
    bass = min(midi_pitches) % 12
    best = None
    for rank, (quality, steps) in enumerate(_NAMED_QUALITIES):
        for root in range(12):
            tones = {(root + step) % 12 for step in steps}
            missing = tones - classes
            score = (len(classes & tones) - len(classes - tones)
                     - sum(0.25 if (m - root) % 12 == 7 else 0.5 for m in missing))
            key = (score, root == bass, -rank)
            if best is None or key > best[0]:
                best = (key, root, quality)
    return best[1], best[2]
