"""The rules behind the course's grammar and clean-up: what kind of note a pitch is over a chord,
the grammar's token syntax, how a measure becomes tokens, and how a note is chosen inside the
corpus's register. grammar.py (parse_melody, unparse_grammar) and data_utils (generate_music)
call them; the report types notes with the same note_kind.

A token such as ``C,0.250,<M-2,m-6>`` holds the note's type relative to the chord sounding under
it (C chord tone, S scale tone, A approach tone, X anything else, R rest), its length in
quarter notes, and the range of intervals (the real interval to the previous note, widened by
a minor third each way) from which a new note may be drawn when the grammar is turned back into
notes. After Keller and Morrison's "A Grammatical Approach to Automatic Improvisation", as used by
jazzml, deepjazz and the course.
"""

import copy
import re
from bisect import bisect_right
from functools import lru_cache

from music21 import chord, interval, note, pitch, scale, stream

from jazz_improv.chord_symbols import chord_symbol_pitches, progression_events
from jazz_improv.events import make_chord
from jazz_improv.limits import MAX_TOKEN_LENGTH

# A token: type, length in quarter notes and, after a phrase's first note, an interval window.
TOKEN = re.compile(r"[CSAXR],\d{1,2}\.\d{1,3}(,<[PMmAd]{1,3}-?\d{1,2},[PMmAd]{1,3}-?\d{1,2}>)?")


INTERVAL = re.compile(r"([PMmAd]{1,3})(-?)(\d{1,2})")
# Semitones of the simple intervals, by number, for the major or perfect quality
MAJOR_OR_PERFECT = {1: 0, 2: 2, 3: 4, 4: 5, 5: 7, 6: 9, 7: 11}
PERFECT_NUMBERS = (1, 4, 5)


def is_token(text):
    """True if text is one grammar token with a length above 0 and at most MAX_TOKEN_LENGTH,
    whose interval names are intervals (semitones says which)."""
    if not isinstance(text, str) or TOKEN.fullmatch(text) is None:
        return False
    terms = text.split(",")
    return (0 < float(terms[1]) <= MAX_TOKEN_LENGTH
            and all(semitones(term.strip("<>")) is not None for term in terms[2:]))


@lru_cache(maxsize=None)
def semitones(name):
    """The semitones of an interval name such as "m-6" or "AA4", or None if it names none
    ("m19": a nineteenth is perfect, so music21 cannot build it). By the rules of interval
    naming, the same as music21's for every name it builds."""
    found = INTERVAL.fullmatch(name)
    if not found:
        return None
    quality, sign, number = found.group(1), found.group(2), int(found.group(3))
    if (number < 1 or len(set(quality)) != 1 or (quality in ("P", "M", "m") and len(quality) > 1)
            or (number == 1 and sign and quality == "P")):  # no descending perfect unison
        return None
    simple, octaves = (number - 1) % 7 + 1, (number - 1) // 7
    perfect = simple in PERFECT_NUMBERS
    if (quality == "P") != perfect and quality in ("P", "M", "m") or (quality == "M" and perfect):
        return None
    shift = {"P": 0, "M": 0, "m": -1}.get(quality[0])
    if shift is None:  # augmented or diminished, once or more
        shift = len(quality) if quality[0] == "A" else -len(quality) - (0 if perfect else 1)
    size = MAJOR_OR_PERFECT[simple] + 12 * octaves + shift
    return -size if sign else size


# Steps of the two linear scales the grammar derives, in semitones from the tonic.
SCALE_STEPS = {"major": (0, 2, 4, 5, 7, 9, 11), "dorian": (0, 2, 3, 5, 7, 9, 10)}
# The tonics music21's scale.derive tries, in its order (enharmonic spellings included).
TONICS = scale.intervalNetwork.IntervalNetwork._SCALE_STARTS


@lru_cache(maxsize=None)
def _scale_pitch_names(kind, tonic):
    scale_class = {"major": scale.MajorScale, "dorian": scale.DorianScale}[kind]
    return tuple(p.name for p in scale_class(tonic=tonic).getPitches())


@lru_cache(maxsize=None)
def _scale_names(chord_pitches, quality, weighted_blues):
    """Pitch names of the scale derived from a chord (major if the chord is major).

    For the major and Dorian scales this is music21's scale.derive, computed directly:
    derive realises the scale on each of 15 tonics and keeps the one whose pitch classes
    cover most of the chord's pitch classes (ties to the higher tonic, then the later one), which
    was slow enough to matter on every run. The tests check both agree.
    """
    kind = "major" if quality == "major" else "blues" if weighted_blues else "dorian"
    if kind == "blues":  # not a simple pitch-class set: ask music21
        derived = scale.WeightedHexatonicBlues().derive(chord.Chord(list(chord_pitches)))
        return tuple(p.name for p in derived.getPitches())
    classes = {pitch.Pitch(p).pitchClass for p in chord_pitches}  # derive counts each class once
    ranked = []
    for tonic in TONICS:
        tonic_pitch = pitch.Pitch(tonic)
        members = {(tonic_pitch.pitchClass + step) % 12 for step in SCALE_STEPS[kind]}
        ranked.append((sum(c in members for c in classes), tonic_pitch))
    ranked.sort()
    ranked.reverse()
    return _scale_pitch_names(kind, ranked[0][1].name)


def _chord_key(a_chord):
    names = tuple(p.nameWithOctave for p in a_chord.pitches)
    return names, _quality(names)


@lru_cache(maxsize=1024)
def _quality(pitch_names):
    """music21's quality of the chord of these spelled pitches (slow to find: once per chord)."""
    return chord.Chord(pitch_names).quality


def scale_names(a_chord, weighted_blues=False):
    """Pitch names of the scale the grammar derives from a chord: major for a major chord, else
    Dorian (weighted_blues: the weighted hexatonic blues scale, as the course draws scale tones)."""
    return _scale_names(*_chord_key(a_chord), weighted_blues=weighted_blues)


def is_scale_tone(a_chord, a_note):
    """True if the note's name is in the (major or Dorian) scale derived from the chord."""
    return a_note.name in scale_names(a_chord)


def is_approach_tone(a_chord, a_note):
    """True if the note is a half step above or below one of the chord's pitches."""
    return a_note.name in _approach_names(_chord_key(a_chord)[0])


@lru_cache(maxsize=1024)
def _approach_names(chord_pitch_names):
    """The names a half step above or below the chord's pitches, each spelled both ways."""
    names = set()
    for chord_pitch in map(pitch.Pitch, chord_pitch_names):
        for step in (1, -1):
            neighbour = chord_pitch.transpose(step)
            names |= {neighbour.name, neighbour.getEnharmonic().name}
    return frozenset(names)


def is_chord_tone(a_chord, a_note):
    """True if the note's name is one of the chord's pitch names."""
    return a_note.name in a_chord.pitchNames


def note_kind(a_chord, a_note):
    """The grammar's type of a note over a chord: "C" chord tone, else "S" scale tone, else "A"
    approach tone, else "X"."""
    if is_chord_tone(a_chord, a_note):
        return "C"
    if is_scale_tone(a_chord, a_note):
        return "S"
    if is_approach_tone(a_chord, a_note):
        return "A"
    return "X"


def fits(a_chord, a_note, kind):
    """True if the note may stand for a token of this type over the chord ("X" as an approach
    tone, as the course draws it)."""
    return {"C": is_chord_tone, "S": is_scale_tone}.get(kind, is_approach_tone)(a_chord, a_note)


def chord_at(chords, offset):
    """The last chord starting at or before offset, else the first chord."""
    return chords_at(chords, [offset])[0]


def chords_at(chords, offsets):
    """chord_at for each of many offsets, by a sorted search: [Chord], one per offset."""
    chords = sorted(chords, key=lambda c: c.offset)
    starts = [c.offset for c in chords]
    return [chords[max(bisect_right(starts, offset) - 1, 0)] for offset in offsets]


def measure_grammar(fullMeasureNotes, fullMeasureChords):
    """grammar.parse_melody's work (see there), here so that reading a corpus needs nothing from
    the course's modules: a measure's notes and rests and its chords -> a string of tokens."""
    measure = [e for e in fullMeasureNotes if isinstance(e, (note.Note, note.Rest))]
    chords = [c for c in fullMeasureChords if isinstance(c, chord.Chord)]
    tokens = []
    previous = None
    for element, last_chord in zip(measure, chords_at(chords, [e.offset for e in measure])):
        kind = "R" if isinstance(element, note.Rest) else note_kind(last_chord, element)
        token = f"{kind},{float(element.quarterLength):.3f}"
        if isinstance(element, note.Note):
            if previous is not None:
                token += _interval_window(previous.pitch.nameWithOctave, element.pitch.nameWithOctave)
            previous = element
        tokens.append(token)
    return " ".join(tokens)


@lru_cache(maxsize=4096)
def _interval_window(start, end):
    """",<upper,lower>": the interval from one spelled pitch to the next, a minor third wider
    each way, as the grammar writes it (the same few pairs recur all through a corpus)."""
    distance = interval.Interval(noteStart=note.Note(start), noteEnd=note.Note(end))
    upper = interval.add([distance, "m3"])
    lower = interval.subtract([distance, "m3"])
    return f",<{upper.directedName},{lower.directedName}>"


def window(previous, terms):
    """The lowest and highest pitch a token's interval window allows after the previous note,
    inside MIDI's range."""
    first, second = (interval.Interval(term.strip("<>")) for term in terms[2:4])
    upper, lower = (first, second) if first.cents > second.cents else (second, first)
    return tuple(_in_midi_range(interval.transposePitch(previous.pitch, step)) for step in (lower, upper))


def _in_midi_range(a_pitch):
    return a_pitch if 0 <= a_pitch.ps <= 127 else pitch.Pitch(midi=min(127, max(0, round(a_pitch.ps))))


# Register mode (unparse_grammar with a register). The widest step taken by choice: a perfect
# fifth; the Metheny corpus seldom leaps wider (README, "Differences from the course", item 16).
MAX_LEAP = 7
# How often the leap rule takes the pitch nearest the middle of the window (the corpus's own
# interval) rather than any pitch of the window; see _choose.
CORPUS_STEP_CHANCE = 0.5
# A phrase's first note is drawn among the fitting pitches at most this many semitones
# farther from the register's centre than the nearest one: near the centre, not always the same.
START_SPREAD = 4


def _fitting_spellings(a_chord, kind):
    """Pitch class -> a spelling of it of the token's type over the chord, as note_kind types it
    (a scale tone is no chord tone, an approach tone neither), or failing any, and for "X", one
    that fits it (fits: a chord tone may stand for a scale tone, an approach tone for an "X").

    Why the exact type: the corpus's values type each note as the report does, so drawing a
    chord tone for a scale-tone value made improvisations more "inside" than their corpus.
    The type tests look at note names only, so the answer holds in every octave; it is
    computed once per chord and type.
    """
    key = _chord_key(a_chord)
    exact = kind in ("S", "A") and _spellings_of(key, kind, exact=True)  # X: as the course draws it
    return dict(exact or _spellings_of(key, kind, exact=False))


@lru_cache(maxsize=4096)
def _spellings_of(chord_key, kind, exact):
    a_chord = chord.Chord(list(chord_key[0]))
    found = []
    for pitch_class in range(12):
        default = pitch.Pitch(midi=60 + pitch_class)
        # a chord or scale may spell the class either way (G# or A-, F or E#)
        for spelled in [default] + default.getAllCommonEnharmonics(alterLimit=1):
            a_note = note.Note(spelled.name)
            if note_kind(a_chord, a_note) == kind if exact else fits(a_chord, a_note, kind):
                found.append((pitch_class, spelled.name))
                break
    return tuple(found)


def spelled_note(midi, spellings):
    """A Note at this MIDI pitch, spelled the way `spellings` gives for its pitch class, if it does."""
    a_pitch = pitch.Pitch(midi=midi)
    wanted = spellings.get(midi % 12, a_pitch.name)
    if a_pitch.name != wanted:
        a_pitch = next(p for p in a_pitch.getAllCommonEnharmonics(alterLimit=1) if p.name == wanted)
    return note.Note(a_pitch)


def _fold(midi, low, high, spellings):
    """Move a MIDI pitch by octaves into [low, high].

    A register narrower than an octave may hold no octave of the pitch class: then the
    fitting pitch of the register nearest to the octaves of it on either side, or failing
    that the register's nearer edge.
    """
    while midi > high:
        midi -= 12
    while midi < low:
        midi += 12
    if midi <= high:
        return midi
    inside = [m for m in range(low, high + 1) if m % 12 in spellings] or [low, high]
    return min(inside, key=lambda m: (min(abs(m - midi), abs(m - midi + 12)), m))


def _choose(moves, before, bottom, top, rng, pitch_classes=None):
    """Leap rule: the next pitch among `moves`, the fitting pitches of the window [bottom, top].

    Only pitches within MAX_LEAP (a fifth) of the previous one are considered when there are
    any, and with chance CORPUS_STEP_CHANCE the one nearest the window's middle, the interval
    the corpus played, is taken (ties drawn at random). Why: the window is the corpus's
    interval widened by a minor third each way, so a uniform draw in it turns seconds into
    fourths and fourths into sevenths, while the corpus seldom leaps more than a fifth.
    The last draw is _draw's, weighted by the corpus's pitch classes when they are given.
    """
    near = [m for m in moves if abs(m - before) <= MAX_LEAP] or moves
    if rng.random() < CORPUS_STEP_CHANCE:
        middle = (bottom + top) / 2
        best = min(abs(m - middle) for m in near)
        near = [m for m in near if abs(m - middle) == best]
    return _draw(near, rng, pitch_classes)


def _draw(pitches, rng, pitch_classes):
    """One of the MIDI pitches, drawn uniformly or, given pitch_classes ({pitch class: how many
    of the corpus's notes have it}), weighted by those counts plus one. Why: a tune that dwells
    on its tonic and fifth should keep doing so rather than visit every fitting tone equally
    often; the one added keeps the draw possible where only classes the corpus never plays fit.
    """
    if not pitch_classes:
        return rng.choice(pitches)
    return rng.choices(pitches, weights=[pitch_classes.get(m % 12, 0) + 1 for m in pitches])[0]


def note_in_register(terms, kind, a_chord, previous, register, pitch_classes, rng):
    """The next note of unparse_grammar when a register (lowest, highest) is given.

    Register rule: the note is drawn (by _choose) among the pitches of the token's type that
    lie both in its interval window and in the register; when there is none, the course's
    draw from the whole window is moved by octaves into the register, as Impro-Visor does.
    A phrase's first note is drawn among the fitting pitches nearest the register's centre
    rather than in the chord's octave; a later note without a window (a measure's first note
    in the corpus) gets a window of a fifth either way of the previous note. Pitch classes the
    corpus never plays are left out while others of the type fit, and the draw among those it
    plays is weighted by how often it plays them.
    """
    low, high = register
    spellings = _fitting_spellings(a_chord, kind)
    if pitch_classes:
        spellings = {pc: name for pc, name in spellings.items() if pc in pitch_classes} or spellings

    def fitting(bottom, top):
        return [m for m in range(max(bottom, low), min(top, high) + 1) if m % 12 in spellings]

    if previous is None:
        centre = (low + high) / 2
        candidates = fitting(low, high) or list(range(low, high + 1))
        nearest = min(abs(m - centre) for m in candidates)
        starts = [m for m in candidates if abs(m - centre) <= nearest + START_SPREAD]
        return spelled_note(_draw(starts, rng, pitch_classes), spellings)
    before = int(previous.pitch.ps)
    if len(terms) == 2:  # its middle, for _choose, is the previous note: the smallest step
        bottom, top = before - MAX_LEAP, before + MAX_LEAP
    else:
        low_pitch, high_pitch = window(previous, terms)
        bottom, top = int(low_pitch.ps), int(high_pitch.ps)
    candidates = fitting(bottom, top)
    moves = [m for m in candidates if m != before]  # a repeat would be pruned away
    if moves:
        return spelled_note(_choose(moves, before, bottom, top, rng, pitch_classes), spellings)
    if candidates:
        return spelled_note(candidates[0], spellings)
    # Nothing of the right type inside: the course's draw from the whole window, folded.
    outside = [m for m in range(bottom, top + 1) if m % 12 in spellings]
    midi = rng.choice(outside) if outside else before + rng.choice([-2, 2])
    return spelled_note(_fold(midi, low, high, spellings), spellings)


def pitch_class_counts(pitch_classes):
    """{pitch class: count > 0} of a set (each class counted once) or a dict of counts; None for
    None or nothing counted."""
    if pitch_classes is None:
        return None
    counts = dict.fromkeys(pitch_classes, 1) if isinstance(pitch_classes, (set, frozenset)) else pitch_classes
    return {pc: count for pc, count in counts.items() if count > 0} or None


# --- chords under a phrase ---------------------------------------------------------------

def phrase_chords(bar_groups, first_bar, bars, beats_per_bar, held=False):
    """Chords for a phrase of `bars` bars, offsets from the phrase's start.

    bar_groups lists each bar's chords (music21 Chords); bar k of the phrase takes
    bar_groups[(first_bar + k) % len(bar_groups)], so a short progression loops.
    held: the phrase starts with the chord sounding at its start (from the nearest bar before
    it that has one) when its first bar has none on its downbeat, and a chord lasts no longer
    than the next one's start, as a tune's chords are played bar after bar.
    """
    voice = stream.Voice()
    count = len(bar_groups)
    for bar in range(bars):
        for a_chord in bar_groups[(first_bar + bar) % count]:
            voice.insert(bar * beats_per_bar + a_chord.offset % beats_per_bar, copy.deepcopy(a_chord))
    if not held:
        return voice
    starts = [c.offset for c in voice.notes]
    if not starts or min(starts) > 0:
        earlier = next((bar_groups[(first_bar - back) % count] for back in range(1, count + 1)
                        if bar_groups[(first_bar - back) % count]), None)
        if earlier:
            carried = copy.deepcopy(max(earlier, key=lambda c: c.offset % beats_per_bar))
            carried.quarterLength = min(starts, default=bars * beats_per_bar)
            voice.insert(0, carried)
    chords = sorted(voice.notes, key=lambda c: c.offset)
    for a_chord, following in zip(chords, chords[1:]):
        if following.offset > a_chord.offset:
            a_chord.quarterLength = min(a_chord.quarterLength, following.offset - a_chord.offset)
    return voice


def progression_bars(progression, beats_per_bar):
    """A chord progression (from chord_symbols.parse_progression) as one list of Chords per bar,
    each with its symbol as written in its editorial ("symbol"), for the lead sheet."""
    bars = [[] for _ in progression]
    figures = [figure for bar in progression for figure in bar if chord_symbol_pitches(figure)]
    for event, figure in zip(progression_events(progression, 0, len(progression), beats_per_bar), figures):
        made = make_chord(*event)
        made.editorial.symbol = figure
        bars[int(event.offset // beats_per_bar)].append(made)
    return bars
