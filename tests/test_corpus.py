"""The corpus is the course's, token for token.

tests/data/course_grammars.txt holds the 18 grammar strings that the course's own
preprocess.py and grammar.py produce from data/original_metheny.mid when run under
music21 5.1.0 (the version the course was written for), one measure per line.
"""

from pathlib import Path

import numpy as np

from music_utils import data_processing
from jazz_improv.events import quantize
from preprocess import get_corpus_data

COURSE_GRAMMARS = (Path(__file__).parent / "data" / "course_grammars.txt").read_text().splitlines()


def test_course_numbers(musical_data):
    chords, abstract_grammars = musical_data
    corpus, values, values_indices, indices_values = get_corpus_data(abstract_grammars)
    assert len(corpus) == 193
    assert len(values) == 78
    assert len(chords) == 19
    assert len(abstract_grammars) == 18


def test_grammar_beginnings(musical_data):
    _, abstract_grammars = musical_data
    assert abstract_grammars[0].startswith(
        "C,0.500 C,0.333,<P1,d-5> C,0.250,<M-2,m-6> C,0.250,<M3,d-3>")
    assert abstract_grammars[1].startswith(
        "C,0.500 S,0.250,<m2,P-4> C,0.250,<P4,m-2> A,0.250,<P4,m-2>")


def test_every_token_matches_the_course(musical_data):
    _, abstract_grammars = musical_data
    assert abstract_grammars == COURSE_GRAMMARS


def test_chord_groups_hold_the_piano_chords(musical_data):
    chords, _ = musical_data
    assert chords[0] == []  # the course's header group carries no chords
    for bar, group in enumerate(chords[1:], start=119):
        assert group, f"bar {bar} has no chord"
        for a_chord in group:
            assert len(a_chord.pitches) > 1
            assert bar * 4 <= a_chord.offset < bar * 4 + 4


def test_values_are_sorted_and_indexed_both_ways(musical_data):
    _, abstract_grammars = musical_data
    corpus, values, values_indices, indices_values = get_corpus_data(abstract_grammars)
    assert values == sorted(set(corpus))
    assert all(indices_values[values_indices[v]] == v for v in values)


def test_quantize_matches_music21_5_rules():
    # sixteenths and eighth-note triplets, whichever is closer; halfway rounds down
    assert quantize(0.26) == 0.25
    assert quantize(0.32) == quantize(1 / 3)
    assert quantize(0.125) == 0  # halfway between 0 and 1/4: down
    assert quantize(0.875) == 0.75  # 3/4 and 1 equally near: the lower wins
    assert quantize(476.6667) * 3 == 1430


def course_data_processing(corpus, values_indices, m=60, Tx=30):
    """The course's own data_processing (music_utils.py), as published, on today's NumPy
    (np.bool is bool now): the oracle for our windows."""
    N_values = len(set(corpus))
    np.random.seed(0)
    X = np.zeros((m, Tx, N_values), dtype=bool)
    Y = np.zeros((m, Tx, N_values), dtype=bool)
    for i in range(m):
        random_idx = np.random.choice(len(corpus) - Tx)
        corp_data = corpus[random_idx:(random_idx + Tx)]
        for j in range(Tx):
            idx = values_indices[corp_data[j]]
            if j != 0:
                X[i, j, idx] = 1
                Y[i, j - 1, idx] = 1
    Y = np.swapaxes(Y, 0, 1)
    return np.asarray(X), np.asarray(Y), N_values


def test_training_windows_are_the_courses(musical_data):
    _, abstract_grammars = musical_data
    corpus, _, values_indices, _ = get_corpus_data(abstract_grammars)
    X, Y, n_values = data_processing(corpus, values_indices, m=60, Tx=30)
    assert X.shape == (60, 30, 78) and Y.shape == (30, 60, 78) and n_values == 78
    course_X, course_Y, _ = course_data_processing(corpus, values_indices)
    np.testing.assert_array_equal(X, course_X)
    np.testing.assert_array_equal(Y, course_Y)
    # by hand: NumPy's legacy generator seeded with 0 starts the first window at token 47, so
    # window 0, step 1 is the corpus's token 48: the tenth token of the fourth measure (the
    # first three measures hold 12 + 12 + 15 = 39 tokens).
    assert [len(g.split(" ")) for g in COURSE_GRAMMARS[:3]] == [12, 12, 15]
    token_48 = COURSE_GRAMMARS[3].split(" ")[9]
    assert X[0, 1].argmax() == values_indices[token_48] and X[0, 1].sum() == 1
    assert not X[:, 0].any() and not Y[-1].any()


def test_solo_timeline_lays_measures_end_to_end(corpus_path):
    from jazz_improv.corpus import load_solo, solo_timeline

    solo = load_solo(corpus_path)
    notes, chords = solo_timeline(solo)
    assert len(notes) == 193 and len(chords) == sum(len(g) for g in solo.chords[1:])
    # the solo's measures 119..136 become bars 0..17, each note keeping its place in the bar
    originals = [n for measure in solo.measures[1:] for n in measure]
    for moved, original in zip(notes, originals):
        assert moved.offset == original.offset - 119 * 4
        assert moved.nameWithOctave == original.nameWithOctave
    assert min(n.offset for n in notes) == 0 and max(n.offset for n in notes) < 18 * 4
    assert solo.measures[1][0].offset == 476  # the originals are untouched


def _solo_of_values(count, repeats=1):
    """A Solo whose grammar holds `count` distinct values (notes of different lengths), `repeats` times."""
    from jazz_improv.corpus import Solo

    tokens = " ".join(f"C,{k / 128:.3f}" for k in range(1, count + 1))
    return Solo([], [], [tokens] * repeats, 4, (60, 72), (), {}, ())


def test_more_values_than_a_model_may_learn_are_refused_before_any_array():
    import pytest
    from data_utils import load_music_utils
    from jazz_improv.console import InputError

    with pytest.raises(InputError, match=r"^the corpus has 2,001 distinct values, more than the 2,000 a model may "
                                         r"learn; learn from part of it with --section START:END$"):
        load_music_utils(solo=_solo_of_values(2_001))


def test_windows_times_values_are_bounded():
    import pytest
    from data_utils import load_music_utils
    from jazz_improv.console import InputError

    # --windows 2000 of 1,001 values: 2,002,000 (window, value) pairs, 458 MB of X and Y
    with pytest.raises(InputError, match=r"^2,000 training windows of 1,001 values would take 458 MB, more than "
                                         r"the 458 MB allowed; use fewer --windows"):
        load_music_utils(solo=_solo_of_values(1_001), m=2_000)
    # by default, as many windows as fit: 2,000,000 // 1,500
    X, Y, n_values, _ = load_music_utils(solo=_solo_of_values(1_500, repeats=20))  # 3,000 windows asked
    assert n_values == 1_500 and X.shape == (1_333, 30, 1_500) and Y.shape == (30, 1_333, 1_500)
