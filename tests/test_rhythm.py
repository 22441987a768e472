"""The corpus's rhythm laid over improvised values (jazz_improv.rhythm), and what generate_music
does with it: triplets kept whole, silence from the corpus's gaps, chords bar after bar, phrases
that differ. Each rule on hand-made grammar strings and hand-made corpora."""

import random
from fractions import Fraction

import numpy as np
import pytest
from music21 import chord, note

from data_utils import generate_music
from jazz_improv.report import harmony_change_share, originality, rhythm_metrics
from jazz_improv.console import InputError
from jazz_improv.rhythm import (Rhythm, breathe, corpus_rhythm, draw_gap, hold_long_rests, let_ring, melody_silences,
                                token_length)
from jazz_improv.saved_model import load_vocabulary, save_vocabulary


def line(*onsets_and_lengths):
    """Notes (C4, D4, E4 ...) at (offset, length) pairs, in quarter notes."""
    made = []
    for i, (offset, length) in enumerate(onsets_and_lengths):
        made.append(note.Note(60 + 2 * (i % 6), quarterLength=length))
        made[-1].offset = offset
    return made


def onsets(grammar):
    """The offsets, in quarter notes, at which a grammar string's tokens start."""
    found, position = [], Fraction(0)
    for token in grammar.split(" "):
        found.append(position)
        position += token_length(token.split(",")[1])
    return found


@pytest.mark.parametrize("text, length", [("0.333", Fraction(1, 3)), ("0.667", Fraction(2, 3)),
                                          ("0.250", Fraction(1, 4)), ("0.083", Fraction(1, 12)),
                                          ("0.125", Fraction(1, 8)), ("4.000", Fraction(4))])
def test_a_tokens_length_is_exact_on_the_triplet_and_sixteenth_grid(text, length):
    assert token_length(text) == length


def test_the_corpus_rhythm_counts_each_gap_where_it_starts_and_after_what_length():
    # a beat of eighth-note triplets, a sixteenth followed by a dotted-eighth rest, two notes at once
    notes = line((0, 1 / 3), (Fraction(1, 3), 1 / 3), (Fraction(2, 3), 1 / 3), (1, 0.25), (2, 0.5), (2, 0.5),
                 (3, 1)) + [note.Rest(quarterLength=4)]
    notes[-1].offset = 4
    grammars = ["C,0.333 C,0.333,<m2,P-4> C,0.333,<m2,P-4> C,0.250,<m2,P-4>", "S,0.500 C,0.500 C,1.000", "R,4.000"]
    rhythm = corpus_rhythm(notes, grammars)
    assert rhythm.gaps == {(4, 0): {4: 1}, (4, 4): {4: 1}, (4, 8): {4: 1},  # the triplets, a third apart
                           (3, 0): {12: 1},  # the sixteenth: the next note a beat later
                           (6, 0): {12: 1},  # from beat 2 to beat 3, the chord's two notes counted once
                           (12, 0): {12: 1}}  # the last note, then the rest
    # values starting on a beat: the measures' first ones, then the others in order, no rest
    assert rhythm.openings == ("C,0.333", "S,0.500", "C,0.250,<m2,P-4>", "C,0.500", "C,1.000")
    # silent: from the sixteenth's end to beat 2 (9 ticks), from the chord's end to beat 3 (6);
    # the closing rest is after the last note, so the melody spans beats 0 to 4
    assert (rhythm.silences, rhythm.span) == ({9: 1, 6: 1}, 48)


def test_overlapping_notes_leave_no_silence():
    assert melody_silences(line((0, 2), (1, 0.5), (3, 1))) == ({12: 1}, 48)
    assert melody_silences([]) == ({}, 0)


def test_long_rests_are_kept_as_often_as_the_corpus_has_them():
    # The corpus rests half a bar (24 ticks) once in 8 beats, and a quarter (12 ticks) twice.
    rhythm = Rhythm({}, (), {24: 1, 12: 2}, 96)
    phrase = "C,1.000 R,2.000 C,1.000,<m2,P-4> R,1.000 R,1.000 S,2.000 R,1.000 C,1.000 R,2.000"
    laid, kept = hold_long_rests(phrase, rhythm, 24, 0, 0)
    # the first long rest (at beat 1) is the one the corpus allows in its first 8 beats; the
    # second (two R tokens, at beat 4) is held by the note before; the quarter rest stays, and
    # so does the rest that ends the phrase (its end decides), uncounted
    assert laid == "C,1.000 R,2.000 C,3.000,<m2,P-4> S,2.000 R,1.000 C,1.000 R,2.000" and kept == 1
    assert onsets(laid)[3] == onsets(phrase)[5]  # the onsets stay where they were
    # a phrase starting at beat 8: one more long rest is due
    assert hold_long_rests("C,1.000 R,2.000 C,1.000", rhythm, 24, 96, 1) == ("C,1.000 R,2.000 C,1.000", 2)
    assert hold_long_rests("C,1.000 R,2.000 C,1.000", rhythm, 24, 96, 2) == ("C,3.000 C,1.000", 2)
    # a corpus that never rests that long keeps none; a rhythm without silences changes nothing
    assert hold_long_rests(phrase, Rhythm({}, (), {12: 2}, 96), 24, 0, 0)[0].count("R,") == 2
    assert hold_long_rests(phrase, Rhythm({}, ()), 24, 0, 0) == (phrase, 0)


def test_a_model_that_rests_in_every_phrase_rests_as_often_as_its_corpus(tmp_path):
    # Every phrase rests half a bar after 6 beats (the first value, a sixteenth, comes from
    # zeros); each phrase lasts 13 bars. The corpus rests that long once in 100 beats.
    values = {0: "C,1.000", 1: "R,2.000"}

    def predict_and_sample(model):
        return None, np.array([0] * 6 + [1] + [0] * 43)[:, None]

    def long_silences(rhythm):
        score = generate_music(None, values, c_and_f_bars(), predict_and_sample, out_path=tmp_path / "a.midi",
                               register=(55, 79), rhythm=rhythm, phrases=4)
        notes = list(score.parts[0].flatten().notes)
        silent_from = sorted(n.offset + n.quarterLength for n in notes if not any(
            m.offset <= n.offset + n.quarterLength < m.offset + m.quarterLength for m in notes))
        return melody_silences(notes)[0], [s for s in silent_from if s < 200]  # not the end

    # rests at beats 6.25, 58.25, 110.25 and 162.25: the first and third are kept (1 and 2 due)
    assert long_silences(Rhythm({}, (), {24: 1}, 1200)) == ({24: 2}, [6.25, 110.25])
    assert long_silences(Rhythm({}, ()))[0] == {24: 4}  # a vocabulary without silences: all kept


def test_a_rhythms_silences_round_trip_through_the_vocabulary_and_are_checked(tmp_path):
    path = tmp_path / "vocabulary.json"
    rhythm = Rhythm({(3, 0): {3: 2}}, ("C,0.250",), {24: 1, 6: 3}, 960)
    save_vocabulary(path, {0: "C,0.250", 1: "R,2.000"}, (60, 72), {0: 3}, ["0" * 64], rhythm, Fraction(5, 2))
    assert load_vocabulary(path)[3:] == (rhythm, Fraction(5, 2))  # and the bar: 5/8
    import json

    entry = json.loads(path.read_text())
    for silences, span in [([[24, 50]], 960), ([[24, 1], [24, 1]], 960), ([[0, 1]], 960), ([[24, 1.5]], 960),
                           ([[24, 1]], -1), ([[24, 1]], None), ("24", 960), ([[24, 1, 1]], 960)]:
        path.write_text(json.dumps(dict(entry, silences=silences, melody_span=span)))
        with pytest.raises(InputError, match="silences"):
            load_vocabulary(path)
    without_rhythm = {key: item for key, item in entry.items() if key not in ("onset_gaps", "openings")}
    path.write_text(json.dumps(dict(without_rhythm, silences="junk", melody_span=-3)))
    with pytest.raises(InputError, match="silences"):  # checked all the same
        load_vocabulary(path)
    for bar in ["0", "-3", "x", "64", "1/32", "1/0", 3, None, "9" * 40]:
        path.write_text(json.dumps(dict(entry, beats_per_bar=bar)))
        if bar is None:  # null: as in a vocabulary from before bar lengths
            assert load_vocabulary(path)[4] is None
            continue
        with pytest.raises(InputError, match="beats_per_bar"):
            load_vocabulary(path)
    del entry["silences"], entry["melody_span"]  # a vocabulary from before them
    path.write_text(json.dumps(entry))
    assert load_vocabulary(path)[3] == rhythm._replace(silences=None, span=0)


def test_a_gap_is_drawn_from_the_corpus_at_the_same_place_in_the_beat():
    gaps = {(3, 0): {3: 1, 12: 3}, (4, 4): {4: 1}, (6, 8): {4: 2}}
    drawn = [draw_gap(gaps, 3, 0, random.Random(seed)) for seed in range(200)]
    assert set(drawn) == {3, 12} and 100 < drawn.count(12) < 190  # weighted 3 to 1
    assert draw_gap(gaps, 2, 4, random.Random(0)) == 4  # another length, at that place: a gap from there
    assert draw_gap(gaps, 3, 8, random.Random(0)) == 4  # ... at least as long as the value
    assert draw_gap(gaps, 9, 8, random.Random(0)) == 4  # ... or else any
    assert draw_gap(gaps, 6, 1, random.Random(0)) == 6  # nothing at that place: the value's own length


def test_a_triplet_group_stays_on_the_triplet_grid():
    # A corpus that plays triplets on beats, then a quarter note: values of triplet lengths laid on it
    # start on the beat and a third and two thirds after it, never between; a sixteenth that comes
    # a third into the beat, where the corpus has only triplets, lasts as long as a triplet.
    corpus = corpus_rhythm(line((0, 1 / 3), (Fraction(1, 3), 1 / 3), (Fraction(2, 3), 1 / 3), (1, 1), (2, 1 / 3),
                                (Fraction(7, 3), 1 / 3), (Fraction(8, 3), 1 / 3), (3, 1)), ["C,0.333"])
    grammar = " ".join(["C,0.333,<m2,P-4>", "C,0.250,<m2,P-4>"] + ["C,0.333,<m2,P-4>"] * 7
                       + ["C,1.000,<m2,P-4>"] + ["C,0.333,<m2,P-4>"] * 3)
    laid = breathe(grammar, corpus.gaps, random.Random(0))
    assert laid.split(" ")[1:3] == ["C,0.250,<m2,P-4>", "R,0.083"]
    starts = [start for start, token in zip(onsets(laid), laid.split(" ")) if not token.startswith("R")]
    assert len(starts) == 13 and {start % 1 for start in starts} <= {0, Fraction(1, 3), Fraction(2, 3)}
    for beat in {int(start) for start in starts if start % 1}:  # a beat with triplets has the whole group
        assert {start for start in starts if int(start) == beat} == {beat, beat + Fraction(1, 3),
                                                                     beat + Fraction(2, 3)}


def test_silence_comes_from_the_corpus_gaps():
    # The corpus holds every sixteenth for a whole beat: laid on it, each value is followed by a
    # rest of a dotted eighth, so three quarters of the time is silent.
    corpus = corpus_rhythm(line(*[(beat, 0.25) for beat in range(8)]), ["C,0.250"])
    laid = breathe(" ".join(["C,0.250,<m2,P-4>"] * 8), corpus.gaps, random.Random(0))
    assert laid.split(" ")[:4] == ["C,0.250,<m2,P-4>", "R,0.750", "C,0.250,<m2,P-4>", "R,0.750"]
    notes = [n for n in line(*[(start, 0.25) for start in onsets(laid)[::2]])]
    assert rhythm_metrics(notes)["silence_share"] == pytest.approx(1 - 8 * 0.25 / (7 + 0.25))


def test_a_note_that_the_next_one_follows_sooner_is_cut_short():
    corpus = corpus_rhythm(line((0, 0.25), (Fraction(1, 12), 0.25), (1, 0.25)), ["C,0.250"])
    assert breathe("C,0.250 C,0.250,<m2,P-4>", corpus.gaps, random.Random(0)).startswith("C,0.083 ")


def test_a_note_cut_by_the_next_rings_on_into_it_until_the_one_after():
    def made(kind, offset, length):
        element = note.Note("C4") if kind == "note" else note.Rest()
        element.offset, element.quarterLength = Fraction(offset), Fraction(length)
        return element

    F = Fraction
    laid = [made("note", 0, F(1, 12)), made("note", F(1, 12), F(1, 6)), made("note", F(1, 4), F(1, 4)),
            made("rest", F(1, 2), F(1, 2)),
            made("note", 1, F(1, 12)), made("rest", F(13, 12), F(11, 12)),  # the next is a rest
            made("note", 2, F(1, 12)), made("note", F(25, 12), F(1, 12)), made("note", F(13, 6), F(1, 12))]
    own = [F(1, 4), F(1, 4), F(1, 4), F(1, 4), 1, F(1, 4), F(1, 4)]
    rung = let_ring(laid, own)
    assert [e.quarterLength for e in rung] == [
        F(1, 4), F(1, 4), F(1, 4), F(1, 2),  # each its own sixteenth, into the next
        F(1, 12), F(11, 12),  # before a rest: as it was
        F(1, 6),  # a whole note's value: at most a sixteenth, and up to the note after next
        F(1, 6),  # up to the end of the last
        F(1, 12)]  # the last: nothing after it, as it was
    # a quarter cut to an eighth is no blip and does not ring over the next; one cut to a
    # twelfth sounds a sixteenth; a value a twelfth long keeps its own length
    laid = [made("note", 0, F(1, 2)), made("note", F(1, 2), F(1, 12)), made("note", F(7, 12), F(1, 12)),
            made("note", 1, 1)]
    assert [e.quarterLength for e in let_ring(laid, [1, 1, F(1, 12), 1])] == [F(1, 2), F(1, 4), F(1, 12), 1]


def test_no_note_of_a_phrase_is_a_blip_where_the_corpus_slurs(tmp_path):
    # The corpus starts each sixteenth 2 ticks (a sixth of a beat) after the one before: laid on
    # it, every note would last 2 ticks; each sounds its sixteenth, a tick into the next.
    rhythm = Rhythm({(3, position): {2: 1} for position in range(12)}, ())

    def predict_and_sample(model):
        return None, np.zeros((50, 1), dtype=int)  # sixteenths

    score = generate_music(None, VALUES, c_and_f_bars(), predict_and_sample, out_path=tmp_path / "a.midi",
                           register=(55, 79), rhythm=rhythm, phrases=1)
    notes = list(score.parts[0].flatten().notes)
    assert [n.offset for n in notes[:4]] == [0, Fraction(1, 6), Fraction(1, 3), Fraction(1, 2)]
    assert {n.quarterLength for n in notes[:-1]} == {0.25}  # the last one is held to the bar line


class OpeningModel:
    """Stands for the inference model: predicts value (opening + step) % 10 at each step from the
    given first value, or always value 0 from zeros, as an argmax model does at T = 0."""

    def __init__(self):
        self.calls = []

    def predict_and_sample(self, inference_model, x_initializer=None, a_initializer=None, c_initializer=None):
        opening = None if x_initializer is None else int(np.argmax(x_initializer))
        self.calls.append(opening)
        indices = np.zeros((50, 1), dtype=int) if opening is None else ((opening + np.arange(50)) % 10)[:, None]
        return np.eye(10)[indices[:, 0]], indices


def c_and_f_bars():
    """Four chord groups (header, then C, F, G7 and C), one chord a bar, offsets of a tune."""
    groups = [[]]
    for bar, names in enumerate([("C4", "E4", "G4"), ("F4", "A4", "C5"), ("G3", "B3", "D4", "F4"),
                                 ("C4", "E4", "G4")]):
        made = chord.Chord(list(names), quarterLength=4)
        made.offset = 4 * bar
        groups.append([made])
    return groups


VALUES = {0: "C,0.250", 1: "C,0.333,<m2,P-4>", 2: "S,0.333,<m2,P-4>", 3: "C,0.333,<M2,m-3>",
          4: "C,0.500,<m2,P-4>", 5: "C,0.250,<P5,P-5>", 6: "S,0.250,<M2,m-3>", 7: "C,0.750,<m2,P-4>",
          8: "C,1.000,<m2,P-4>", 9: "S,0.333,<M2,m-3>"}


def test_no_two_phrases_alike_at_temperature_zero(tmp_path):
    model = OpeningModel()
    played = []
    generate_music(None, VALUES, c_and_f_bars(), model.predict_and_sample, out_path=tmp_path / "a.midi",
                   register=(55, 79), rhythm=Rhythm({}, tuple(VALUES[i] for i in (1, 4, 7, 8, 9, 3))),
                   values=played)
    assert len(played) == 5 and len({tuple(p[1:]) for p in played}) == 5
    assert len(set(model.calls)) == 5 and set(model.calls) <= {1, 4, 7, 8, 9, 3}  # each from its own opening
    assert all(phrase[0] == VALUES[opening] for phrase, opening in zip(played, model.calls))
    course = []  # the course's rules: every phrase from zeros, so all alike
    generate_music(None, VALUES, c_and_f_bars(), model.predict_and_sample, out_path=tmp_path / "b.midi",
                   rhythm=Rhythm({}, (VALUES[1],)), values=course)
    assert len({tuple(p) for p in course}) == 1 and model.calls[-1] is None


def test_a_learners_predict_and_sample_without_initializers_starts_from_zeros(tmp_path):
    calls = []

    def predict_and_sample(inference_model):
        calls.append(inference_model)
        return None, np.arange(50)[:, None] % 10

    played = []
    generate_music("model", VALUES, c_and_f_bars(), predict_and_sample, out_path=tmp_path / "a.midi",
                   register=(55, 79), rhythm=Rhythm({}, (VALUES[1], VALUES[4])), values=played)
    assert calls == ["model"] * 5 and played[0] == [VALUES[i % 10] for i in range(50)]


def test_the_chords_move_bar_after_bar_as_the_tune_has_them(tmp_path):
    def predict_and_sample(model):
        return None, np.full((50, 1), 4)  # eighth notes: 25 quarter notes, cut to four bars

    for register, expected in (((55, 79), ["C", "F", "G7", "C"] * 5),  # ours: the tune's bars in order
                               (None, ["C"] * 4 + ["F"] * 4 + ["G7"] * 4 + ["C"] * 4 + ["C"] * 4)):  # course
        score = generate_music(None, VALUES, c_and_f_bars(), predict_and_sample, out_path=tmp_path / "a.midi",
                               register=register)
        chords = list(score.parts[1].flatten().notes)
        named = [{"C": "C", "F": "F", "G": "G7"}[c.root().name] for c in chords]
        assert [c.offset for c in chords] == [4.0 * bar for bar in range(20)]
        assert named == expected
        assert all(c.quarterLength == 4 for c in chords)  # none rings into the next
    assert harmony_change_share(chords, 4) == pytest.approx(3 / 19)  # the course's: a change a phrase, or none


def test_a_phrase_cut_by_its_bars_ends_with_a_breath(tmp_path):
    def predict_and_sample(model):
        return None, np.full((50, 1), 5)  # 50 sixteenths and the first: more than three bars

    score = generate_music(None, VALUES, c_and_f_bars(), predict_and_sample, out_path=tmp_path / "a.midi",
                           register=(55, 79), bars=3)
    ends = [n.offset + n.quarterLength for n in score.parts[0].flatten().notes]
    assert max(ends) == 11  # the last beat of the third bar is silent


def test_a_triplet_group_is_whole_through_the_clean_up_at_a_phrase_end(tmp_path):
    # Triplet values laid on a corpus of triplet beats: the phrase is cut at its bar line less a
    # breath, on a beat, so each group keeps its three notes.
    corpus = corpus_rhythm(line(*[(beat + Fraction(k, 3), 1 / 3) for beat in range(4) for k in range(3)]),
                           ["C,0.333"])
    def predict_and_sample(model, x_initializer=None):
        return None, np.array([1, 2, 3] * 16 + [1, 2])[:, None]

    score = generate_music(None, VALUES, c_and_f_bars(), predict_and_sample, out_path=tmp_path / "a.midi",
                           register=(55, 79), rhythm=Rhythm(corpus.gaps, (VALUES[9],)), bars=1)
    starts = [Fraction(n.offset).limit_denominator(12) for n in score.parts[0].flatten().notes]
    assert {s % 1 for s in starts} <= {0, Fraction(1, 3), Fraction(2, 3)}
    beats = {int(s) for s in starts}
    assert beats == {0, 1, 2} and len(starts) == 9  # three beats of triplets, the fourth a breath


def test_originality_counts_the_runs_found_in_the_corpus():
    corpus = list("abcdefghij")
    found = originality([list("abcdxyz"), list("cdefghij")], corpus)
    assert found["copied_4gram_share"] == pytest.approx((1 + 5) / (4 + 5))
    assert found["copied_8gram_share"] == pytest.approx(1.0)
    assert found["longest_copy"] == 8 and found["distinct_phrase_share"] == 1
    assert originality([list("xy"), list("xy")], corpus) == {"copied_4gram_share": None, "copied_8gram_share": None,
                                                              "longest_copy": 0, "distinct_phrase_share": 0.5}


def test_rhythm_metrics_name_where_notes_start():
    notes = line((0, 1 / 3), (Fraction(1, 3), 1 / 3), (Fraction(2, 3), 1 / 3), (1, 0.25), (1.25, 0.25),
                 (1.5, 0.5), (3, 1))
    measured = rhythm_metrics(notes)
    assert measured["onset_histogram"] == {"beat": 3 / 7, "sixteenth": 2 / 7, "triplet": 2 / 7, "other": 0}
    assert measured["triplet_onset_share"] == 2 / 7
    # gaps (in ticks) 4, 4, 4, 3, 3, 18: three kinds, shares 1/2, 1/3, 1/6
    assert measured["gap_entropy"] == pytest.approx(-(0.5 * np.log2(0.5) + 1 / 3 * np.log2(1 / 3)
                                                      + 1 / 6 * np.log2(1 / 6)))
    assert measured["silence_share"] == pytest.approx(1 / 4)  # beat 2 is silent, of four


def test_a_repeated_note_is_tied_with_ours_and_dropped_with_the_courses_rule():
    from qa import clean_up_notes, prune_notes

    def notes():
        made = line((0, 0.5), (0.5, 0.5), (1, 0.5))
        made[1].pitch = made[0].pitch  # the second repeats the first
        return made

    dropped = prune_notes(notes())
    assert [(n.offset, n.quarterLength) for n in dropped] == [(0, 0.5), (1, 0.5)]  # a silence where it was
    tied = clean_up_notes(notes(), tie=True)
    assert [(n.offset, n.quarterLength) for n in tied] == [(0, 1.0), (1, 0.5)]


def test_a_phrase_that_ends_before_its_bar_line_holds_its_last_note_to_it(tmp_path):
    def predict_and_sample(model):
        return None, np.array([4] * 5 + [0] * 45)[:, None]  # as few values as a phrase may have...

    values = dict(VALUES) | {0: "R,0.250"}  # ... rests after them

    ends = {}
    for register in ((55, 79), None):  # 14 quarter notes in four bars: not cut
        score = generate_music(None, values, c_and_f_bars(), predict_and_sample, out_path=tmp_path / "a.midi",
                               register=register, bars=4)
        notes = list(score.parts[0].flatten().notes)
        ends[register] = notes[-1].offset + notes[-1].quarterLength
    assert ends[(55, 79)] == 16 and ends[None] <= 2.75  # the course's ends where its values do
