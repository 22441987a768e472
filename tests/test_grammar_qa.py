"""The grammar and the clean-up rules keep their promises."""

import random

import pytest
from music21 import chord, note, stream

from grammar import parse_melody, unparse_grammar
from qa import clean_up_notes, prune_grammar, prune_notes


def voice_of(*elements):
    voice = stream.Voice()
    offset = 0.0
    for element in elements:
        voice.insert(offset, element)
        offset += element.quarterLength
    return voice


def c_major_chords():
    chords = stream.Voice()
    chords.insert(0, chord.Chord(["C4", "E4", "G4"]))
    chords.insert(2, chord.Chord(["F4", "A4", "C5"]))
    return chords


def test_parse_melody_types_lengths_and_intervals():
    melody = voice_of(note.Note("E4", quarterLength=1), note.Note("D4", quarterLength=0.5),
                      note.Rest(quarterLength=0.5), note.Note("A4", quarterLength=1),
                      note.Note("B-4", quarterLength=1))
    tokens = parse_melody(melody, c_major_chords()).split(" ")
    # E over C major: chord tone; D: scale tone; A over F major (from beat 2): chord tone;
    # B-flat: in F major's scale
    assert [t.split(",")[0] for t in tokens] == ["C", "S", "R", "C", "S"]
    assert [t.split(",")[1] for t in tokens] == ["1.000", "0.500", "0.500", "1.000", "1.000"]
    assert tokens[0] == "C,1.000"  # the first note has no interval to go by
    # E4 -> D4 is a major second down: range widened by a minor third each way
    assert tokens[1] == "S,0.500,<m2,P-4>"
    assert tokens[2] == "R,0.500"


def test_unparse_keeps_every_duration_and_starts_each_note_where_the_last_ends():
    grammar = "C,0.25 S,0.5,<m3,m-3> R,0.75 C,1.0,<P4,P-4> A,0.25,<M2,M-2> C,0.5,<m3,m-3>"
    lengths = [float(t.split(",")[1]) for t in grammar.split(" ")]
    for seed in range(20):
        elements = list(unparse_grammar(grammar, c_major_chords(), random.Random(seed)))
        assert [float(e.quarterLength) for e in elements] == lengths
        offsets = [float(e.offset) for e in elements]
        assert offsets == [sum(lengths[:i]) for i in range(len(lengths))]
        assert isinstance(elements[2], note.Rest)


def test_unparse_chord_tones_come_from_the_chord_sounding():
    grammar = " ".join(["C,0.5"] + ["C,0.5,<P5,P-5>"] * 7)
    for seed in range(10):
        elements = list(unparse_grammar(grammar, c_major_chords(), random.Random(seed)))
        for element in elements:
            chord_names = {"C", "E", "G"} if element.offset < 2 else {"F", "A", "C"}
            assert element.name in chord_names, (seed, element.offset, element.name)


def test_unparse_is_reproducible_for_a_seed():
    grammar = "C,0.25 S,0.5,<m3,m-3> X,0.25,<M3,M-3> C,1.0,<P4,P-4>"
    first = [n.nameWithOctave for n in unparse_grammar(grammar, c_major_chords(), random.Random(3))]
    again = [n.nameWithOctave for n in unparse_grammar(grammar, c_major_chords(), random.Random(3))]
    assert first == again


def test_prune_grammar_snaps_lengths_to_the_sixteenth_grid():
    grammar = "C,0.333,<m2,P-4> S,0.250 C,0.667 R,0.125 C,1.000"
    originals = [float(t.split(",")[1]) for t in grammar.split(" ")]
    for seed in range(30):
        pruned = prune_grammar(grammar, random.Random(seed)).split(" ")
        for token, original in zip(pruned, originals):
            length = float(token.split(",")[1])
            assert length % 0.25 == 0
            assert abs(length - original) < 0.25
        assert pruned[0].endswith(",<m2,P-4>")
    # lengths already on the grid stay where they are, whichever way they round
    for seed in range(10):
        assert prune_grammar("S,0.250 C,1.000", random.Random(seed)) == "S,0.25 C,1.0"


def test_prune_notes_leaves_no_repeated_pair():
    pitches = ["C4", "C4", "D4", "D4", "D4", "E4", "C4", "C4"]
    notes = voice_of(*[note.Note(p, quarterLength=0.5) for p in pitches])
    kept = prune_notes(notes)
    names = [n.nameWithOctave for n in kept]
    assert names == ["C4", "D4", "E4", "C4"]
    assert all(a != b for a, b in zip(names, names[1:]))


def test_clean_up_notes_one_note_per_offset_and_no_zero_lengths():
    voice = stream.Voice()
    for offset, name, length in [(0, "C4", 0.5), (0, "E4", 0.5), (0.5, "G4", 0.0),
                                 (1, "A4", 0.5), (1, "B4", 0.5), (1.5, "C5", 0.5)]:
        voice.insert(offset, note.Note(name, quarterLength=length))
    cleaned = clean_up_notes(voice)
    offsets = [float(n.offset) for n in cleaned]
    assert offsets == sorted(set(offsets)) == [0, 0.5, 1, 1.5]
    assert [n.nameWithOctave for n in cleaned] == ["C4", "G4", "A4", "C5"]
    assert all(n.quarterLength > 0 for n in cleaned)


@pytest.mark.parametrize("seed", range(5))
def test_generated_phrase_obeys_all_rules(seed):
    """A whole phrase as generate_music makes it: the rules hold together."""
    rng = random.Random(seed)
    tokens = ["C,0.25"] + [rng.choice(["C,0.333,<m3,m-3>", "S,0.250,<M2,M-2>", "C,0.000,<P4,P-4>",
                                       "S,0.667,<m3,P-4>", "R,0.250"]) for _ in range(40)]
    grammar = prune_grammar(" ".join(tokens), rng)
    sounds = clean_up_notes(prune_notes(unparse_grammar(grammar, c_major_chords(), rng)))
    notes = [n for n in sounds if isinstance(n, note.Note)]
    offsets = [n.offset for n in notes]
    assert len(offsets) == len(set(offsets))
    assert all(n.quarterLength > 0 for n in sounds)
    consecutive = list(zip(sounds, sounds[1:]))
    assert not any(isinstance(a, note.Note) and isinstance(b, note.Note)
                   and a.nameWithOctave == b.nameWithOctave for a, b in consecutive)


def test_scale_derivation_matches_music21():
    """grammar derives major and Dorian scales directly; music21's scale.derive is the reference."""
    from music21 import scale

    import grammar

    rng = random.Random(1)
    for _ in range(60):
        a_chord = chord.Chord(sorted(rng.sample(range(40, 80), rng.randint(2, 6))))
        names = tuple(p.nameWithOctave for p in a_chord.pitches)
        for quality, reference in (("major", scale.MajorScale), ("minor", scale.DorianScale)):
            expected = tuple(p.name for p in reference().derive(a_chord).getPitches())
            assert grammar._scale_names(names, quality, False) == expected, (names, quality)
