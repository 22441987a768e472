"""Pieces as people have them: chorales, piano music, songs, ABC tunes, folders of files.

Small scores built here with music21 (or as raw MIDI bytes); every expected melody and chord
is worked out by hand in the comments.
"""

import re
import struct
from fractions import Fraction as F

import pytest
from music21 import chord, instrument, meter, note, stream

from jazz_improv import corpus
from conftest import write
from jazz_improv.chord_symbols import parse_progression
from data_utils import load_music_utils
from jazz_improv.limits import MAX_TOKEN_LENGTH
from jazz_improv.music_rules import is_token
from music_utils import windows_for
from jazz_improv.console import InputError
from jazz_improv.corpus import Options, load_solo, solo_timeline


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus, "CACHE_DIR", tmp_path / "cache")


def part_of(name, notes, beats=4, part_instrument=None):
    """A Part of (offset, length, pitch or [pitches]) notes."""
    part = stream.Part(id=name)
    part.partName = name
    part_instrument = part_instrument or instrument.Instrument()
    part_instrument.partName = name  # MIDI files name their tracks after it
    part.insert(0, part_instrument)
    part.insert(0, meter.TimeSignature(f"{beats}/4"))
    for offset, length, pitches in notes:
        made = chord.Chord(pitches) if isinstance(pitches, list) else note.Note(pitches)
        made.quarterLength = length
        part.insert(offset, made)
    return part


def pitches_of(measure_chords):
    return [(c.offset, tuple(p.midi for p in c.pitches)) for c in measure_chords]


def melody_of(measure):
    return [n.pitch.midi for n in measure if isinstance(n, note.Note)]


def durations(grammar):
    return sum(F(token.split(",")[1]) for token in grammar.split(" "))


# --- a chorale: four single voices, no chord part ---------------------------------------

# Two bars, repeated 8 times: I V vi V | I IV I (half notes).
SOPRANO = [76, 74, 72, 74, 76, 77, 76]  # E5 D5 C5 D5 | E5 F5 E5
ALTO = [67, 67, 64, 67, 67, 69, 67]  # G4 G4 E4 G4 | G4 A4 G4
TENOR = [60, 59, 60, 59, 60, 60, 60]  # C4 B3 C4 B3 | C4 C4 C4
BASS = [48, 43, 45, 43, 48, 41, 48]  # C3 G2 A2 G2 | C3 F2 C3
CHORALE_RHYTHM = [(0, 1), (1, 1), (2, 1), (3, 1), (4, 1), (5, 1), (6, 2)]


def chorale_voice(name, pitches, repeats=8):
    return part_of(name, [(8 * r + offset, length, pitch) for r in range(repeats)
                          for (offset, length), pitch in zip(CHORALE_RHYTHM, pitches)])


@pytest.mark.parametrize("fmt, suffix", [("midi", "mid"), ("musicxml", "musicxml")])
def test_a_chorale_sings_its_soprano_over_its_lower_voices(tmp_path, fmt, suffix):
    path = write(tmp_path, f"chorale.{suffix}", *(chorale_voice(name, pitches) for name, pitches in
                                                 [("Soprano", SOPRANO), ("Alto", ALTO), ("Tenor", TENOR),
                                                  ("Bass", BASS)]), fmt=fmt)
    solo = load_solo(path)
    assert len(solo.abstract_grammars) == 16
    assert melody_of(solo.measures[1]) == [76, 74, 72, 74] and melody_of(solo.measures[2]) == [76, 77, 76]
    # Alto, tenor and bass beat by beat: C (C3 C4 G4), G (G2 B3 G4), Am (A2 C4 E4), G.
    assert pitches_of(solo.chords[1]) == [(0, (48, 60, 67)), (1, (43, 59, 67)), (2, (45, 60, 64)),
                                          (3, (43, 59, 67))]
    # C, F (F2 C4 A4), C held over the bar line into bar 3, where it is repeated on the downbeat.
    assert pitches_of(solo.chords[2]) == [(4, (48, 60, 67)), (5, (41, 60, 69)), (6, (48, 60, 67))]
    assert pitches_of(solo.chords[3])[:2] == [(8, (48, 60, 67)), (9, (43, 59, 67))]
    # C5 to F5; each repeat sings E three times, D twice, C and F once
    assert solo.register == (72, 77) and solo.pitch_classes == {4: 24, 2: 16, 0: 8, 5: 8}
    X, Y, n_values, _ = load_music_utils(path)  # no options needed
    assert X.shape == (60, 30, n_values) and Y.shape == (30, 60, n_values)
    # Naming the chord parts gives the same chords.
    named = load_solo(path, Options(chord_parts=("Alto", "Tenor", "Bass")))
    assert [pitches_of(c) for c in named.chords] == [pitches_of(c) for c in solo.chords]


# --- piano: a tune on top of chords, in one part ------------------------------------------

def piano_with_tune(bars=8):
    """Right hand: a four-note chord each beat, its top note the tune; left hand: a whole note."""
    notes = []
    for bar in range(bars):
        if bar % 2 == 0:  # C major: C3 | C4 E4 G4 under E5 D5 C5 D5
            bass, inner, tune = 48, [60, 64, 67], [76, 74, 72, 74]
        else:  # F major: F2 | A3 C4 F4 under C5 A4 C5 F5
            bass, inner, tune = 41, [57, 60, 65], [72, 69, 72, 77]
        notes.append((4 * bar, 4, bass))
        notes += [(4 * bar + beat, 1, inner + [top]) for beat, top in enumerate(tune)]
    return part_of("Piano", notes, part_instrument=instrument.Piano())


@pytest.mark.parametrize("fmt, suffix", [("midi", "mid"), ("musicxml", "musicxml")])
def test_a_piano_piece_plays_its_top_line_over_the_rest(tmp_path, fmt, suffix):
    path = write(tmp_path, f"piano.{suffix}", piano_with_tune(), fmt=fmt)
    solo = load_solo(path)
    assert len(solo.abstract_grammars) == 8
    assert melody_of(solo.measures[1]) == [76, 74, 72, 74]
    assert melody_of(solo.measures[2]) == [72, 69, 72, 77]
    # The chords are what is left: the bass and the three lower notes, one chord a bar.
    assert pitches_of(solo.chords[1]) == [(0, (48, 60, 64, 67))]
    assert pitches_of(solo.chords[2]) == [(4, (41, 57, 60, 65))]
    X, _, n_values, _ = load_music_utils(path)
    assert X.shape == (60, 30, n_values)
    # Named as the melody's part, the piano part still gives its top line.
    assert load_solo(path, Options(melody_part="Piano")).abstract_grammars == solo.abstract_grammars


def test_piano_only_block_chords_give_their_top_notes(tmp_path):
    # C3 E3 G3 B3 | D3 F3 A3 C4 | G2 B2 D3 F3, whole notes: the top notes are the melody.
    figures = [[48, 52, 55, 59], [50, 53, 57, 60], [43, 47, 50, 53]]
    blocks = [(4 * bar, 4, figures[bar % 3]) for bar in range(6)]
    path = write(tmp_path, "blocks.mid", part_of("Piano", blocks, part_instrument=instrument.Piano()))
    solo = load_solo(path)
    assert [melody_of(m) for m in solo.measures[1:4]] == [[59], [60], [53]]
    assert [pitches_of(c) for c in solo.chords[1:4]] == [[(0, (48, 52, 55))], [(4, (50, 53, 57))],
                                                         [(8, (43, 47, 50))]]


# --- an atonal piano piece: two staves --------------------------------------------------------

ROW = [72, 73, 79, 78, 82, 75, 81, 76, 83, 74, 80, 77]  # a twelve-tone row from C5
DYADS = [[48, 54], [50, 61], [47, 53], [51, 62]]  # tritones and major sevenths, one a beat


def test_an_atonal_piano_piece_works(tmp_path):
    right = part_of("Right", [(i / 2, 0.5, ROW[i % 12]) for i in range(64)], 4, instrument.Piano())
    left = part_of("Left", [(beat, 1, DYADS[beat % 4]) for beat in range(32)], 4, instrument.Piano())
    path = write(tmp_path, "atonal.mid", right, left)
    solo = load_solo(path)
    assert len(solo.abstract_grammars) == 8
    assert [p for m in solo.measures[1:] for p in melody_of(m)] == [ROW[i % 12] for i in range(64)]
    # The left hand plays nothing but dyads: it is the chord part, its chords taken as written.
    assert pitches_of(solo.chords[1]) == [(0, (48, 54)), (1, (50, 61)), (2, (47, 53)), (3, (51, 62))]
    X, _, n_values, _ = load_music_utils(path)
    assert X.shape == (60, 30, n_values)


# --- a song: a voice and a piano ---------------------------------------------------------

def test_a_voice_with_piano_sings_the_voice_over_the_piano_chords(tmp_path):
    tune = [79, 77, 76, 74, 72, 74, 76, 77]  # G5 F5 E5 D5 | C5 D5 E5 F5, quarter notes
    voice = part_of("Voice", [(i, 1, tune[i % 8]) for i in range(32)], part_instrument=instrument.Soprano())
    piano = []
    for bar in range(8):  # C major chords on every beat over a whole-note C3, then G7 over G2
        bass, upper = (48, [60, 64, 67]) if bar % 2 == 0 else (43, [59, 62, 65, 67])
        piano.append((4 * bar, 4, bass))
        piano += [(4 * bar + beat, 1, upper) for beat in range(4)]
    path = write(tmp_path, "song.mid", voice, part_of("Piano", piano, part_instrument=instrument.Piano()))
    solo = load_solo(path)
    assert melody_of(solo.measures[1]) == [79, 77, 76, 74]
    # Four of five piano onsets are chords: the chord part, its chords as written, beat by beat.
    assert pitches_of(solo.chords[1]) == [(beat, (60, 64, 67)) for beat in range(4)]
    assert pitches_of(solo.chords[2]) == [(4 + beat, (59, 62, 65, 67)) for beat in range(4)]


# --- ABC: one file, two tunes ----------------------------------------------------------------

TWO_TUNES = """X:1
T:A Jig
M:6/8
L:1/8
K:G
D|"G"GAB "D7"AGF|"G"G2B d2B|"C"c2e "G"d2B|"D7"A3 A2D|
"G"GAB "D7"AGF|"G"G2B d2B|"C"c2e "D7"dcA|"G"G3 G2|]

X:2
T:A Reel
M:4/4
L:1/8
K:D
"D"DFAF dFAF|"G"GBdB "A7"AGFE|"D"DFAF dFAF|"A7"EFGA "D"D4|]
"""


def pitch_classes(measure_chords):
    return [(c.offset, {p.midi % 12 for p in c.pitches}) for c in measure_chords]


G, D7, C, D, A7 = {7, 11, 2}, {2, 6, 9, 0}, {0, 4, 7}, {2, 6, 9}, {9, 1, 4, 7}


def test_an_abc_file_of_two_tunes_each_in_its_own_metre(tmp_path):
    path = tmp_path / "tunes.abc"
    path.write_text(TWO_TUNES)
    solo = load_solo(path)
    # The jig: its pickup bar (D, an eighth before the first bar line), then 8 bars of 6/8.
    # The reel: 4 bars of 4/4, no pickup.
    assert solo.bar_lengths == (F(3),) * 9 + (F(4),) * 4
    assert solo.beats_per_bar == 3  # the metre most measures have
    pickup = solo.measures[1]
    assert [(n.offset, n.quarterLength) for n in pickup] == [(0, 2.5), (2.5, 0.5)]  # rest, then D4
    assert melody_of(pickup) == [62]
    # Every full bar's values last a bar: 3 quarter notes in the jig, 4 in the reel.
    assert [durations(g) for g in solo.abstract_grammars[1:8]] == [3] * 7
    assert [durations(g) for g in solo.abstract_grammars[9:]] == [4] * 4
    # The quoted chord symbols are the chords: "G" "D7" in the jig's first bar, "D" in the reel's.
    assert pitch_classes(solo.chords[2]) == [(3, G), (4.5, D7)]
    assert pitch_classes(solo.chords[4]) == [(9, C), (10.5, G)]
    assert pitch_classes(solo.chords[10]) == [(0, D)]
    assert pitch_classes(solo.chords[11]) == [(4, G), (6, A7)]
    # Laid end to end, the reel starts after the jig's 9 bars of 3 quarter notes.
    notes, _ = solo_timeline(solo)
    assert [n.offset for n in notes if n.offset >= 27][:2] == [27, 27.5]
    # Read again, both tunes come from the cache, one entry each.
    assert load_solo(path).abstract_grammars == solo.abstract_grammars
    assert len(list((tmp_path / "cache").glob("*.json"))) == 2
    X, _, n_values, _ = load_music_utils(path)
    assert X.shape == (60, 30, n_values)


def test_abc_tunes_without_chords_need_chords_given(tmp_path):
    path = tmp_path / "bare.abc"
    path.write_text(re.sub(r'"[^"]*"', "", TWO_TUNES))  # no chord symbols
    with pytest.raises(InputError, match="none of its 2 tunes can be used.*no chords found.*--chords"):
        load_solo(path)
    solo = load_solo(path, Options(progression=parse_progression("G | D7")))
    assert pitch_classes(solo.chords[2]) == [(3, G)] and pitch_classes(solo.chords[3]) == [(6, D7)]


# --- several files, each in its own metre -------------------------------------------------------

def eighths(bars, beats, first=72):
    """A line of eighth notes going up and down a C major scale."""
    scale = [0, 2, 4, 5, 7, 9, 11, 12, 11, 9, 7, 5, 4, 2]
    return [(i / 2, 0.5, first + scale[i % len(scale)]) for i in range(bars * beats * 2)]


def tune_and_chords(bars, beats):
    chords = [(beats * bar, beats, [48, 52, 55] if bar % 2 == 0 else [43, 47, 50, 53]) for bar in range(bars)]
    return (part_of("Tune", eighths(bars, beats), beats, instrument.Flute()),
            part_of("Piano", chords, beats, instrument.Piano()))


def test_each_file_keeps_its_own_metre(tmp_path):
    waltz = write(tmp_path, "a_waltz.mid", *tune_and_chords(12, 3))
    march = write(tmp_path, "b_march.mid", *tune_and_chords(6, 4))
    solo = load_solo([waltz, march])
    assert solo.bar_lengths == (F(3),) * 12 + (F(4),) * 6
    assert [len(melody_of(m)) for m in solo.measures[1:]] == [6] * 12 + [8] * 6
    assert [durations(g) for g in solo.abstract_grammars] == [3] * 12 + [4] * 6
    assert solo.beats_per_bar == 3  # 12 measures in 3/4, 6 in 4/4
    # The march's measures keep their own bar lines: bar 2 of the march starts at beat 4.
    assert [c.offset for c in solo.chords[14]] == [4]
    notes, chords = solo_timeline(solo)
    # laid end to end: the march begins after 12 bars of 3, each of its bars 4 long
    starts = sorted({n.offset for n in notes if n.offset >= 36 and (n.offset - 36) % 4 == 0})
    assert starts == [36, 40, 44, 48, 52, 56]
    assert [c.offset for c in chords][-6:] == [36, 40, 44, 48, 52, 56]
    assert max(n.offset + n.quarterLength for n in notes) == 12 * 3 + 6 * 4


# --- training windows --------------------------------------------------------------------------

def test_windows_grow_with_the_corpus():
    assert windows_for(100) == windows_for(193) == 60  # the course's corpus and smaller
    assert windows_for(600) == 60  # 3 * 600 / 30 = 60
    assert windows_for(1_000) == 100 and windows_for(10_000) == 1_000
    assert windows_for(25_000) == windows_for(10**6) == 2_000  # the cap
    assert windows_for(1_000, Tx=20) == 150


def test_a_larger_corpus_gets_more_windows(tmp_path):
    path = write(tmp_path, "long.mid", *tune_and_chords(100, 4))  # 100 bars of 8 eighths: 800 values
    X, Y, n_values, _ = load_music_utils(path)
    assert X.shape == (80, 30, n_values) and Y.shape == (30, 80, n_values)  # 3 * 800 / 30
    assert load_music_utils(path, m=60)[0].shape == (60, 30, n_values)  # m given: m


def test_the_course_corpus_keeps_its_sixty_windows(corpus_path):
    X, Y, n_values, _ = load_music_utils(corpus_path)
    assert X.shape == (60, 30, 78) and Y.shape == (30, 60, 78)


# --- folders: bad files are skipped, with a line each ------------------------------------------

def test_a_folder_with_a_corrupt_file_reads_the_others(tmp_path, capsys):
    folder = tmp_path / "songs"
    folder.mkdir()
    write(folder, "a.mid", *tune_and_chords(4, 4))
    write(folder, "b.mid", *tune_and_chords(4, 3))
    (folder / "c.mid").write_bytes(b"MThd not really a MIDI file")
    solo = load_solo(folder)
    assert solo.bar_lengths == (F(4),) * 4 + (F(3),) * 4
    err = capsys.readouterr().err.splitlines()
    assert [line for line in err if line.startswith("skipped")] == [
        f"skipped {folder / 'c.mid'}: not a readable MIDI file (cut short)"]
    assert err[-1] == "read 2 of 3 files"
    assert any(line.startswith("reading ") for line in err)  # progress


def test_a_folder_of_corrupt_files_is_refused(tmp_path, capsys):
    for name in ("a.mid", "b.mid"):
        (tmp_path / name).write_bytes(b"\x00" * 40)
    with pytest.raises(InputError, match="none of the 2 files can be used"):
        load_solo(tmp_path)
    assert capsys.readouterr().err.count("skipped") == 2


# --- what is refused, what is clipped ---------------------------------------------------------

def test_drums_alone_have_nothing_to_learn(tmp_path):
    drums = stream.Part()
    drums.insert(0, instrument.BassDrum())
    for beat in range(16):
        drums.insert(beat, note.Unpitched(quarterLength=1))
    for fmt, suffix in [("midi", "mid"), ("musicxml", "musicxml")]:
        with pytest.raises(InputError, match=r"no melodic part: nothing pitched") as refused:
            load_solo(write(tmp_path, f"drums.{suffix}", drums, fmt=fmt))
        assert "\n" not in str(refused.value)


def test_a_note_longer_than_a_grammar_value_is_clipped(tmp_path):
    # 20/4: each bar a single 20-quarter-note tone over a chord; tokens stop at 16 quarter notes.
    tune = part_of("Tune", [(20 * bar, 20, 72 + bar) for bar in range(3)], 20, instrument.Flute())
    chords = part_of("Piano", [(20 * bar, 20, [48, 52, 55]) for bar in range(3)], 20, instrument.Piano())
    solo = load_solo(write(tmp_path, "long_notes.mid", tune, chords))
    assert solo.bar_lengths == (F(20),) * 3
    # C5, C#5 and D5 over C major: a chord tone, an approach tone, a scale tone
    assert [g.split(",")[:2] for g in solo.abstract_grammars] == [["C", f"{MAX_TOKEN_LENGTH:.3f}"],
                                                                  ["A", "16.000"], ["S", "16.000"]]
    assert all(is_token(t) for g in solo.abstract_grammars for t in g.split(" "))


# --- a type-0 MIDI file: a whole band in one track ------------------------------------------

def raw_midi(notes, ticks=480):
    """A type-0 MIDI file (one track, 4/4) of (channel from 0, pitch, start, length) notes in
    quarter notes."""
    events = []
    for channel, pitch, start, length in notes:
        events.append((int(start * ticks), 1, bytes([0x90 | channel, pitch, 90])))
        events.append((int((start + length) * ticks), 0, bytes([0x80 | channel, pitch, 0])))
    data, now = b"\x00\xff\x58\x04\x04\x02\x18\x08", 0
    for tick, _, message in sorted(events):
        delta = tick - now
        gap = bytes([delta & 0x7F])  # a variable-length quantity: 7 bits a byte, high bit "more"
        while delta > 0x7F:
            delta >>= 7
            gap = bytes([0x80 | (delta & 0x7F)]) + gap
        data += gap + message
        now = tick
    data += b"\x00\xff\x2f\x00"
    return b"MThd" + struct.pack(">IHHH", 6, 0, 1, ticks) + b"MTrk" + struct.pack(">I", len(data)) + data


def test_a_type_0_midi_file_is_split_by_channel(tmp_path):
    melody = [(0, 72 + [0, 2, 4, 7][i % 4], i / 2, 0.5) for i in range(64)]  # C5 D5 E5 G5 in eighths
    chords = [(1, pitch, 4 * bar, 4) for bar in range(8) for pitch in (48, 52, 55)]  # C major, a bar each
    drums = [(9, 42, beat, 0.25) for beat in range(32)]  # a hi-hat on every beat, channel 10
    path = tmp_path / "band.mid"
    path.write_bytes(raw_midi(melody + chords + drums))
    solo = load_solo(path)
    assert len(solo.abstract_grammars) == 8
    assert melody_of(solo.measures[1]) == [72, 74, 76, 79] * 2
    assert pitches_of(solo.chords[1]) == [(0, (48, 52, 55))]
    listing = r"the parts are: 0 \(channel 1\), 1 \(channel 2\), 2 \(Percussion\)"
    with pytest.raises(InputError, match=r"no part 'Sax'.*" + listing):
        load_solo(path, Options(melody_part="Sax"))


def test_a_music21_name_in_several_formats_gives_the_musicxml():
    from jazz_improv.corpus import music21_corpus_file

    # music21 has this movement as Humdrum (.krn) and as MusicXML (.mxl)
    found = music21_corpus_file("beethoven/opus18no1/movement2")
    assert found.name == "movement2.mxl" and found.parent.name == "opus18no1"


@pytest.mark.parametrize("name, message", [
    ("bach", "music21:bach: names 4"),  # hundreds of chorales
    ("no/such/piece", "not one piece of music21's corpus"),
])
def test_a_music21_name_of_many_pieces_or_none_is_one_line(name, message):
    from jazz_improv.console import InputError
    from jazz_improv.corpus import music21_corpus_file

    with pytest.raises(InputError, match=message) as error:
        music21_corpus_file(name)
    assert "\n" not in str(error.value)
    if name == "bach":
        assert "choose one, e.g. music21:bach/" in str(error.value)
