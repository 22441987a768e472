"""The corpus's rhythm, kept with its vocabulary as the register is, and laid over improvised
values.

The course's values hold each note's length but not when the next note starts: reading the
Metheny solo keeps only its notes, so its rests, and the triplet positions they lead to, are
lost. Here every note of the corpus gives one *onset gap*: how long after it the next note (or
rest) starts, counted with where in the beat it starts and how long it is. An improvised phrase
draws each value's gap from the corpus's gaps for the same length at the same place in the beat,
so its onsets land only where the corpus's land (on the beat, on sixteenths, on eighth-note
triplets) and it falls silent as often as the corpus does. Rests the model predicts as values
(a lead sheet's, say) are kept no more often than the corpus has rests as long: a model that
keeps replaying the one bar where a tune rests would otherwise rest in every phrase.

Times are counted in ticks, twelfths of a quarter note: sixteenths (3 ticks) and eighth-note
triplets (4 ticks) both fall on them, as they do in every piece read through the course's MIDI
grid (music21's quarter-length divisors 4 and 3).
"""

from collections import Counter
from fractions import Fraction
from typing import NamedTuple

from music21 import note

TICKS = 12  # ticks per quarter note
# A cut phrase ends this many ticks before its last bar line, so that the next one is heard to begin.
BREATH = TICKS
# The shortest note the course's grid writes (the corpus's shortest): a note is not cut shorter
SIXTEENTH = Fraction(1, 4)


class Rhythm(NamedTuple):
    """gaps: {(length, position): {gap: count}}, all in ticks, position being where in the beat a
    note or rest starts (0 to TICKS - 1) and gap how long after its start the next one starts;
    openings: the note values that start on a beat, each once: those opening a measure first,
    then the others, each in the corpus's order (a phrase starts with a note, not a rest);
    silences: {length: count} of the times no note of the corpus's melody sounds, in ticks,
    between its first note's start and its last note's end (None: not known, as in a vocabulary
    saved before they were kept); span: the ticks from that start to that end."""

    gaps: dict
    openings: tuple
    silences: dict | None = None
    span: int = 0


def ticks(quarter_length):
    """A length or offset in quarter notes as a whole number of ticks (the nearest)."""
    return round(Fraction(quarter_length) * TICKS)


def token_length(text):
    """The length a grammar token writes ("0.333") as an exact Fraction: the twelfth of a quarter
    note it rounds (1/3) when it is one to the grammar's three decimals, else the decimal
    itself (0.125 stays 1/8)."""
    written = Fraction(text)
    nearest = Fraction(round(written * TICKS), TICKS)
    return nearest if abs(written - nearest) < Fraction(1, 1000) else written


def _format(length):
    return f"{float(length):.3f}"


def corpus_rhythm(elements, abstract_grammars):
    """The Rhythm of a corpus.

    Arguments:
        elements -- its melody's Notes and Rests on one clock, in time order (corpus.solo_timeline),
                    one for each of the grammars' tokens
        abstract_grammars -- its measures' grammar strings
    Returns:
        Rhythm; simultaneous notes give no gap, the last note none either.
    """
    silences, span = melody_silences([e for e in elements if isinstance(e, note.Note)])
    elements = [e for e in elements if isinstance(e, (note.Note, note.Rest))]
    gaps = {}
    for element, following in zip(elements, elements[1:]):
        gap = ticks(following.offset) - ticks(element.offset)
        if gap > 0:
            key = (ticks(element.quarterLength), ticks(element.offset) % TICKS)
            gaps.setdefault(key, Counter())[gap] += 1
    measure_openings = [grammar.split(" ")[0] for grammar in abstract_grammars if grammar]
    tokens = " ".join(abstract_grammars).split()
    on_beats = [token for token, element in zip(tokens, elements) if ticks(element.offset) % TICKS == 0]
    starts = measure_openings + (on_beats if len(tokens) == len(elements) else [])
    openings = tuple(dict.fromkeys(value for value in starts if not value.startswith("R")))
    return Rhythm({key: dict(counts) for key, counts in gaps.items()}, openings, silences, span)


def melody_silences(notes):
    """({length: count} of the silences between notes, ticks from the first start to the last
    end), lengths in ticks; a silence is a time in which no note sounds, so overlapping notes
    leave none. ({}, 0) without notes."""
    spans = sorted((ticks(n.offset), ticks(n.offset + n.quarterLength)) for n in notes)
    if not spans:
        return {}, 0
    silences = Counter()
    reach = spans[0][0]
    for start, end in spans:
        if start > reach:
            silences[start - reach] += 1
        reach = max(reach, end)
    return dict(silences), reach - spans[0][0]


def draw_gap(gaps, length, position, rng):
    """The ticks from a value's start to the next one's, drawn from the corpus's gaps (dict as
    in Rhythm.gaps) after values of this length starting at this position in the beat, weighted
    by how often the corpus has each; failing those, after any value at this position that
    lasts at least as long, then any at this position; failing all, the value's own length."""
    counts = gaps.get((length, position))
    if not counts:
        here = [(key, found) for key, found in gaps.items() if key[1] == position]
        counts = Counter()
        for (other, _), found in here:
            if other >= length:
                counts.update(found)
        if not counts:
            for _, found in here:
                counts.update(found)
    if not counts:
        return length
    choices = sorted(counts)
    return rng.choices(choices, weights=[counts[gap] for gap in choices])[0]


def breathe(grammar, gaps, rng, start=0):
    """Lay a grammar string on the corpus's rhythm: each value's next one starts after a gap
    drawn by draw_gap, a rest filling the time a note leaves, a note cut short where the next
    starts sooner.

    Arguments:
        grammar -- space-separated tokens ("C,0.333,<m2,P-4> S,0.250 ...")
        gaps -- Rhythm.gaps
        rng -- a random.Random
        start -- the position in the beat of the first value, in ticks
    Returns:
        the grammar string with those lengths and R tokens; tokens that fall into the next
        beat's first position keep its grid, so a triplet group drawn from the corpus stays whole
    """
    laid = []
    position = start
    for token in grammar.split(" "):
        terms = token.split(",")
        length = ticks(token_length(terms[1]))
        gap = draw_gap(gaps, max(length, 1), position % TICKS, rng)
        if terms[0] == "R":
            terms[1] = _format(Fraction(gap, TICKS))
        else:
            terms[1] = _format(Fraction(min(length, gap) or gap, TICKS))
        laid.append(",".join(terms))
        if terms[0] != "R" and gap > length > 0:
            laid.append(f"R,{_format(Fraction(gap - length, TICKS))}")
        position += gap
    return " ".join(laid)


def let_ring(elements, lengths):
    """Let a note that the next one follows within less than a sixteenth sound on into it, up
    to a sixteenth (or its own length, if shorter), as the corpus's notes do there: breathe cut
    it at the next onset, which can leave a blip a twelfth of a beat long. Never past the start
    of the note after the next one; a note cut to a sixteenth or more keeps its cut length, so
    no line rings over its next note by as much as a sixteenth.

    Arguments:
        elements -- Notes and Rests in time order, one for each token of a laid grammar string
                    (as grammar.unparse_grammar makes them)
        lengths -- each Note's own length in quarter notes, in order: its value's before
                   breathe laid it
    Returns:
        the elements, as a list; a note followed by a rest, or by nothing, keeps its length
    """
    elements = list(elements)
    notes = [e for e in elements if isinstance(e, note.Note)]
    place = {id(e): i for i, e in enumerate(elements)}
    for played, length in zip(notes, lengths):
        i = place[id(played)]
        ring = min(length, SIXTEENTH)
        if played.quarterLength >= ring or i + 1 == len(elements) or not isinstance(elements[i + 1], note.Note):
            continue
        following = elements[i + 1]
        until = elements[i + 2].offset if i + 2 < len(elements) else following.offset + following.quarterLength
        played.quarterLength = max(played.quarterLength, min(ring, until - played.offset))
    return elements


def hold_long_rests(grammar, rhythm, shortest, start, kept):
    """Keep long rests no more often than the corpus has them.

    A rest of at least `shortest` ticks (the grammar's R tokens in a row) is kept while the
    piece has had fewer such rests than the corpus would have had in as much music, counted
    up to where it starts and rounded up; otherwise the note before it is held through it, so
    every onset stays where it was. The corpus's rate is rhythm.silences' count of silences at
    least that long per rhythm.span ticks.

    Arguments:
        grammar -- a phrase's grammar string, its lengths as breathe lays them
        rhythm -- the corpus's Rhythm; nothing changes when its silences are None
        shortest -- the length in ticks from which a rest counts as long (half a bar, say)
        start -- where the phrase starts in the piece, in ticks
        kept -- how many long rests the piece has kept before this phrase
    Returns:
        (the grammar string, the long rests kept so far); a rest that ends the phrase is left
        as it is and not counted (the phrase's end decides what becomes of it)
    """
    if rhythm is None or rhythm.silences is None:
        return grammar, kept
    corpus_long = sum(count for length, count in rhythm.silences.items() if length >= shortest)
    # in quarter notes, exactly: a length off the grid moves no onset
    laid, rests, rest_start, position = [], [], Fraction(start, TICKS), Fraction(start, TICKS)
    for token in grammar.split(" "):  # rests: the R tokens since the last note
        terms = token.split(",")
        if terms[0] == "R":
            rest_start = rest_start if rests else position
            rests.append(token)
        else:
            if not rests or (position - rest_start) * TICKS < shortest or not laid:
                laid += rests
            elif kept * rhythm.span < rest_start * TICKS * corpus_long:  # fewer than the corpus's, rounded up
                laid += rests
                kept += 1
            else:  # the note before, laid[-1], is held through the rest
                held = laid[-1].split(",")
                held[1] = _format(token_length(held[1]) + position - rest_start)
                laid[-1] = ",".join(held)
            rests = []
            laid.append(token)
        position += token_length(terms[1])
    return " ".join(laid + rests), kept
