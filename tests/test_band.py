"""The rhythm section (--band): the walking bass's notes against its rules, the ride pattern, the
MIDI file's channels and programs, the audio's voices and the lead sheet's bass staff."""

import random
from fractions import Fraction

import mido
import numpy as np
from music21 import chord, note, stream

from jazz_improv import audio
from jazz_improv.band import BASS_HIGH, BASS_LOW, PEDAL_HAT, RIDE, rhythm_section, swing_ride, walking_bass
from jazz_improv.lead_sheet import lead_sheet, musicxml_text
from jazz_improv.midi_output import write_midi


def changes(*bars):
    """Chords a bar (4 beats) each: names of their pitches, the root first."""
    made = []
    for bar, pitches in enumerate(bars):
        c = chord.Chord(list(pitches), quarterLength=4)
        c.offset = 4 * bar
        made.append(c)
    return made


II_V_I = changes(("D3", "F3", "A3", "C4"), ("G3", "B3", "D4", "F4"), ("C3", "E3", "G3", "B3"), ("C3", "E3", "G3", "B3"))


def test_the_bass_walks_roots_chord_tones_and_approach_notes():
    walked = walking_bass(II_V_I, 16, random.Random(0))
    assert [beat for beat, _ in walked] == list(range(16))  # a quarter note on every beat
    pitches = [p for _, p in walked]
    assert all(BASS_LOW <= p <= BASS_HIGH for p in pitches)
    assert [pitches[b] % 12 for b in (0, 4, 8)] == [2, 7, 0]  # the root where each chord arrives
    for before, target in ((3, 4), (7, 8)):  # a half step into the next root
        assert abs(pitches[before] - pitches[target]) == 1
    tones = [{2, 5, 9, 0}, {7, 11, 2, 5}, {0, 4, 7, 11}, {0, 4, 7, 11}]
    for beat in (1, 2, 5, 6, 9, 10, 11, 12, 13, 14, 15):  # other beats: tones of the chord
        assert pitches[beat] % 12 in tones[beat // 4]
    assert all(a != b for a, b in zip(pitches, pitches[1:]))  # it walks: never the same note twice


def test_the_ride_swings_and_the_hi_hat_closes_on_two_and_four():
    hits = swing_ride(8, 4)
    rides = sorted(t for t, key in hits if key == RIDE)
    assert rides == [0, 1, 1 + Fraction(2, 3), 2, 3, 3 + Fraction(2, 3), 4, 5, 5 + Fraction(2, 3), 6, 7,
                     7 + Fraction(2, 3)]
    assert sorted(t for t, key in hits if key == PEDAL_HAT) == [1, 3, 5, 7]


def score_over(chords, beats=16):
    melody = stream.Part([note.Note("E5", quarterLength=beats)])
    return stream.Score([melody, stream.Part(chords)])


def test_the_band_goes_to_general_midi_channels_and_programs(tmp_path):
    score = score_over(II_V_I)
    for part in rhythm_section(score, 4, random.Random(0)):
        score.insert(0, part)
    write_midi(score, tmp_path / "band.midi")
    played = {}
    for track in mido.MidiFile(tmp_path / "band.midi").tracks:
        for message in track:
            if message.type == "program_change":
                played.setdefault(message.channel, {"program": message.program, "notes": []})
            if message.type == "note_on" and message.velocity:
                played.setdefault(message.channel, {"program": None, "notes": []})["notes"].append(message.note)
    assert played[9]["notes"].count(RIDE) == 16 + 8 and played[9]["notes"].count(PEDAL_HAT) == 8  # channel 10
    bass = [channel for channel, found in played.items() if found["program"] == 32]  # acoustic bass
    assert len(bass) == 1 and len(played[bass[0]]["notes"]) == 16


def test_the_band_has_its_own_voices_in_the_audio():
    score = score_over(changes(("E2", "G#2", "B2")), beats=4)
    for part in rhythm_section(score, 4, random.Random(0)):
        score.insert(0, part)
    sounds = audio.score_sounds(score)
    roles = {s.role for s in sounds}
    assert roles == {audio.MELODY, audio.CHORDS, audio.BASS, audio.DRUMS}
    bass = audio.render([s for s in sounds if s.role == audio.BASS][:1], bpm=60)
    freqs = np.fft.rfftfreq(len(bass), 1 / audio.SAMPLE_RATE)
    peak = freqs[np.argmax(np.abs(np.fft.rfft(bass)))]
    assert abs(peak - audio.frequency(40)) < 2  # the root, E2, as the bass sounds it
    ride = audio.render([s for s in sounds if s.role == audio.DRUMS and s.pitch == RIDE][:1], bpm=60)
    spectrum = np.abs(np.fft.rfft(ride))
    freqs = np.fft.rfftfreq(len(ride), 1 / audio.SAMPLE_RATE)
    assert spectrum[freqs > 5000].sum() > spectrum[freqs < 1000].sum()  # a cymbal: bright noise


def test_the_lead_sheet_writes_the_bass_on_its_own_staff():
    score = score_over(II_V_I)
    for part in rhythm_section(score, 4, random.Random(0)):
        score.insert(0, part)
    sheet = lead_sheet(score, 4)
    assert [p.id for p in sheet.parts] == ["Solo", "Chords", "Bass"]
    written = [n.pitch.midi for n in sheet.parts[2].recurse().notes]
    assert written == [p for _, p in walking_bass(II_V_I, 16, random.Random(0))]
    assert "<sign>F</sign>" in musicxml_text(sheet)


def test_cli_band_over_chords_and_a_soundfont_that_is_none(tmp_path, default_run):
    from conftest import run_lstm

    _, midi = default_run
    weights = midi.parent / "djmodel.weights.h5"
    out = tmp_path / "band" / "my_music.midi"
    done = run_lstm("--load-weights", weights, "--chords", "Dm7 G7 | Cmaj7", "--band", "--no-audio", "--out", out)
    assert done.returncode == 0, done.stderr
    assert f"A walking bass and a ride cymbal play along, in {out}" in done.stdout
    channels = {m.channel for t in mido.MidiFile(out).tracks for m in t if m.type == "note_on"}
    assert 9 in channels and len(channels) == 4
    assert "<part-name>Bass</part-name>" in (out.parent / "my_music.musicxml").read_text()

    bad = tmp_path / "font.sf2"
    bad.write_bytes(b"not a soundfont")
    refused = run_lstm("--load-weights", weights, "--chords", "C", "--soundfont", bad, "--out",
                       tmp_path / "refused" / "my_music.midi")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert ("not a SoundFont 2 file" in refused.stderr) or ("FluidSynth is not installed" in refused.stderr)
    assert not (tmp_path / "refused" / "my_music.midi").exists()

    font = tmp_path / "mine" / "my_music.wav"  # a SoundFont named like an output of the run
    font.parent.mkdir()
    font.write_bytes(b"RIFF\0\0\0\0sfbk")
    clash = run_lstm("--load-weights", weights, "--chords", "C", "--soundfont", font, "--out",
                     tmp_path / "mine" / "my_music.midi")
    assert clash.returncode == 2 and len(clash.stderr.strip().splitlines()) == 1
    assert font.read_bytes() == b"RIFF\0\0\0\0sfbk"


def test_no_chord_is_silence_for_the_chords_and_the_bass(tmp_path):
    from data_utils import generate_music
    from jazz_improv.chord_symbols import parse_progression

    def predict_and_sample(model):
        return None, np.zeros((50, 1), dtype=int)

    score = generate_music(None, {0: "C,1.000,<m2,P-4>"}, None, predict_and_sample, out_path=tmp_path / "a.midi",
                           progression=parse_progression("N.C. | C7"), bars=8, register=(55, 79))
    chords = list(score.parts[1].flatten().notes)
    assert chords and all(int(c.offset // 4) % 2 == 1 for c in chords)  # bars 2, 4, 6, 8 only
    walked = walking_bass(chords, 32, random.Random(0))
    assert walked and all(beat // 4 % 2 == 1 for beat, _ in walked)
