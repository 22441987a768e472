"""Each melody measure on hand-made melodies whose values are known."""

import json
import math

import pytest
from music21 import chord, note

from report import format_report, melody_metrics, write_report


def melody(*names, length=1.0):
    notes = []
    for i, name in enumerate(names):
        n = note.Note(name, quarterLength=length)
        n.offset = i * length
        notes.append(n)
    return notes


C_MAJOR = [chord.Chord(["C4", "E4", "G4"])]


def test_chord_scale_and_approach_shares():
    # C, E, G: chord tones; D, A: scale tones of C major; C#: a half step from C
    metrics = melody_metrics(melody("C4", "E4", "G4", "D4", "A4", "C#4"), C_MAJOR)
    assert metrics["chord_tone_share"] == pytest.approx(3 / 6)
    assert metrics["scale_tone_share"] == pytest.approx(2 / 6)
    assert metrics["approach_tone_share"] == pytest.approx(1 / 6)


def test_range_intervals_and_repeats():
    metrics = melody_metrics(melody("C4", "C4", "G4", "E4", "C5"), C_MAJOR)
    assert metrics["pitch_range"] == 12
    assert metrics["mean_abs_interval"] == pytest.approx((0 + 7 + 3 + 8) / 4)
    assert metrics["repeated_note_share"] == pytest.approx(1 / 4)
    assert metrics["note_count"] == 5


def test_pitch_class_entropy():
    assert melody_metrics(melody("C4", "C5", "C3"), C_MAJOR)["pitch_class_entropy"] == 0
    two = melody_metrics(melody("C4", "G4", "C4", "G4"), C_MAJOR)["pitch_class_entropy"]
    assert two == pytest.approx(1.0)
    chromatic = [note.Note(60 + i) for i in range(12)]
    for i, n in enumerate(chromatic):
        n.offset = i
    assert melody_metrics(chromatic, C_MAJOR)["pitch_class_entropy"] == pytest.approx(math.log2(12))


def test_duration_histogram():
    notes = melody("C4", "D4") + melody("E4", length=0.5) + melody("G4", length=4.0)
    histogram = melody_metrics(notes, C_MAJOR)["duration_histogram"]
    assert histogram == {"<=1/16": 0.0, "1/8": 0.25, "1/4": 0.5, "1/2": 0.0, "longer": 0.25}


def test_chord_changes_are_followed():
    chords = [chord.Chord(["C4", "E4", "G4"]), chord.Chord(["F4", "A4", "C5"])]
    chords[1].offset = 2
    # F over C major (beat 0) is a scale tone; F over F major (beat 2) a chord tone
    notes = melody("F4", "E4", "F4", "A4")
    assert melody_metrics(notes, chords)["chord_tone_share"] == pytest.approx(3 / 4)


def test_report_file_and_table(tmp_path):
    corpus = melody_metrics(melody("C4", "E4", "G4"), C_MAJOR)
    generated = melody_metrics(melody("D4", "F4"), C_MAJOR)
    write_report(tmp_path / "report.json", corpus, generated)
    saved = json.loads((tmp_path / "report.json").read_text())
    assert saved["corpus"]["chord_tone_share"] == 1.0
    assert saved["generated"]["note_count"] == 2
    table = format_report(corpus, generated)
    assert "chord tone share" in table and "1.00" in table
