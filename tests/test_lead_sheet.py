"""The lead sheet: MusicXML that notation programs read back (checked here by reading it back with
music21), spelled in its key, chord symbols as the user wrote them, rhythm on a grid notation
can show, and its engraving by Verovio."""

import re
from fractions import Fraction

import mido
import numpy as np
import pytest
from music21 import chord, converter, harmony, note, stream

from data_utils import generate_music
from jazz_improv.chord_symbols import parse_progression
from jazz_improv.lead_sheet import engrave, lead_sheet, musicxml_text

VALUES = {0: "C,0.333,<m2,P-4>", 1: "S,0.333,<M2,m-3>", 2: "C,0.250,<P5,P-5>", 3: "A,0.500,<m3,m-3>",
          4: "C,1.000,<P4,P-4>", 5: "R,0.500"}


def improvised(tmp_path, chords, bars=4, beats_per_bar=4, values=(0, 1, 0, 2, 2, 3, 4, 5)):
    def predict_and_sample(model):
        return None, np.array([values[i % len(values)] for i in range(50)])[:, None]

    return generate_music(None, VALUES, None, predict_and_sample, out_path=tmp_path / "a.midi",
                          progression=parse_progression(chords), bars=bars, beats_per_bar=beats_per_bar,
                          register=(55, 79))


def read_back(sheet):
    return converter.parse(musicxml_text(sheet), format="musicxml")


def shown_figure(symbol):
    """A harmony element as a chart shows it: root, the kind's text, a slash bass."""
    root = symbol.root().name.replace("-", "b")
    bass = symbol.bass().name.replace("-", "b") if symbol.bass() and symbol.bass().name != symbol.root().name else ""
    return root + symbol.chordKindStr + (f"/{bass}" if bass else "")


def test_chord_symbols_are_the_users_symbol_for_symbol(tmp_path):
    chords = "Dm7 G7 | Cmaj7 | C-7 F7 | Bb7alt | Ebmaj7#11 | Am7b5 D7b9 | G/B | F#ø7 | C6/9 D6/9/F# | C Db D Eb"
    score = improvised(tmp_path, chords, bars=10)
    symbols = read_back(lead_sheet(score, 4)).parts[0].recurse().getElementsByClass(harmony.ChordSymbol)
    written = [figure for bar in parse_progression(chords) for figure in bar]
    assert [shown_figure(s) for s in symbols] == written  # every one, a beat apart or not
    text = musicxml_text(lead_sheet(score, 4))
    kinds = re.findall(r'<kind text="[^"]*">([^<]+)</kind>', text)
    assert kinds[:4] == ["minor-seventh", "dominant", "major-seventh", "minor-seventh"]


def test_power_chords_are_shown_as_written_and_played_as_fifths(tmp_path):
    score = improvised(tmp_path, "Bb5 | F#5 | E5 Ab5", bars=3)
    played = [tuple(p.pitchClass for p in c.pitches) for c in score.parts[1].flatten().notes]
    assert played == [(10, 5), (6, 1), (4, 11), (8, 3)]  # Bb F, F# C#, E B, Ab Eb
    text = musicxml_text(lead_sheet(score, 4))
    symbols = converter.parse(text, format="musicxml").parts[0].recurse().getElementsByClass(harmony.ChordSymbol)
    assert [shown_figure(s) for s in symbols] == ["Bb5", "F#5", "E5", "Ab5"]
    assert re.findall(r'<kind text="[^"]*">([^<]+)</kind>', text) == ["power"] * 4


def test_chord_symbols_are_named_from_the_pitches_without_a_progression(tmp_path):
    score = stream.Score([stream.Part([note.Note("E4", quarterLength=4)]), stream.Part()])
    for offset, pitches in ((0, ["A2", "C4", "E4", "G4"]), (2, ["D3", "F#3", "A3", "C4"])):
        made = chord.Chord(pitches, quarterLength=2)
        score.parts[1].insert(offset, made)
    text = musicxml_text(lead_sheet(score, 4))
    symbols = converter.parse(text, format="musicxml").parts[0].recurse().getElementsByClass(harmony.ChordSymbol)
    assert [shown_figure(s) for s in symbols] == ["Am7", "D7"]
    # what a program that reads the file plays: MusicXML's kinds
    assert re.findall(r'<kind text="[^"]*">([^<]+)</kind>', text) == ["minor-seventh", "dominant"]


def test_notes_are_spelled_in_the_key_and_the_chord_and_chromatic_ones_by_direction():
    # F major (one flat) over F, then A7: the key's B-flat; over A7 its C sharp (A Mixolydian),
    # though the key has no sharps; chromatic passing notes as sharps going up, flats going down
    melody = stream.Part()
    names = ["F4", "A4", "C5", "B-4", "A4", "G4", "F#4", "G4",  # over F: F# passes up to G
             "A4", "C#5", "E5", "G5", "E5", "E-5", "D5", "C#5"]  # over A7: C#, and E-flat passes down to D
    for i, name in enumerate(names):
        melody.insert(i, note.Note(name))
    harmony_part = stream.Part()
    harmony_part.insert(0, chord.Chord(["F3", "A3", "C4"], quarterLength=8))
    harmony_part.insert(8, chord.Chord(["A2", "C#3", "E3", "G3"], quarterLength=8))
    sheet = read_back(lead_sheet(stream.Score([melody, harmony_part]), 4))
    assert sheet.parts[0].recurse().getElementsByClass("KeySignature")[0].sharps == -1
    written = [n.pitch.name for n in sheet.parts[0].recurse().notes if isinstance(n, note.Note)]
    assert written == ["F", "A", "C", "B-", "A", "G", "F#", "G", "A", "C#", "E", "G", "E", "E-", "D", "C#"]
    chords_written = [[p.name for p in c.pitches] for c in sheet.parts[1].recurse().getElementsByClass("Chord")]
    assert chords_written[-1] == ["A", "C#", "E", "G"]


@pytest.mark.parametrize("beats_per_bar, signature", [(4, "4/4"), (3, "3/4"), (Fraction(5, 2), "5/8")])
def test_the_metre_is_the_pieces(tmp_path, beats_per_bar, signature):
    score = improvised(tmp_path, "C | F", bars=2, beats_per_bar=beats_per_bar)
    sheet = read_back(lead_sheet(score, beats_per_bar))
    assert [t.ratioString for t in sheet.parts[0].recurse().getElementsByClass("TimeSignature")] == [signature]
    assert all(m.duration.quarterLength == beats_per_bar for m in sheet.parts[0].getElementsByClass("Measure"))
    # and the MIDI file says so, as a sequencer or notation program reads it (music21 alone writes 4/4)
    written = [(m.numerator, m.denominator) for track in mido.MidiFile(tmp_path / "a.midi").tracks
               for m in track if m.type == "time_signature"]
    assert written == [tuple(map(int, signature.split("/")))]


def test_the_solo_is_in_its_own_clef_whatever_the_chord_symbols_above_it():
    # a waltz tune in G4-D5 under a chord on every beat: music21 alone weighed the symbols' low
    # pitches with the tune's and wrote the tune in the bass clef, on ledger lines
    melody = stream.Part()
    for bar, name in enumerate(["G4", "B4", "D5", "C5", "A4", "G4", "B4", "C5"]):
        melody.insert(3 * bar, note.Note(name, quarterLength=3))
    comping = stream.Part()
    voicings = [("C3", "E3", "G3"), ("D3", "F3", "A3"), ("E3", "G3", "B3"), ("F3", "A3", "C4"),
                ("G2", "B2", "D3", "F3"), ("A2", "C3", "E3")]
    for beat in range(24):
        comping.insert(beat, chord.Chord(list(voicings[beat % 6]), quarterLength=1))
    sheet = read_back(lead_sheet(stream.Score([melody, comping]), 3))
    assert [type(c).__name__ for c in sheet.parts[0].recurse().getElementsByClass("Clef")] == ["TrebleClef"]
    # and a low line stays in the bass clef
    low = stream.Part([note.Note(name, quarterLength=3) for name in ["C3", "E3", "G2", "C3"]])
    sheet = read_back(lead_sheet(stream.Score([low, stream.Part()]), 3))
    assert [type(c).__name__ for c in sheet.parts[0].recurse().getElementsByClass("Clef")] == ["BassClef"]


def test_a_note_a_twelfth_of_a_beat_before_the_next_is_its_grace_note():
    # E5 at 2/3 and F5 at 3/4 of the beat fall on one sixteenth of the notation: E5, a flam in
    # the MIDI file, is written as F5's grace note, not left out
    melody = stream.Part()
    for at, name in [(0, "C5"), (Fraction(1, 4), "D5"), (Fraction(2, 3), "E5"), (Fraction(3, 4), "F5"), (1, "G5")]:
        melody.insert(at, note.Note(name, quarterLength=0.25))
    sheet = read_back(lead_sheet(stream.Score([melody, stream.Part([chord.Chord(["C3", "E3", "G3"], quarterLength=4)])]), 4))
    written = [(n.offset, n.nameWithOctave, n.duration.isGrace) for n in sheet.parts[0].flatten().notes
               if isinstance(n, note.Note)]
    assert written == [(0, "C5", False), (0.25, "D5", False), (0.75, "E5", True), (0.75, "F5", False), (1, "G5", False)]


def test_a_beat_holds_triplets_or_sixteenths_never_both():
    # beat 1 triplets, beat 2 sixteenths, beat 3 both (the corpus's grids meet there), beat 4 a
    # triplet eighth after a rest
    onsets = [0, Fraction(1, 3), Fraction(2, 3), 1, 1.25, 1.5, 1.75, 2, 2.25, Fraction(7, 3), 2.75, Fraction(10, 3)]
    melody = stream.Part()
    for i, onset in enumerate(onsets):
        melody.insert(onset, note.Note(60 + i, quarterLength=0.25))
    harmony_part = stream.Part([chord.Chord(["C3", "E3", "G3"], quarterLength=4)])
    text = musicxml_text(lead_sheet(stream.Score([melody, harmony_part]), 4))
    sheet = converter.parse(text, format="musicxml")
    grids = {}
    for element in sheet.parts[0].flatten().notesAndRests:
        denominator = Fraction(element.offset).limit_denominator(12).denominator
        length = Fraction(element.quarterLength).limit_denominator(12).denominator
        grids.setdefault(int(element.offset // 1), set()).update(d for d in (denominator, length) if d > 1)
    assert grids[0] == {3} and grids[1] <= {2, 4} and grids[3] == {3}
    assert grids[2] in ({2, 4}, {4}, {3})  # one grid or the other, not both
    assert "<time-modification>" in text and "<actual-notes>3</actual-notes>" in text


def test_the_engraving_is_one_svg_of_every_page(tmp_path, monkeypatch):
    from jazz_improv import lead_sheet as module

    score = improvised(tmp_path, "Dm7 G7 | Cmaj7", bars=48)
    assert engrave(musicxml_text(lead_sheet(score, 4))).count("<svg") == 2  # a page, its music
    monkeypatch.setattr(module, "PAGE_HEIGHT", 3000)  # pages of a few systems each
    svg = engrave(musicxml_text(lead_sheet(score, 4)))
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert svg.count("<svg") > 2  # pages stacked in one picture
    assert len(re.findall(r'class="measure', svg)) >= 48


def test_chord_names_spell_their_roots_as_the_key_does():
    from music21 import key

    from jazz_improv.lead_sheet import chord_changes

    chords = []
    for offset, pitches in ((0, ["C#3", "E3", "G#3"]), (4, ["A#2", "C#3", "E3", "G3"]), (8, ["E-3", "G3", "B-3"])):
        made = chord.Chord(pitches, quarterLength=4)
        made.offset = offset
        chords.append(made)
    assert [name for _, name, _ in chord_changes(chords, key.Key("A"))] == ["C#m", "A#dim7", "D#"]
    assert [name for _, name, _ in chord_changes(chords, key.Key("F"))] == ["Dbm", "Bbdim7", "Eb"]
    assert [name for _, name, _ in chord_changes(chords)] == ["Dbm", "Bbdim7", "Eb"]  # no key: flats


@pytest.mark.parametrize("beats_per_bar, lengths", [(5, [5, 5, 2.5, 7.5]), (Fraction(5, 2), [2.5, 1.25, 3.75, 5])])
def test_odd_metres_and_long_notes_are_written_with_note_values_that_exist(beats_per_bar, lengths):
    # a whole 5/4 bar, notes starting mid-beat across bar lines: tied notes of real values
    melody, offset = stream.Part(), Fraction(0)
    for i, length in enumerate(lengths):
        melody.insert(offset + Fraction(1, 2) * (i % 2), note.Note(60 + i, quarterLength=length))
        offset += Fraction(length).limit_denominator(4) + 1
    harmony_part = stream.Part([chord.Chord(["C3", "E3", "G3"], quarterLength=float(offset))])
    text = musicxml_text(lead_sheet(stream.Score([melody, harmony_part]), beats_per_bar))
    sheet = converter.parse(text, format="musicxml")
    assert all(m.duration.quarterLength == beats_per_bar for m in sheet.parts[0].getElementsByClass("Measure"))
    assert all(n.duration.type not in ("complex", "inexpressible") for n in sheet.parts[0].recurse().notesAndRests)
