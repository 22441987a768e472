"""How good is it: simple, well-known measures of a melody over its chords.

Each measure is computed the same way for the corpus's melody and for the generated one,
so the two can be compared side by side. melody_metrics measures one melody; compare
derives what needs both (the corpus's register, histogram overlaps) from two such dicts,
so it works as well on dicts read back from report.json.
"""

import json
import math
from collections import Counter
from fractions import Fraction
from pathlib import Path

from music21 import note

from jazz_improv.music_rules import chords_at, note_kind
from jazz_improv.rhythm import TICKS, melody_silences, ticks
from jazz_improv.safe_files import write_atomically

# Note lengths, in ticks (twelfths of a quarter note): the lengths of jazz notation by name,
# triplets apart from sixteenths and eighths, then whatever falls between them.
NAMED_LENGTHS = {3: "1/16", 4: "1/8 triplet", 6: "1/8", 8: "1/4 triplet", 9: "dotted 1/8", 12: "1/4",
                 18: "dotted 1/4", 24: "1/2"}
LENGTH_BINS = ["shorter", *NAMED_LENGTHS.values(), "other", "longer"]
# Where in the beat a note starts, in ticks: on it, on a sixteenth after it, on a triplet eighth.
ONSET_PLACES = {0: "beat", 3: "sixteenth", 6: "sixteenth", 9: "sixteenth", 4: "triplet", 8: "triplet"}
ONSET_BINS = ["beat", "sixteenth", "triplet", "other"]
PITCH_CLASSES = ("C", "C#", "D", "E-", "E", "F", "F#", "G", "G#", "A", "B-", "B")
# Absolute steps in semitones, one bin each up to an octave, then everything wider.
STEP_BINS = [str(s) for s in range(13)] + [">12"]
FIFTH, OCTAVE, MINOR_THIRD = 7, 12, 3


def _shares(counter, labels, total):
    return {label: counter[label] / total for label in labels}


def _length_bin(quarter_length):
    length = ticks(quarter_length)
    if length in NAMED_LENGTHS:
        return NAMED_LENGTHS[length]
    return "shorter" if length < 3 else "longer" if length > 24 else "other"


def _entropy(counter):
    total = sum(counter.values())
    return -sum(c / total * math.log2(c / total) for c in counter.values()) + 0.0


def rhythm_metrics(notes):
    """Where the notes start and how long the silences between them last.

    Arguments:
        notes -- music21 Notes in time order
    Returns:
        dict: onset_histogram (ONSET_BINS -> share of notes), triplet_onset_share, gap_entropy
        (bits, of the time from one onset to the next, in ticks; chords' notes at one onset
        count once), silence_share (of the time from the first onset to the last note's end,
        the share in which no note sounds); {} without notes
    """
    if not notes:
        return {}
    onsets = [ticks(n.offset) for n in notes]
    places = Counter(ONSET_PLACES.get(onset % TICKS, "other") for onset in onsets)
    distinct = sorted(set(onsets))
    gaps = Counter(b - a for a, b in zip(distinct, distinct[1:]))
    silences, whole = melody_silences(notes)
    return {"onset_histogram": _shares(places, ONSET_BINS, len(notes)),
            "triplet_onset_share": places["triplet"] / len(notes),
            "gap_entropy": _entropy(gaps) if gaps else 0.0,
            "silence_share": sum(length * count for length, count in silences.items()) / whole if whole else 0.0}


def harmony_change_share(chords, beats_per_bar):
    """The share of bars (after the first with a chord) whose harmony differs from the bar
    before: the pitch classes of each chord starting in the bar, in order, repeats joined, or of
    the chord held into it when none starts. None with fewer than two such bars."""
    chords = sorted(chords, key=lambda c: c.offset)
    if not chords:
        return None
    bar_length = Fraction(beats_per_bar)
    first, last = (int(Fraction(c.offset) // bar_length) for c in (chords[0], chords[-1]))
    harmonies = []
    for bar in range(first, last + 1):
        start, end = bar * bar_length, (bar + 1) * bar_length
        sounding = [c for c in chords if start <= c.offset < end] or [c for c in chords if c.offset < start][-1:]
        classes = [frozenset(p.pitchClass for p in c.pitches) for c in sounding]
        harmonies.append(tuple(k for i, k in enumerate(classes) if i == 0 or k != classes[i - 1]))
    if len(harmonies) < 2:
        return None
    return sum(a != b for a, b in zip(harmonies, harmonies[1:])) / (len(harmonies) - 1)


def originality(phrases, corpus_values):
    """How much of the improvised values is copied from the corpus.

    Arguments:
        phrases -- each phrase's values (lists of tokens), as generate_music's `values` gives them
        corpus_values -- the corpus's values in order (preprocess.get_corpus_data's corpus)
    Returns:
        dict: copied_4gram_share and copied_8gram_share (of the phrases' runs of 4 and 8
        values, the share found in the corpus; None if no phrase is that long), longest_copy
        (the longest run of a phrase found in the corpus, in values), distinct_phrase_share
        (distinct phrases over phrases)
    """
    corpus_values = tuple(corpus_values)

    def grams(sequence, n):
        return {tuple(sequence[i:i + n]) for i in range(len(sequence) - n + 1)}

    def copied(n):
        runs = [tuple(p[i:i + n]) for p in phrases for i in range(len(p) - n + 1)]
        if not runs:
            return None
        found = grams(corpus_values, n)
        return sum(run in found for run in runs) / len(runs)

    # the longest copy by halving: a run of n found in the corpus holds one of n - 1 too
    low, high = 0, min(max((len(p) for p in phrases), default=0), len(corpus_values))
    while low < high:
        n = (low + high + 1) // 2
        found = grams(corpus_values, n)
        if any(run in found for p in phrases for run in grams(p, n)):
            low = n
        else:
            high = n - 1
    return {"copied_4gram_share": copied(4), "copied_8gram_share": copied(8), "longest_copy": low,
            "distinct_phrase_share": len({tuple(p) for p in phrases}) / len(phrases) if phrases else None}


def melody_metrics(notes, chords, beats_per_bar=4):
    """Measures of a melody.

    Arguments:
        notes -- music21 Notes in time order, offsets on the same clock as the chords
        chords -- music21 Chords in time order
        beats_per_bar -- the bar length in quarter notes, for harmony_change_share
    Returns:
        dict: note_count; chord_tone_share, scale_tone_share, approach_tone_share (shares of
        notes, each note counted once in that order of preference, as the grammar types
        them); lowest, highest (MIDI) and pitch_range (semitones); mean_abs_step (semitones
        between consecutive notes); repeated_note_share, step_over_fifth_share,
        step_over_octave_share (shares of steps of 0, more than 7 and more than 12
        semitones); pitch_class_entropy (bits, 0 to log2 12); and the normalised
        histograms pitch_histogram (MIDI number as a string -> share of notes),
        pitch_class_histogram (PITCH_CLASSES), step_histogram (STEP_BINS, share of steps)
        and duration_histogram (LENGTH_BINS); rhythm_metrics's measures; harmony_change_share.
        A melody without notes gives {"note_count": 0}.
    """
    notes = [n for n in notes if isinstance(n, note.Note)]
    if not notes:
        return {"note_count": 0}
    kinds = Counter(note_kind(a_chord, a_note)
                    for a_note, a_chord in zip(notes, chords_at(chords, [n.offset for n in notes])))
    midis = [n.pitch.midi for n in notes]
    steps = [abs(b - a) for a, b in zip(midis, midis[1:])]
    classes = Counter(PITCH_CLASSES[m % 12] for m in midis)
    entropy = -sum(c / len(midis) * math.log2(c / len(midis)) for c in classes.values())
    lengths = Counter(_length_bin(n.quarterLength) for n in notes)
    step_bins = Counter(str(s) if s <= OCTAVE else ">12" for s in steps)

    def step_share(test):  # share of the steps that pass; a single note takes no step
        return sum(map(test, steps)) / len(steps) if steps else 0.0

    return {
        "note_count": len(notes),
        "chord_tone_share": kinds["C"] / len(notes),
        "scale_tone_share": kinds["S"] / len(notes),
        "approach_tone_share": kinds["A"] / len(notes),
        "lowest": min(midis),
        "highest": max(midis),
        "pitch_range": max(midis) - min(midis),
        "mean_abs_step": sum(steps) / len(steps) if steps else 0.0,
        "repeated_note_share": step_share(lambda s: s == 0),
        "step_over_fifth_share": step_share(lambda s: s > FIFTH),
        "step_over_octave_share": step_share(lambda s: s > OCTAVE),
        "pitch_class_entropy": entropy + 0.0,
        # JSON keys are strings: MIDI numbers are kept as strings so a dict read back from
        # report.json compares the same as a fresh one.
        "pitch_histogram": {str(m): c / len(midis) for m, c in sorted(Counter(midis).items())},
        "pitch_class_histogram": _shares(classes, PITCH_CLASSES, len(midis)),
        "step_histogram": _shares(step_bins, STEP_BINS, len(steps)) if steps else {},
        "duration_histogram": _shares(lengths, LENGTH_BINS, len(notes)),
        **rhythm_metrics(notes),
        "harmony_change_share": harmony_change_share(chords, beats_per_bar),
    }


def histogram_overlap(first, second):
    """Histogram intersection of two normalised histograms (dicts label -> share): the sum over
    labels of the smaller share. 1 for the same distribution, 0 for disjoint ones."""
    return math.fsum(min(first.get(label, 0.0), second.get(label, 0.0)) for label in set(first) | set(second))


def _outside_share(metrics, lowest, highest, margin=0):
    """Share of a melody's notes more than `margin` semitones below lowest or above highest."""
    return math.fsum(share for midi, share in metrics["pitch_histogram"].items()
                     if int(midi) < lowest - margin or int(midi) > highest + margin)


def compare(corpus, generated):
    """What needs both melodies: each side measured against the corpus.

    Returns a dict: register ([lowest, highest] of the corpus), and for each of
    outside_register_share (share of notes outside the register), outside_by_minor_third_share
    (more than 3 semitones outside it), pitch_class_overlap, step_overlap and duration_overlap
    (histogram_overlap with the corpus's histogram) a {"corpus": ..., "generated": ...} pair.
    The corpus's own values are 0 and 1 by definition, shown for reference. Values are None
    where a melody has no notes (or, for step_overlap, no steps).
    """
    if not corpus.get("note_count"):
        return {"register": None}
    lowest, highest = corpus["lowest"], corpus["highest"]

    def overlap(name):
        # a melody of one note has no steps, hence an empty step histogram: nothing to compare
        return lambda m: (histogram_overlap(m[name], corpus[name]) if m[name] and corpus[name] else None)

    measures = {
        "outside_register_share": lambda m: _outside_share(m, lowest, highest),
        "outside_by_minor_third_share": lambda m: _outside_share(m, lowest, highest, MINOR_THIRD),
        "pitch_class_overlap": overlap("pitch_class_histogram"),
        "step_overlap": overlap("step_histogram"),
        "duration_overlap": overlap("duration_histogram"),
    }
    result = {"register": [lowest, highest]}
    for key, measure in measures.items():
        result[key] = {side: measure(metrics) if metrics.get("note_count") else None
                       for side, metrics in (("corpus", corpus), ("generated", generated))}
    return result


# The headline numbers of a run, in order: (key, column header, format). quality_row gives
# the values, format_quality_rows prints runs one per line under these headers.
QUALITY_COLUMNS = [
    ("lowest", "low", "{:>5}"),
    ("highest", "high", "{:>5}"),
    ("outside_by_minor_third_share", ">m3 out", "{:>8.1%}"),
    ("step_over_fifth_share", "step>5th", "{:>9.1%}"),
    ("mean_abs_step", "mean step", "{:>10.2f}"),
    ("pitch_class_overlap", "pc overlap", "{:>11.2f}"),
    ("step_overlap", "step overlap", "{:>13.2f}"),
    ("duration_overlap", "len overlap", "{:>12.2f}"),
]


# ... and of its rhythm, harmony and originality (the last four from originality()).
RHYTHM_COLUMNS = [
    ("triplet_onset_share", "triplets", "{:>9.1%}"),
    ("gap_entropy", "gap bits", "{:>9.2f}"),
    ("silence_share", "silence", "{:>8.1%}"),
    ("chord_tone_share", "chord tones", "{:>12.1%}"),
    ("harmony_change_share", "changes", "{:>8.1%}"),
    ("duration_overlap", "len overlap", "{:>12.2f}"),
    ("copied_4gram_share", "4-gr copied", "{:>12.1%}"),
    ("copied_8gram_share", "8-gr copied", "{:>12.1%}"),
    ("longest_copy", "longest", "{:>8}"),
    ("distinct_phrase_share", "distinct", "{:>9.1%}"),
]


def quality_row(corpus, generated):
    """The headline numbers of the generated melody against the corpus, keyed as QUALITY_COLUMNS
    and RHYTHM_COLUMNS (None where unknown). quality_row(corpus, corpus) is the reference row."""
    comparison = compare(corpus, generated)
    row = {}
    for key, _, _ in QUALITY_COLUMNS + RHYTHM_COLUMNS:
        row[key] = comparison[key]["generated"] if key in comparison else generated.get(key)
    return row


def format_quality_rows(rows, label_width=12, columns=QUALITY_COLUMNS):
    """A text table: a header, then one line per (label, quality_row) pair, of these columns."""
    lines = [f"{'':{label_width}}" + "".join(f"{header:>{len(fmt.format(0))}}"
                                             for _, header, fmt in columns)]
    for label, row in rows:
        cells = (fmt.format(row[key]) if row.get(key) is not None else f"{'-':>{len(fmt.format(0))}}"
                 for key, _, fmt in columns)
        lines.append(f"{label:{label_width}}" + "".join(cells))
    return "\n".join(lines)


def _report_rows(corpus, generated):
    """(label, corpus value, generated value, kind) for every line of the report table."""
    comparison = compare(corpus, generated)
    rows = []
    for label, key, kind in [
        ("note count", "note_count", "count"), ("lowest pitch (MIDI)", "lowest", "count"),
        ("highest pitch (MIDI)", "highest", "count"), ("pitch range", "pitch_range", "count"),
        ("outside corpus register", "outside_register_share", "share"),
        ("  by > a minor third", "outside_by_minor_third_share", "share"),
        ("chord tone share", "chord_tone_share", "share"), ("scale tone share", "scale_tone_share", "share"),
        ("approach tone share", "approach_tone_share", "share"), ("mean abs step", "mean_abs_step", "number"),
        ("steps > fifth", "step_over_fifth_share", "share"),
        ("steps > octave", "step_over_octave_share", "share"),
        ("repeated note share", "repeated_note_share", "share"),
        ("pitch class entropy", "pitch_class_entropy", "number"),
    ]:
        pair = comparison.get(key) or {"corpus": corpus.get(key), "generated": generated.get(key)}
        rows.append((label, pair["corpus"], pair["generated"], kind))
    for label in LENGTH_BINS:
        rows.append((f"notes {label}", corpus.get("duration_histogram", {}).get(label),
                     generated.get("duration_histogram", {}).get(label), "share"))
    for label in ONSET_BINS:
        rows.append((f"onsets on {label}", corpus.get("onset_histogram", {}).get(label),
                     generated.get("onset_histogram", {}).get(label), "share"))
    for label, key, kind in [("onset gap entropy", "gap_entropy", "number"), ("silence", "silence_share", "share"),
                             ("bars changing chords", "harmony_change_share", "share"),
                             ("value 4-grams copied", "copied_4gram_share", "share"),
                             ("value 8-grams copied", "copied_8gram_share", "share"),
                             ("longest copy (values)", "longest_copy", "count"),
                             ("distinct phrases", "distinct_phrase_share", "share")]:
        rows.append((label, corpus.get(key), generated.get(key), kind))
    for label, key in (("pitch classes", "pitch_class_overlap"), ("step sizes", "step_overlap"),
                       ("note lengths", "duration_overlap")):
        pair = comparison.get(key) or {"corpus": None, "generated": None}
        rows.append((f"overlap: {label}", pair["corpus"], pair["generated"], "number"))
    return rows


def format_report(corpus, generated):
    """A text table of two metric dicts side by side: shares in percent, overlaps with the
    corpus's histograms from 0 to 1, '-' where a value is unknown."""
    formats = {"count": "{:>{w}}", "share": "{:>{w}.1%}", "number": "{:>{w}.2f}"}

    def cell(value, kind, width):
        return f"{'-':>{width}}" if value is None else formats[kind].format(value, w=width)

    lines = [f"{'':24}{'corpus':>10}{'generated':>11}"]
    for label, left, right, kind in _report_rows(corpus, generated):
        lines.append(f"{label:24}{cell(left, kind, 10)}{cell(right, kind, 11)}")
    return "\n".join(lines)


def write_report(path, corpus, generated):
    """Write {"corpus": ..., "generated": ..., "comparison": compare(...)} as JSON, whole or not at all."""
    text = json.dumps({"corpus": corpus, "generated": generated, "comparison": compare(corpus, generated)},
                      indent=2)
    write_atomically(path, lambda temporary: Path(temporary).write_text(text))
