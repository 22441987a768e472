"""How good is it: simple, well-known measures of a melody over its chords.

Each measure is computed the same way for the corpus's melody and for the generated one,
so the two can be compared side by side.
"""

import json
import math
from collections import Counter

from music21 import note

from atomic_files import write_atomically
from grammar import chord_at, is_approach_tone, is_chord_tone, is_scale_tone

DURATION_BINS = [(0.25, "<=1/16"), (0.5, "1/8"), (1.0, "1/4"), (2.0, "1/2"), (math.inf, "longer")]


def melody_metrics(notes, chords):
    """Measures of a melody.

    Arguments:
        notes -- music21 Notes in time order, offsets on the same clock as the chords
        chords -- music21 Chords in time order
    Returns:
        dict: chord_tone_share, scale_tone_share, approach_tone_share (shares of notes,
        each note counted once in that order of preference, as the grammar types them),
        pitch_range (semitones), mean_abs_interval (semitones), repeated_note_share
        (share of steps that repeat the previous pitch), pitch_class_entropy (bits, 0 to
        log2 12), duration_histogram (share of notes per length bin), note_count
    """
    notes = [n for n in notes if isinstance(n, note.Note)]
    if not notes:
        return {"note_count": 0}
    kinds = Counter()
    for a_note in notes:
        a_chord = chord_at(chords, a_note.offset)
        if is_chord_tone(a_chord, a_note):
            kinds["chord"] += 1
        elif is_scale_tone(a_chord, a_note):
            kinds["scale"] += 1
        elif is_approach_tone(a_chord, a_note):
            kinds["approach"] += 1
    midis = [n.pitch.midi for n in notes]
    steps = [abs(b - a) for a, b in zip(midis, midis[1:])]
    classes = Counter(m % 12 for m in midis)
    entropy = -sum(c / len(midis) * math.log2(c / len(midis)) for c in classes.values())
    histogram = Counter()
    for a_note in notes:
        histogram[next(label for limit, label in DURATION_BINS if a_note.quarterLength <= limit)] += 1
    return {
        "note_count": len(notes),
        "chord_tone_share": kinds["chord"] / len(notes),
        "scale_tone_share": kinds["scale"] / len(notes),
        "approach_tone_share": kinds["approach"] / len(notes),
        "pitch_range": max(midis) - min(midis),
        "mean_abs_interval": sum(steps) / len(steps) if steps else 0.0,
        "repeated_note_share": sum(s == 0 for s in steps) / len(steps) if steps else 0.0,
        "pitch_class_entropy": entropy + 0.0,
        "duration_histogram": {label: histogram[label] / len(notes) for _, label in DURATION_BINS},
    }


def format_report(corpus, generated):
    """A text table of two metric dicts side by side."""
    lines = [f"{'':24}{'corpus':>10}{'generated':>11}"]
    for key in ("note_count", "chord_tone_share", "scale_tone_share", "approach_tone_share",
                "pitch_range", "mean_abs_interval", "repeated_note_share", "pitch_class_entropy"):
        left, right = corpus.get(key, 0), generated.get(key, 0)
        lines.append(f"{key.replace('_', ' '):24}{left:>10.2f}{right:>11.2f}" if isinstance(left, float)
                     else f"{key.replace('_', ' '):24}{left:>10}{right:>11}")
    for _, label in DURATION_BINS:
        left = corpus.get("duration_histogram", {}).get(label, 0.0)
        right = generated.get("duration_histogram", {}).get(label, 0.0)
        lines.append(f"{'notes ' + label:24}{left:>10.2f}{right:>11.2f}")
    return "\n".join(lines)


def write_report(path, corpus, generated):
    """Write {"corpus": ..., "generated": ...} as JSON, whole or not at all."""
    text = json.dumps({"corpus": corpus, "generated": generated}, indent=2)
    write_atomically(path, lambda temporary: open(temporary, "w").write(text))
