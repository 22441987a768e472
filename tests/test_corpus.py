"""The corpus is the course's, token for token.

tests/data/course_grammars.txt holds the 18 grammar strings that the course's own
preprocess.py and grammar.py produce from data/original_metheny.mid when run under
music21 5.1.0 (the version the course was written for), one measure per line.
"""

from pathlib import Path

import numpy as np

from music_utils import data_processing
from preprocess import get_corpus_data, quantize

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


def test_training_windows_are_the_courses(musical_data):
    _, abstract_grammars = musical_data
    corpus, _, values_indices, _ = get_corpus_data(abstract_grammars)
    X, Y, n_values = data_processing(corpus, values_indices, m=60, Tx=30)
    assert X.shape == (60, 30, 78) and Y.shape == (30, 60, 78) and n_values == 78
    # the course seeded the global legacy generator and drew one start per window
    np.random.seed(0)
    starts = [np.random.choice(len(corpus) - 30) for _ in range(60)]
    for i, start in enumerate(starts):
        assert not X[i, 0].any()
        for t in range(1, 30):
            assert X[i, t].argmax() == values_indices[corpus[start + t]]
            assert X[i, t].sum() == 1
    np.testing.assert_array_equal(Y[:-1], np.swapaxes(X[:, 1:], 0, 1))
    assert not Y[-1].any()


def test_solo_timeline_lays_measures_end_to_end(corpus_path):
    from preprocess import load_solo, solo_timeline

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
