"""The grammar and the clean-up rules keep their promises."""

import random
from collections import Counter

import numpy as np
import pytest
from music21 import chord, note, stream

from jazz_improv.chord_symbols import parse_progression
from data_utils import generate_music
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


@pytest.mark.parametrize("register", [None, (55, 79)])
@pytest.mark.parametrize("seed", range(5))
def test_generated_phrase_obeys_all_rules(seed, register):
    """A whole phrase as generate_music makes it: the rules hold together."""
    rng = random.Random(seed)
    tokens = ["C,0.25"] + [rng.choice(["C,0.333,<m3,m-3>", "S,0.250,<M2,M-2>", "C,0.000,<P4,P-4>",
                                       "S,0.667,<m3,P-4>", "R,0.250"]) for _ in range(40)]
    grammar = prune_grammar(" ".join(tokens), rng)
    sounds = clean_up_notes(prune_notes(unparse_grammar(grammar, c_major_chords(), rng, register=register)))
    notes = [n for n in sounds if isinstance(n, note.Note)]
    offsets = [n.offset for n in notes]
    assert len(offsets) == len(set(offsets))
    assert all(n.quarterLength > 0 for n in sounds)
    consecutive = list(zip(sounds, sounds[1:]))
    assert not any(isinstance(a, note.Note) and isinstance(b, note.Note)
                   and a.nameWithOctave == b.nameWithOctave for a, b in consecutive)
    if register is not None:
        assert all(register[0] <= n.pitch.midi <= register[1] for n in notes)


def test_scale_derivation_matches_music21():
    """music_rules derives major and Dorian scales directly; music21's scale.derive is the reference."""
    from music21 import scale

    from jazz_improv import music_rules

    rng = random.Random(1)
    for _ in range(60):
        a_chord = chord.Chord(sorted(rng.sample(range(40, 80), rng.randint(2, 6))))
        names = tuple(p.nameWithOctave for p in a_chord.pitches)
        for quality, reference in (("major", scale.MajorScale), ("minor", scale.DorianScale)):
            expected = tuple(p.name for p in reference().derive(a_chord).getPitches())
            assert music_rules._scale_names(names, quality, False) == expected, (names, quality)


# --- register mode: unparse_grammar(..., register=(lowest, highest)) ---

INTERVALS = ["P1", "d1", "A1", "m2", "M2", "m3", "M3", "P4", "A4", "d5", "P5", "m6", "M6", "m7",
             "M7", "P8", "d-8", "M9", "P12", "P15", "m-2", "M-3", "P-5", "A-4", "P-8", "P-15"]


def random_grammar(rng, count=16):
    """Tokens of every type, about one in five without a window, windows up to two octaves wide."""
    tokens = []
    for _ in range(count):
        kind = rng.choice("CSAXR")
        token = f"{kind},{rng.choice(['0.250', '0.333', '0.500', '1.000'])}"
        if kind != "R" and rng.random() < 0.8:
            token += f",<{rng.choice(INTERVALS)},{rng.choice(INTERVALS)}>"
        tokens.append(token)
    return " ".join(tokens)


def corpus_like_chords():
    """Two of the Metheny corpus's chords, flats, sharps and a low bass included."""
    chords = stream.Voice()
    chords.insert(0, chord.Chord(["E-4", "G4", "C4", "B-3", "G#2"]))
    chords.insert(2, chord.Chord(["B-3", "F4", "D4", "A3"]))
    return chords


def midis(elements):
    return [int(e.pitch.ps) for e in elements if isinstance(e, note.Note)]


def pitches(grammar, chords, seed, register=None):
    """MIDI pitches of the notes unparse_grammar makes with random.Random(seed)."""
    return midis(unparse_grammar(grammar, chords, random.Random(seed), register=register))


def pinned_start(first_chord):
    """Chords whose first one pins the phrase's first note; C major from beat 1 on."""
    chords = stream.Voice()
    chords.insert(0, chord.Chord(first_chord))
    chords.insert(1, chord.Chord(["C4", "E4", "G4"]))
    return chords


@pytest.mark.parametrize("register", [(49, 82), (60, 67), (55, 72), (30, 100), (64, 66)])
def test_register_holds_every_note_for_any_grammar(register):
    lowest, highest = register
    for seed in range(40):
        rng = random.Random(seed)
        grammar = random_grammar(rng)
        for chords in (c_major_chords(), corpus_like_chords()):
            elements = list(unparse_grammar(grammar, chords, random.Random(seed), register=register))
            assert len(elements) == len(grammar.split(" "))
            assert all(lowest <= m <= highest for m in midis(elements)), (grammar, midis(elements))


@pytest.mark.parametrize("register", [(49, 82), (60, 67)])
def test_register_keeps_chord_tones_from_the_chord_sounding(register):
    # a window of a fifth either way always holds a chord tone of C or F major inside these registers
    grammar = " ".join(["C,0.5"] + ["C,0.5,<P5,P-5>"] * 7)
    for seed in range(10):
        for element in unparse_grammar(grammar, c_major_chords(), random.Random(seed), register=register):
            assert element.name in ({"C", "E", "G"} if element.offset < 2 else {"F", "A", "C"})


def test_register_clips_the_window_at_its_edge():
    # First note: the only G in 60..72 is G4 (67). From G4 the window <M6,M2> spans A4 (69) to
    # E5 (76); the C major scale tones of its part inside the register are A4, B4 and C5.
    grammar = "C,1.0 S,1.0,<M6,M2>"
    chosen = set()
    for seed in range(30):
        first, second = pitches(grammar, pinned_start(["G3"]), seed, register=(60, 72))
        assert first == 67
        chosen.add(second)
    assert chosen <= {69, 71, 72} and len(chosen) > 1
    # without a register the same window reaches above the range (D5, E5)
    free = {pitches(grammar, pinned_start(["G3"]), seed)[1] for seed in range(30)}
    assert free & {74, 76}


def test_register_folds_by_octaves_when_nothing_fits_inside():
    # From G4 the window <P15,P12> (D6 86 .. G6 91) lies wholly above 60..72; its chord tones
    # E6 (88) and G6 (91) come down two octaves: E4 (64) or G4 (67), still of the chord.
    grammar = "C,1.0 C,1.0,<P15,P12>"
    folded = set()
    for seed in range(30):
        first, second = pitches(grammar, pinned_start(["G3"]), seed, register=(60, 72))
        assert first == 67
        folded.add(second)
    assert folded == {64, 67}
    # From C4 the window <P15,P15> is C6 alone, no approach tone of C major: the course's
    # fallback steps a tone either way. D4 (62) lies inside 60..65; A#3 (58) has no octave
    # there (70 is above), so the approach tone inside nearest to 58 or 70 is taken: C#4 (61,
    # 3 from 58; E-4 and F4 are 5 away).
    seconds = {pitches("C,1.0 X,1.0,<P15,P15>", pinned_start(["C4"]), seed, register=(60, 65))[1]
               for seed in range(20)}
    assert seconds == {61, 62}


def test_register_starts_a_phrase_near_the_centre():
    # Register 48..84, centre 66: the C major chord tones nearest are G4 (67, 1 away) and, within
    # START_SPREAD (4) more, E4 (64); C4 and C5 (6 away) are too far. Register 70..90, centre 80:
    # G5 (79) is nearest, then E5 (76, 4) and C6 (84, 4).
    for register, expected in (((48, 84), {64, 67}), ((70, 90), {76, 79, 84})):
        firsts = {pitches("C,1.0", c_major_chords(), seed, register=register)[0] for seed in range(40)}
        assert firsts == expected, register


def test_leap_rule_prefers_pitches_within_a_fifth():
    # The first note is C4 (60): the only C in 50..76 within 4 + 3 of the centre 63.
    # From C4 the window <M9,P4> (F4 65 .. D5 74) holds the chord tones G4 (67) and C5 (72);
    # C5 is an octave away, G4 a fifth: the rule always takes G4, the course's draw either.
    grammar = "C,1.0 C,1.0,<M9,P4>"
    chords = pinned_start(["C4"])
    assert {tuple(pitches(grammar, chords, seed, register=(50, 76))) for seed in range(30)} == {(60, 67)}
    free = {pitches(grammar, chords, seed)[1] for seed in range(30)}
    assert free == {67, 72}
    # when nothing nearer fits (window <M9,m6>: G#4 68 .. D5 74), the octave leap stays
    assert pitches("C,1.0 C,1.0,<M9,m6>", chords, 0, register=(50, 76)) == [60, 72]


def test_leap_rule_leans_to_the_corpus_interval():
    # From C4, window <M3,m-3> (A3 57 .. E4 64) middle 60.5 = the corpus's step of a semitone:
    # scale tones that are no chord tone A3 B3 D4 (C4 would repeat, E4 is of the chord). B3 and
    # D4 are nearest the middle: taken half the time outright, and two thirds of the rest by
    # the uniform draw, 5/6 in all.
    chords = pinned_start(["C4"])
    seconds = [pitches("C,1.0 S,1.0,<M3,m-3>", chords, seed, register=(50, 76))[1] for seed in range(200)]
    assert set(seconds) == {57, 59, 62}
    assert 0.75 < sum(m in (59, 62) for m in seconds) / len(seconds) < 0.92


def test_register_mode_is_reproducible_for_a_seed():
    grammar = random_grammar(random.Random(7), count=30)
    runs = [[getattr(e, "nameWithOctave", "rest") for e in unparse_grammar(
        grammar, corpus_like_chords(), random.Random(3), register=(49, 82))] for _ in range(2)]
    assert runs[0] == runs[1]


def test_no_register_is_the_course_rule():
    # register=None is the default; the course's floor holds: a phrase's first note no lower
    # than C4, the others no lower than C3, and nothing stops them rising.
    for seed in range(8):
        grammar = random_grammar(random.Random(seed))
        # music21's weighted blues scale, behind the course's free scale tones, draws from the
        # global random: seed it the same way before each call
        random.seed(seed)
        default = list(unparse_grammar(grammar, corpus_like_chords(), random.Random(seed)))
        random.seed(seed)
        explicit = list(unparse_grammar(grammar, corpus_like_chords(), random.Random(seed), register=None))
        as_tuples = [[(e.offset, e.quarterLength, getattr(e, "nameWithOctave", "rest")) for e in run]
                     for run in (default, explicit)]
        assert as_tuples[0] == as_tuples[1]
        notes = [e for e in default if isinstance(e, note.Note)]
        assert all(n.octave >= 3 for n in notes)
        if notes and notes[0] is default[0]:
            assert notes[0].octave >= 4


def test_pitch_classes_the_corpus_never_plays_are_left_out_while_others_fit():
    # Approach tones of C major (C E G) lie a half step from them: B C# D# F F# G#. A corpus in
    # C major plays only B and F of these, so with its pitch classes every approach tone is B or F.
    c_major_scale = {pc: 1 for pc in (0, 2, 4, 5, 7, 9, 11)}
    chords = stream.Voice()
    chords.insert(0, chord.Chord(["C4", "E4", "G4"]))
    grammar = " ".join(["A,0.5"] + ["A,0.5,<P5,P-5>"] * 15)
    kept, free = set(), set()
    for seed in range(20):
        for pitch_classes, found in ((c_major_scale, kept), (None, free)):
            notes = unparse_grammar(grammar, chords, random.Random(seed), register=(55, 79),
                                    pitch_classes=pitch_classes)
            found |= {n.pitch.midi % 12 for n in notes}
    assert kept == {5, 11}
    assert free - kept  # without them, C#, D#, F# or G# come too
    # classes that no approach tone of the chord belongs to leave the choice as it was
    notes = unparse_grammar(grammar, chords, random.Random(0), register=(55, 79), pitch_classes={2: 5})
    assert len(notes) == 16 and 2 not in {n.pitch.midi % 12 for n in notes}


def test_pitch_classes_the_corpus_plays_most_are_drawn_most():
    # Scale tones over C major with a window of a fifth each way: A B D F#, the scale music21
    # derives (G major) less the chord's C E G; F# is left out, the corpus never plays it. A
    # corpus that plays D or A a thousand times as often as the others makes it more frequent by
    # about a quarter to a half (not far more: a note never repeats the one before, and half the
    # draws take the interval nearest the window's middle whatever its class). Measured over 40
    # seeds: D 22% -> 33%, A 37% -> 47%.
    chords = stream.Voice()
    chords.insert(0, chord.Chord(["C4", "E4", "G4"]))
    grammar = " ".join(["S,0.5"] + ["S,0.5,<P-5,P5>"] * 31)
    c_major_scale = (0, 2, 4, 5, 7, 9, 11)

    def share_of(favoured, counts):
        found = Counter()
        for seed in range(40):
            notes = unparse_grammar(grammar, chords, random.Random(seed), register=(55, 79), pitch_classes=counts)
            found.update(n.pitch.midi % 12 for n in notes if isinstance(n, note.Note))
        return found[favoured] / sum(found.values())

    for favoured in (2, 9):
        equal = share_of(favoured, {pc: 1 for pc in c_major_scale})
        weighted = share_of(favoured, {pc: 1000 if pc == favoured else 1 for pc in c_major_scale})
        assert weighted > 1.2 * equal


@pytest.mark.parametrize("register", [None, (55, 79)])
def test_approach_tones_stay_approach_tones_only_with_a_register(tmp_path, register):
    # A model that always predicts an approach tone up to a major third either way, over C major: the
    # course plays them as chord tones (C E G); with a register they are half a step from one
    # (B C# D# F F# G#). The phrase's first value is always the course's C,0.25.
    indices_values = {0: "A,0.500,<M3,M-3>"}

    def predict_and_sample(model):
        return None, np.zeros((50, 1), dtype=int)

    score = generate_music(None, indices_values, None, predict_and_sample, out_path=tmp_path / "a.midi",
                           progression=parse_progression("C"), bars=4, register=register)
    classes = [n.pitch.midi % 12 for n in score.parts[0].flatten().notes]
    assert len(classes) > 10 and classes[0] in {0, 4, 7}
    approach = {11, 1, 3, 5, 6, 8}
    assert set(classes[1:]) <= ({0, 4, 7} if register is None else approach)


def test_pitch_classes_may_be_a_set_or_counts_with_zeros():
    # A set counts each class once; a class counted 0 is one the corpus never plays.
    grammar = random_grammar(random.Random(3), count=40)
    scale_counts = {pc: 1 for pc in (0, 2, 4, 5, 7, 9, 11)}
    with_zeros = {pc: scale_counts.get(pc, 0) for pc in range(12)}
    played = [[(e.offset, getattr(e, "nameWithOctave", "rest")) for e in
               unparse_grammar(grammar, corpus_like_chords(), random.Random(3), register=(49, 82), pitch_classes=p)]
              for p in (scale_counts, set(scale_counts), with_zeros)]
    assert played[0] == played[1] == played[2]
    all_zero = unparse_grammar(grammar, corpus_like_chords(), random.Random(3), register=(49, 82),
                               pitch_classes=dict.fromkeys(range(12), 0))
    unweighted = unparse_grammar(grammar, corpus_like_chords(), random.Random(3), register=(49, 82))
    assert [getattr(e, "nameWithOctave", "rest") for e in all_zero] == \
        [getattr(e, "nameWithOctave", "rest") for e in unweighted]


@pytest.mark.parametrize("token, valid", [
    ("C,0.250,<m2,P-4>", True), ("R,0.250", True), ("X,16.000,<P-99,AAA99>", True),
    ("S,0.001,<dd5,AA-11>", True), ("A,1.0,<P22,d-8>", True),
    ("C,0.000,<m2,P-4>", False),  # no length
    ("C,0.250,<m19,P-4>", False),  # a nineteenth is perfect: music21 cannot build it
    ("C,0.250,<P2,P-4>", False), ("C,0.250,<M4,P-4>", False), ("C,0.250,<Mm3,P-4>", False),
    ("C,0.250,<m0,P-4>", False), ("C,16.001,<m2,P-4>", False),
    ("C,0.250,<P-1,P-4>", False),  # no descending perfect unison
])
def test_a_token_is_valid_only_if_generation_can_use_it(token, valid):
    from jazz_improv.music_rules import is_token

    assert is_token(token) is valid


def test_every_kind_of_value_the_checks_let_through_generates_music(tmp_path, capsys):
    """Values at every edge that is_token accepts: the longest and the shortest lengths, rests,
    the widest intervals of each quality; generation keeps the piece bounded and every pitch MIDI."""
    from jazz_improv.limits import MAX_BARS
    from jazz_improv.music_rules import is_token

    values = ["C,16.000,<P-99,AAA99>", "S,0.001,<dd-99,P99>", "R,0.250", "A,0.333,<M-98,m98>",
              "X,0.500,<ddd-5,AA4>", "C,0.250,<P1,A-1>"]
    assert all(is_token(value) for value in values)
    indices_values = dict(enumerate(values))

    def predict_and_sample(model):
        return None, (np.arange(50) % len(values)).reshape(50, 1)

    for register in (None, (49, 82)):
        score = generate_music(None, indices_values, None, predict_and_sample, out_path=tmp_path / "a.midi",
                               progression=parse_progression("Cmaj7 | A7 | Dm7 | G7"), bars=MAX_BARS,
                               register=register, pitch_classes={0: 5, 7: 3} if register else None)
        pitches = [p.midi for n in score.parts[0].flatten().notes for p in n.pitches]
        assert pitches and all(0 <= p <= 127 for p in pitches)
        assert score.highestTime <= MAX_BARS * 4
    capsys.readouterr()
