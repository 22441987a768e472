"""Jazz chord symbols as real books spell them: the right notes, voiced as before."""

from fractions import Fraction

import pytest
from music21 import harmony

from jazz_improv.console import InputError
from jazz_improv.chord_symbols import (chord_symbol_pitches, parse_progression,
                           progression_events)

C, Db, D, Eb, E, F, Gb, G, Ab, A, Bb, B = range(12)

# Pitch classes written out from music theory, not from the code under test.
SYMBOLS = [
    ("Bb7", {Bb, D, F, Ab}),
    ("Ebmaj7", {Eb, G, Bb, D}),
    ("Abm7b5", {Ab, B, D, Gb}),
    ("Db7#9", {Db, F, Ab, B, E}),
    ("Fmaj7", {F, A, C, E}),
    ("Db7", {Db, F, Ab, B}),
    ("Bb", {Bb, D, F}),
    ("Eb", {Eb, G, Bb}),
    ("Bbm", {Bb, Db, F}),
    ("Abmaj7", {Ab, C, Eb, G}),
    ("Ebm9", {Eb, Gb, Bb, Db, F}),
    ("Dbmaj7#11", {Db, F, Ab, C, G}),
    ("Gb7", {Gb, Bb, Db, E}),
    ("B♭7", {Bb, D, F, Ab}),
    ("F#m7b5", {Gb, A, C, E}),
    ("G7b9", {G, B, D, F, Ab}),
    ("Cmaj9", {C, E, G, B, D}),
    ("Cmaj13", {C, E, G, B, D, A}),
    ("Cmaj7#11", {C, E, G, B, Gb}),
    ("C7alt", {C, E, Bb, Db, Eb, Gb, Ab}),
    ("CΔ7", {C, E, G, B}),
    ("CΔ", {C, E, G, B}),
    ("C^7", {C, E, G, B}),
    ("CM7", {C, E, G, B}),
    ("Cma7", {C, E, G, B}),
    ("C-7", {C, Eb, G, Bb}),
    ("Cmin7", {C, Eb, G, Bb}),
    ("Cmi7", {C, Eb, G, Bb}),
    ("C-", {C, Eb, G}),
    ("E-7", {E, G, B, D}),
    ("B-7", {B, D, Gb, A}),
    ("Cm9", {C, Eb, G, Bb, D}),
    ("Cm11", {C, Eb, G, Bb, D, F}),
    ("Cø7", {C, Eb, Gb, Bb}),
    ("Cø", {C, Eb, Gb, Bb}),
    ("Cm7b5", {C, Eb, Gb, Bb}),
    ("C-7b5", {C, Eb, Gb, Bb}),
    ("C°7", {C, Eb, Gb, A}),
    ("Cdim7", {C, Eb, Gb, A}),
    ("Co7", {C, Eb, Gb, A}),
    ("Cdim", {C, Eb, Gb}),
    ("Csus4", {C, F, G}),
    ("Csus2", {C, D, G}),
    ("C7sus4", {C, F, G, Bb}),
    ("C9sus4", {C, F, G, Bb, D}),
    ("C9", {C, E, G, Bb, D}),
    ("C11", {C, G, Bb, D, F}),
    ("C13", {C, E, G, Bb, D, A}),
    ("C7b9", {C, E, G, Bb, Db}),
    ("C7(b9)", {C, E, G, Bb, Db}),
    ("C7#9", {C, E, G, Bb, Eb}),
    ("C7#11", {C, E, G, Bb, Gb}),
    ("C7b13", {C, E, G, Bb, Ab}),
    ("C7(b9,#11)", {C, E, G, Bb, Db, Gb}),
    ("C13b9", {C, E, G, Bb, Db, A}),
    ("C7b5", {C, E, Gb, Bb}),
    ("C7#5", {C, E, Ab, Bb}),
    ("C+7", {C, E, Ab, Bb}),
    ("Caug", {C, E, Ab}),
    ("C+", {C, E, Ab}),
    ("C6", {C, E, G, A}),
    ("Cm6", {C, Eb, G, A}),
    ("C69", {C, E, G, A, D}),
    ("C6/9", {C, E, G, A, D}),
    ("CmMaj7", {C, Eb, G, B}),
    ("Cm(maj7)", {C, Eb, G, B}),
    ("C-Δ7", {C, Eb, G, B}),
    ("Cadd9", {C, E, G, D}),
    ("C7/E", {C, E, G, Bb}),
    ("Dm7/G", {D, F, A, C, G}),
    ("C5", {C, G}),  # power chords: root and fifth, the root taking its accidental
    ("F#5", {Gb, Db}),
    ("Bb5", {Bb, F}),
    ("Ab5", {Ab, Eb}),
    ("E♭5", {Eb, Bb}),
    ("C(#5)", {C, E, Ab}),  # an altered fifth in parentheses alters a triad
    ("C(b5)", {C, E, Gb}),
    ("N.C.", set()),
    ("NC", set()),
    ("N.C", set()),
]


@pytest.mark.parametrize("figure, pitch_classes", SYMBOLS)
def test_symbol_has_the_notes_a_musician_reads(figure, pitch_classes):
    assert {p % 12 for p in chord_symbol_pitches(figure)} == pitch_classes


ROOT_POSITION = [f for f, pcs in SYMBOLS if pcs and "/" not in f.replace("6/9", "")]


@pytest.mark.parametrize("figure", ROOT_POSITION)
def test_root_position_chords_sit_in_the_octave_below_middle_c(figure):
    pitches = chord_symbol_pitches(figure)
    assert pitches == tuple(sorted(set(pitches)))
    assert 48 <= pitches[0] <= 59


@pytest.mark.parametrize("figure, root", [("Bb7", Bb), ("Ebmaj7", Eb), ("Abm7b5", Ab),
                                          ("Db7#9", Db), ("C-7", C), ("B-7", B), ("F#m7b5", Gb),
                                          ("C7alt", C), ("Bb5", Bb), ("F#5", Gb)])
def test_root_is_the_lowest_note(figure, root):
    assert chord_symbol_pitches(figure)[0] % 12 == root


@pytest.mark.parametrize("figure, bass", [("C7/E", E), ("Dm7/G", G), ("C/G", G), ("F/G", G),
                                          ("Cmaj7/B", B), ("Ebmaj7/Bb", Bb), ("Am7/G", G), ("Bb5/D", D)])
def test_slash_chord_bass_is_the_lowest_note_alone_in_its_octave(figure, bass):
    pitches = chord_symbol_pitches(figure)
    assert pitches[0] % 12 == bass
    assert 48 <= pitches[0] <= 59
    assert all(p % 12 != bass for p in pitches[1:])


def test_c7_over_e_is_c7_with_e_below():
    pitches = chord_symbol_pitches("C7/E")
    assert pitches[0] == 52
    assert {p % 12 for p in pitches[1:]} == {C, G, Bb}


def _music21_voicing(figure):
    # The voicing earlier versions gave music21's symbols: lowest note moved by octaves into 48..59.
    pitches = [p.midi for p in harmony.ChordSymbol(figure).pitches]
    lowest = min(pitches)
    return tuple(sorted(p - 12 * ((lowest - 48) // 12) for p in pitches))


@pytest.mark.parametrize("figure", ["C", "Dm7", "G7", "Cmaj7", "F#m7b5", "A7", "Am7"])
def test_symbols_music21_already_read_keep_their_voicing(figure):
    assert chord_symbol_pitches(figure) == _music21_voicing(figure)


@pytest.mark.parametrize("figure", ["Hmaj13#", "C7x", "Bbq", "Cmaj7/H", "7", "", "C//E"])
def test_unknown_symbol_names_itself(figure):
    with pytest.raises(InputError) as caught:
        chord_symbol_pitches(figure)
    message = str(caught.value)
    assert repr(figure) in message and "\n" not in message
    assert isinstance(caught.value, ValueError)


def test_progression_reads_flats_as_flats():
    bars = parse_progression("Fmaj7 | Bb7 | C7")
    assert bars == (("Fmaj7",), ("Bb7",), ("C7",))
    assert [chord_symbol_pitches(bar[0])[0] % 12 for bar in bars] == [F, Bb, C]


def test_progression_without_bar_lines_has_one_chord_a_bar():
    assert parse_progression("Dm7 G7 | Cmaj7") == (("Dm7", "G7"), ("Cmaj7",))
    assert parse_progression("C F G") == (("C",), ("F",), ("G",))
    assert parse_progression("Cmaj7 | N.C. | G7") == (("Cmaj7",), ("N.C.",), ("G7",))


@pytest.mark.parametrize("text", ["", "   ", "C | | G", "C |", "|"])
def test_empty_progression_or_bar_is_refused(text):
    with pytest.raises(match="give chord symbols, bars separated by"):
        parse_progression(text)


def test_progression_names_the_symbol_it_cannot_read():
    with pytest.raises(match="Hmaj13#"):
        parse_progression("Cmaj7 | Hmaj13#")


def test_progression_events_loop_over_the_bars():
    dm7, g7, cmaj7 = (50, 53, 57, 60), (55, 59, 62, 65), (48, 52, 55, 59)
    half = Fraction(3, 2)
    events = progression_events((("Dm7", "G7"), ("Cmaj7",)), 1, 5, 3)
    assert events == [
        (3, half, dm7), (Fraction(9, 2), half, g7),
        (6, 3, cmaj7),
        (9, half, dm7), (Fraction(21, 2), half, g7),
        (12, 3, cmaj7),
        (15, half, dm7), (Fraction(33, 2), half, g7),
    ]
    assert all(isinstance(offset, Fraction) and isinstance(length, Fraction)
               for offset, length, _ in events)


def test_no_chord_leaves_its_slot_silent():
    events = progression_events((("C7", "N.C."), ("N.C.",)), 0, 3, 4)
    assert events == [(0, 2, (48, 52, 55, 58)), (8, 2, (48, 52, 55, 58))]


def test_every_named_chord_reads_back_as_its_name():
    # chord_name's table, on every root: the symbol's own pitches are named by that symbol
    from jazz_improv.chord_symbols import _NAMED_QUALITIES, ROOT_NAMES, chord_name

    for quality, _ in _NAMED_QUALITIES:
        for root in ROOT_NAMES:
            assert chord_name(chord_symbol_pitches(root + quality)) == root + quality


@pytest.mark.parametrize("pitches, name", [
    ((56, 63, 67, 70, 72), "Abmaj9"),  # Ab Eb G Bb C: all five explained, not C minor 7 and a stray Ab
    ((52, 55, 60), "C"),  # no slash: a voicing's lowest note is no bass line
    ((48, 52, 58), "C7"),  # a seventh chord without its fifth is still one
    ((43, 62), "G5"),  # a bare fifth, as Metheny's comping plays one: not Dsus4 without its 2
    ((), ""),
])
def test_chords_are_named_as_charts_name_them(pitches, name):
    from jazz_improv.chord_symbols import chord_name

    assert chord_name(pitches) == name
