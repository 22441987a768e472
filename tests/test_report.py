"""Each melody measure on hand-made melodies whose values are known."""

import json
import math

import pytest
from music21 import chord, note

from jazz_improv.report import (RHYTHM_COLUMNS, compare, format_quality_rows, format_report, histogram_overlap,
                                melody_metrics, quality_row, write_report)


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
    assert metrics["mean_abs_step"] == pytest.approx((0 + 7 + 3 + 8) / 4)
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
    assert histogram == {"shorter": 0.0, "1/16": 0.0, "1/8 triplet": 0.0, "1/8": 0.25, "1/4 triplet": 0.0,
                         "dotted 1/8": 0.0, "1/4": 0.5, "dotted 1/4": 0.0, "1/2": 0.0, "other": 0.0, "longer": 0.25}
    triplets = melody("C4", "D4", "E4", length=1 / 3) + melody("F4", length=0.4) + melody("G4", length=0.125)
    assert melody_metrics(triplets, C_MAJOR)["duration_histogram"] == pytest.approx(
        {"shorter": 0.2, "1/16": 0.0, "1/8 triplet": 0.6, "1/8": 0.0, "1/4 triplet": 0.0, "dotted 1/8": 0.0,
         "1/4": 0.0, "dotted 1/4": 0.0, "1/2": 0.0, "other": 0.2, "longer": 0.0})  # 0.4: between


def test_chord_changes_are_followed():
    chords = [chord.Chord(["C4", "E4", "G4"]), chord.Chord(["F4", "A4", "C5"])]
    chords[1].offset = 2
    # F over C major (beat 0) is a scale tone; F over F major (beat 2) a chord tone
    notes = melody("F4", "E4", "F4", "A4")
    assert melody_metrics(notes, chords)["chord_tone_share"] == pytest.approx(3 / 4)


# Corpus C4 E4 G4 C5 (MIDI 60 64 67 72, quarter notes): register 60..72, steps 4 3 5.
# Generated C4 D4 G4 C6 (60 62 67 84), eighth notes then quarter notes: steps 2 5 17.
def corpus_and_generated():
    corpus = melody_metrics(melody("C4", "E4", "G4", "C5"), C_MAJOR)
    generated = melody_metrics(melody("C4", "D4", length=0.5) + melody("G4", "C6"), C_MAJOR)
    return corpus, generated


def test_register_and_step_measures():
    corpus, generated = corpus_and_generated()
    assert (generated["lowest"], generated["highest"], generated["pitch_range"]) == (60, 84, 24)
    # steps 2, 5, 17: only 17 is over a fifth (7) and over an octave (12); mean (2 + 5 + 17) / 3 = 8
    assert generated["step_over_fifth_share"] == pytest.approx(1 / 3)
    assert generated["step_over_octave_share"] == pytest.approx(1 / 3)
    assert generated["mean_abs_step"] == pytest.approx(8)
    # corpus steps 4, 3, 5: none over a fifth; mean 12 / 3 = 4
    assert corpus["step_over_fifth_share"] == 0 and corpus["mean_abs_step"] == pytest.approx(4)
    assert generated["step_histogram"]["2"] == generated["step_histogram"][">12"] == pytest.approx(1 / 3)
    assert generated["pitch_histogram"] == {"60": 0.25, "62": 0.25, "67": 0.25, "84": 0.25}


def test_outside_the_corpus_register():
    corpus, generated = corpus_and_generated()
    comparison = compare(corpus, generated)
    assert comparison["register"] == [60, 72]
    # C6 (84) of four notes is above 72, and more than a minor third above (84 > 75)
    assert comparison["outside_register_share"] == {"corpus": 0, "generated": 0.25}
    assert comparison["outside_by_minor_third_share"] == {"corpus": 0, "generated": 0.25}
    # B3 (59) D5 (74) F5 (77): all three outside 60..72; only F5 beyond 57..75
    near = melody_metrics(melody("B3", "D5", "F5"), C_MAJOR)
    assert compare(corpus, near)["outside_register_share"]["generated"] == pytest.approx(1)
    assert compare(corpus, near)["outside_by_minor_third_share"]["generated"] == pytest.approx(1 / 3)


def test_histogram_overlaps():
    assert histogram_overlap({"C": 0.5, "E": 0.5}, {"C": 1.0}) == 0.5  # min(.5, 1) + min(.5, 0)
    assert histogram_overlap({"C": 1.0}, {"D": 1.0}) == 0
    assert histogram_overlap({"C": 0.25, "D": 0.75}, {"C": 0.25, "D": 0.75}) == 1
    corpus, generated = corpus_and_generated()
    comparison = compare(corpus, generated)
    # pitch classes: corpus C .5 E .25 G .25, generated C .5 D .25 G .25 -> .5 + 0 + .25 = .75
    assert comparison["pitch_class_overlap"]["generated"] == pytest.approx(0.75)
    # steps: corpus 3, 4, 5 a third each, generated 2, 5, >12 a third each -> only 5 shared
    assert comparison["step_overlap"]["generated"] == pytest.approx(1 / 3)
    # lengths: corpus all quarters; generated half eighths, half quarters -> .5
    assert comparison["duration_overlap"]["generated"] == pytest.approx(0.5)
    assert comparison["pitch_class_overlap"]["corpus"] == pytest.approx(1)
    assert comparison["step_overlap"]["corpus"] == pytest.approx(1)
    # two notes C4 C5 against C4 E4: {C: 1} vs {C: .5, E: .5}
    assert compare(melody_metrics(melody("C4", "E4"), C_MAJOR),
                   melody_metrics(melody("C4", "C5"), C_MAJOR))["pitch_class_overlap"]["generated"] == 0.5


def table_rows(table):
    """Label -> (corpus, generated) cells of format_report's table."""
    return {line[:24].strip(): tuple(line[24:].split()) for line in table.splitlines()[1:]}


def test_report_table_rows():
    corpus, generated = corpus_and_generated()
    rows = table_rows(format_report(corpus, generated))
    assert rows["note count"] == ("4", "4")
    assert rows["lowest pitch (MIDI)"] == ("60", "60")
    assert rows["highest pitch (MIDI)"] == ("72", "84")
    assert rows["outside corpus register"] == ("0.0%", "25.0%")
    assert rows["by > a minor third"] == ("0.0%", "25.0%")
    # C E G C: all chord tones; C D G C: D is a scale tone of C major
    assert rows["chord tone share"] == ("100.0%", "75.0%")
    assert rows["mean abs step"] == ("4.00", "8.00")
    assert rows["steps > fifth"] == ("0.0%", "33.3%")
    assert rows["steps > octave"] == ("0.0%", "33.3%")
    assert rows["notes 1/8"] == ("0.0%", "50.0%")
    assert rows["overlap: pitch classes"] == ("1.00", "0.75")
    assert rows["overlap: step sizes"] == ("1.00", "0.33")
    assert rows["overlap: note lengths"] == ("1.00", "0.50")


def test_report_survives_a_melody_without_notes():
    corpus, _ = corpus_and_generated()
    empty = melody_metrics([], C_MAJOR)
    assert compare(corpus, empty)["step_overlap"] == {"corpus": 1.0, "generated": None}
    rows = table_rows(format_report(corpus, empty))
    assert rows["note count"] == ("4", "0")
    assert rows["highest pitch (MIDI)"] == ("72", "-")
    assert rows["overlap: step sizes"] == ("1.00", "-")


def test_quality_row_and_its_table():
    corpus, generated = corpus_and_generated()
    row = quality_row(corpus, generated)
    assert list(row)[:8] == ["lowest", "highest", "outside_by_minor_third_share", "step_over_fifth_share",
                             "mean_abs_step", "pitch_class_overlap", "step_overlap", "duration_overlap"]
    # C4 and G4 on beat 1, D4 half a beat later, C6 on beat 2: no triplet, one kind of gap (an
    # eighth), never silent; C, G and C of C major; one bar, so no change of chords to count
    assert row == pytest.approx({"lowest": 60, "highest": 84, "outside_by_minor_third_share": 0.25,
                                 "step_over_fifth_share": 1 / 3, "mean_abs_step": 8,
                                 "pitch_class_overlap": 0.75, "step_overlap": 1 / 3, "duration_overlap": 0.5,
                                 "triplet_onset_share": 0, "gap_entropy": 0, "silence_share": 0,
                                 "chord_tone_share": 0.75, "harmony_change_share": None,
                                 "copied_4gram_share": None, "copied_8gram_share": None, "longest_copy": None,
                                 "distinct_phrase_share": None})
    rhythm_lines = format_quality_rows([("run 1", row)], columns=RHYTHM_COLUMNS).splitlines()
    assert rhythm_lines[1].split() == ["run", "1", "0.0%", "0.00", "0.0%", "75.0%", "-", "0.50", "-", "-", "-", "-"]
    assert len({len(line) for line in rhythm_lines}) == 1
    lines = format_quality_rows([("corpus", quality_row(corpus, corpus)), ("run 1", row)]).splitlines()
    assert lines[0].split() == ["low", "high", ">m3", "out", "step>5th", "mean", "step", "pc", "overlap",
                                "step", "overlap", "len", "overlap"]
    assert lines[1].split() == ["corpus", "60", "72", "0.0%", "0.0%", "4.00", "1.00", "1.00", "1.00"]
    assert lines[2].split() == ["run", "1", "60", "84", "25.0%", "33.3%", "8.00", "0.75", "0.33", "0.50"]
    # every header sits over its column: the columns line up right-aligned
    assert len({len(line) for line in lines}) == 1


def test_report_file(tmp_path):
    corpus, generated = corpus_and_generated()
    write_report(tmp_path / "report.json", corpus, generated)
    saved = json.loads((tmp_path / "report.json").read_text())
    assert saved["corpus"]["chord_tone_share"] == 1.0
    assert saved["generated"]["note_count"] == 4
    assert saved["comparison"]["outside_register_share"] == {"corpus": 0, "generated": 0.25}
    # the comparison can be made again from the dicts read back
    assert compare(saved["corpus"], saved["generated"]) == saved["comparison"]
