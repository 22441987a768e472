"""melody_and_chords: hand-made textures, each with its melody and chords worked out by hand."""

import random
from fractions import Fraction as F

from music21 import chord, harmony, instrument, note, stream

from jazz_improv.melody_and_chords import accompaniment, harmony_events, pick_melodic_part, skyline, with_rests
from jazz_improv.piece_files import events_of_part, is_percussion


def ev(offset, length, *pitches):
    return (F(offset), F(length), tuple(pitches))


def line(*notes):
    """Melody notes (offset, length, pitch) with Fraction times."""
    return [(F(o), F(q), p) for o, q, p in notes]


def assert_monophonic(melody):
    for (o1, q1, _), (o2, _, _) in zip(melody, melody[1:]):
        assert o1 < o2 and o1 + q1 <= o2


# --- skyline ---------------------------------------------------------------------------

def test_skyline_of_soprano_over_bass_is_the_soprano():
    soprano = [ev(0, 1, 72), ev(1, 1, 74), ev(2, 1, 76), ev(3, 1, 77)]
    bass = [ev(0, 2, 48), ev(2, 2, 43)]
    assert skyline(bass + soprano) == line((0, 1, 72), (1, 1, 74), (2, 1, 76), (3, 1, 77))


def test_skyline_of_chord_blocks_is_the_top_notes():
    blocks = [ev(0, 1, 60, 64, 67), ev(1, 1, 65, 62, 69), ev(2, 2, 64, 67, 72)]
    assert skyline(blocks) == line((0, 1, 67), (1, 1, 69), (2, 2, 72))


def test_a_sustained_note_is_cut_at_the_next_melody_onset():
    assert skyline([ev(0, 2, 72), ev(1, 1, 74)]) == line((0, 1, 72), (1, 1, 74))
    # A legato overlap going down: the lower note outlasts the held one, so it is melody.
    assert skyline([ev(0, F(9, 8), 72), ev(1, 1, 70)]) == line((0, 1, 72), (1, 1, 70))


def test_a_lower_note_under_a_held_melody_note_is_skipped():
    # Right-hand half note over left-hand quarters: the quarters end by the half note's end.
    events = [ev(0, 2, 76), ev(0, 1, 60), ev(1, 1, 64), ev(2, 1, 77)]
    assert skyline(events) == line((0, 2, 76), (2, 1, 77))


def test_a_note_far_below_both_neighbours_is_removed():
    # 55 is 19 below 74 and 21 below 76: gone, and 74 sounds on to its own end (3).
    events = [ev(0, 1, 72), ev(1, 2, 74), ev(2, 2, 55), ev(4, 1, 76)]
    assert skyline(events) == line((0, 1, 72), (1, 2, 74), (4, 1, 76))
    assert skyline(events, drop=None) == line((0, 1, 72), (1, 1, 74), (2, 2, 55), (4, 1, 76))
    # Exactly an octave below both is kept, and so is a low first or last note.
    assert [p for _, _, p in skyline([ev(0, 1, 74), ev(1, 1, 62), ev(2, 1, 74)])] == [74, 62, 74]
    assert [p for _, _, p in skyline([ev(0, 1, 40), ev(1, 1, 74), ev(2, 1, 40)])] == [40, 74, 40]


def test_skyline_skips_empty_and_zero_length_events_and_takes_the_longest_copy():
    events = [ev(0, 0, 90), ev(0, 1, 70), ev(0, 3, 70), ev(1, 1), ev(4, 1, 60)]
    assert skyline(events) == line((0, 3, 70), (4, 1, 60))
    assert skyline([]) == []


def test_with_rests_fills_the_gaps():
    melody = line((1, 1, 72), (3, F(1, 2), 74), (F(7, 2), 1, 76))
    assert with_rests(melody) == line((1, 1, 72), (2, 1, None), (3, F(1, 2), 74), (F(7, 2), 1, 76))
    assert with_rests(melody, start=F(0))[0] == (F(0), F(1), None)
    assert with_rests([]) == []


# --- accompaniment ---------------------------------------------------------------------

def test_accompaniment_removes_exactly_the_melody_notes():
    events = [ev(0, 1, 60, 64, 67), ev(1, 1, 62, 65, 69), ev(1, 2, 48), ev(3, 1, 72)]
    melody = skyline(events)
    assert melody == line((0, 1, 67), (1, 1, 69), (3, 1, 72))
    assert accompaniment(events, melody) == [ev(0, 1, 60, 64), ev(1, 1, 62, 65), ev(1, 2, 48)]
    assert accompaniment(events, melody + line((5, 1, None))) == accompaniment(events, melody)


def test_accompaniment_takes_a_doubled_note_from_the_copy_skyline_chose():
    events = [ev(0, 1, 60, 72), ev(0, 2, 72)]
    melody = skyline(events)
    assert melody == line((0, 2, 72))
    assert accompaniment(events, melody) == [ev(0, 1, 60, 72)]


# --- harmony ---------------------------------------------------------------------------

def test_harmony_of_a_chorale_block_per_beat():
    soprano = [ev(0, 2, 72), ev(2, 1, 74), ev(4, 1, 72), ev(5, 1, 72)]
    alto = [ev(0, 1, 67), ev(1, 1, 67), ev(2, 1, 65), ev(4, 1, 64)]
    tenor = [ev(0, 1, 64), ev(1, 1, 64), ev(2, 1, 59), ev(4, 1, 60)]
    bass = [ev(0, 1, 48), ev(1, 1, 48), ev(2, 2, 43), ev(4, 2, 48)]
    # Beats 0 and 1 are the same C chord (merged); beat 3 holds only the bass G, so G7
    # goes on; beat 5 is an octave C (one pitch class), so the C chord goes on.
    assert harmony_events([soprano, alto, tenor, bass], 4) == [
        ev(0, 2, 48, 64, 67, 72), ev(2, 2, 43, 59, 65, 74), ev(4, 2, 48, 60, 64, 72)]


def test_harmony_collects_notes_starting_within_a_unit_and_skips_a_chordless_start():
    bass = [ev(0, 1, 36), ev(1, 3, 48)]
    upper = [ev(1, F(1, 2), 64), ev(F(3, 2), F(1, 2), 65), ev(F(5, 2), F(3, 2), 67)]
    # Beat 0 holds one note (no chord yet); beat 1 gathers the passing F; beats 2-3 C-G.
    assert harmony_events([bass, upper], 4) == [ev(1, 1, 48, 64, 65), ev(2, 2, 48, 67)]
    # One chord per bar gathers the whole bar (the lone C at beat 0 included).
    assert harmony_events([bass, upper], 4, unit=4) == [ev(0, 4, 36, 48, 64, 65, 67)]


def test_harmony_grid_restarts_at_each_bar_line():
    # 5/8: bars of 5/2 quarters, beats at 0, 1, 2 (a half beat), then 5/2, 7/2, ...
    events = [ev(0, F(5, 2), 60, 64), ev(F(5, 2), 1, 62, 65), ev(F(7, 2), 1, 62, 65, 69)]
    assert harmony_events([events], F(5, 2)) == [
        ev(0, F(5, 2), 60, 64), ev(F(5, 2), 1, 62, 65), ev(F(7, 2), 1, 62, 65, 69)]
    assert harmony_events([], 4) == [] and harmony_events([[ev(0, 4, 60)]], 4) == []


# --- picking the melodic part ------------------------------------------------------------

TUNE = [72, 74, 76, 79, 77, 76, 74, 72]


def tune(notes=16, length=F(1, 2)):
    return [ev(i * length, length, TUNE[i % len(TUNE)]) for i in range(notes)]


def block_chords(count, length, pitches):
    return [ev(i * length, length, *pitches) for i in range(count)]


def test_a_single_line_beats_a_chordal_accompaniment():
    accomp = block_chords(8, 1, (48, 55, 64, 67))
    assert pick_melodic_part([accomp, tune()]) == 1


def test_a_tune_beats_busier_chords_sounding_above_it():
    melody = [ev(i, 1, p) for i, p in enumerate([60, 62, 64, 65, 67, 65, 64, 62] * 2)]
    chords = block_chords(32, F(1, 2), (67, 72, 76))  # twice the onsets, higher top
    assert pick_melodic_part([chords, melody]) == 1


def test_the_soprano_beats_a_busier_alto():
    soprano = [ev(i, 1, 72 + i % 3) for i in range(8)]
    alto = [ev(i * F(1, 2), F(1, 2), 64 + i % 4) for i in range(16)]
    bass = [ev(i, 1, 48) for i in range(8)]
    assert pick_melodic_part([alto, soprano, bass]) == 1


def test_the_only_pitched_part_is_the_melody_part_even_a_piano_or_a_bass():
    piano = [ev(i, 1, 48, 60, 64, 67) for i in range(8)]
    drums = [ev(i, 1, 36) for i in range(8)]
    assert pick_melodic_part([drums, piano], percussion=[True, False]) == 1
    assert pick_melodic_part([[ev(0, 1, 36), ev(1, 1, 38)]]) == 0


def test_no_pitched_part_gives_none():
    assert pick_melodic_part([]) is None
    assert pick_melodic_part([[], [ev(0, 0, 60)]]) is None
    assert pick_melodic_part([[ev(0, 1, 36)]], percussion=[True]) is None


# --- music21 ---------------------------------------------------------------------------

def test_events_of_a_music21_piano_part_and_its_skyline():
    part = stream.Part()
    part.insert(0, instrument.Piano())
    part.insert(0, harmony.ChordSymbol("C"))  # a symbol, not a sounding chord
    right, left = stream.Voice(), stream.Voice()
    for offset, figure in [(0, ["E4", "G4", "C5"]), (1, ["F4", "A4", "D5"]), (2, ["G4", "E5"])]:
        right.insert(offset, chord.Chord(figure, quarterLength=1))
    right.insert(3, note.Note("F5", quarterLength=0.5))
    right.insert(3.5, note.Rest(quarterLength=0.5))
    left.insert(0, note.Note("C3", quarterLength=2))
    left.insert(2, chord.Chord(["G2", "D3"], quarterLength=2))
    part.insert(0, right)
    part.insert(0, left)
    part.insert(4, note.Note("B4").getGrace())  # zero length: skipped
    events = events_of_part(part)
    assert sorted(events) == sorted([ev(0, 1, 64, 67, 72), ev(1, 1, 65, 69, 74), ev(2, 1, 67, 76),
                                     ev(3, F(1, 2), 77), ev(0, 2, 48), ev(2, 2, 43, 50)])
    assert skyline(events) == line((0, 1, 72), (1, 1, 74), (2, 1, 76), (3, F(1, 2), 77))
    assert not is_percussion(part)


def test_a_drum_part_is_percussion():
    drums = stream.Part()
    drums.insert(0, instrument.BassDrum())
    drums.insert(0, note.Unpitched(quarterLength=1))
    assert is_percussion(drums) and events_of_part(drums) == []


# --- size ------------------------------------------------------------------------------

def test_fifty_thousand_notes_go_through_quickly():
    # No timing assert: the functions are O(n log n), a quadratic slip would hang here.
    rng, offset, events = random.Random(7), F(0), []
    for _ in range(50_000):
        offset += F(rng.randrange(4), 4)
        events.append((offset, F(rng.randint(1, 8), 4), tuple(rng.sample(range(40, 90), rng.choice([1, 1, 3])))))
    melody = skyline(events)
    assert_monophonic(melody)
    starting = {(o, p) for o, _, ps in events for p in ps}
    assert all((o, p) in starting for o, _, p in melody)
    rest = accompaniment(events, melody)
    assert sum(map(len, (ps for _, _, ps in rest))) == sum(map(len, (ps for _, _, ps in events))) - len(melody)
    chords = harmony_events([rest], 4)
    assert all(a[0] + a[1] == b[0] for a, b in zip(chords, chords[1:]))


# --- chord symbols that do not cover the piece give way to its parts --------------------

def _choir(bars, symbol_bars):
    """A melody of quarter notes (C5 E5 G5 E5 a bar) over an alto and a bass holding C major,
    `bars` bars of 4/4, with an E-flat minor chord symbol at each of symbol_bars."""
    from jazz_improv.events import Event
    from jazz_improv.piece_files import Part, Texture

    melody = [ev(4 * b + i, 1, pitch) for b in range(bars) for i, pitch in enumerate((72, 76, 79, 76))]
    alto = [ev(4 * b, 4, 64) for b in range(bars)]
    bass = [ev(4 * b, 4, 48) for b in range(bars)]
    onsets = [4 * b for b in symbol_bars] + [4 * bars]
    symbols = [Event(F(a), F(b - a), (63, 66, 70)) for a, b in zip(onsets, onsets[1:])]
    parts = [Part("melody", melody, False), Part("alto", alto, False), Part("bass", bass, False)]
    return Texture(parts, symbols, F(4), F(1), 1)


def _harmony(texture):
    from jazz_improv.corpus import Options
    from jazz_improv.melody_and_chords import melody_and_harmony

    _, chords, note_line = melody_and_harmony(texture, Options(), "piece.xml")
    return {pitches for _, _, pitches in chords}, note_line


def test_a_symbol_every_bar_is_the_harmony():
    pitches, note_line = _harmony(_choir(40, range(40)))
    assert pitches == {(63, 66, 70)} and note_line is None


def test_a_symbol_every_fourth_bar_is_still_the_harmony():
    pitches, note_line = _harmony(_choir(40, range(0, 40, 4)))
    assert pitches == {(63, 66, 70)} and note_line is None


def test_three_symbols_in_forty_bars_give_way_to_the_voices():
    pitches, note_line = _harmony(_choir(40, (0, 20, 30)))
    assert pitches and all(48 in p and 64 in p and 63 not in p for p in pitches)
    assert note_line == ("piece.xml: 3 chord symbols for 40 bars, 20 bars without a new one: "
                         "its chords are taken from its parts instead")


def test_symbols_that_stop_halfway_give_way_to_the_voices():
    # a symbol a bar for 20 bars, the last held for the 20 bars after: 20 times the usual stretch
    pitches, note_line = _harmony(_choir(40, range(20)))
    assert all(63 not in p for p in pitches)
    assert note_line.startswith("piece.xml: 20 chord symbols for 40 bars, 21 bars without a new one")


def test_sparse_symbols_stay_when_nothing_else_sounds():
    texture = _choir(40, (0, 20, 30))
    texture = texture._replace(parts=texture.parts[:1])
    pitches, note_line = _harmony(texture)
    assert pitches == {(63, 66, 70)} and note_line is None
