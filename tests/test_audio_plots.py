"""The synthesizer sounds the right pitches for the right time; the pictures show the data."""

import numpy as np
import pytest
from music21 import chord, converter, note, stream, tempo

from jazz_improv import audio
from jazz_improv.plots import plot_loss, plot_piano_roll

RATE = audio.SAMPLE_RATE


def spectrum(signal):
    window = np.hanning(len(signal))
    magnitudes = np.abs(np.fft.rfft(signal * window, n=1 << 20))
    return np.fft.rfftfreq(1 << 20, 1 / RATE), magnitudes


def peaks(signal, count):
    freqs, mags = spectrum(signal)
    found = []
    for index in np.argsort(mags)[::-1]:
        if all(abs(freqs[index] - f) > 20 for f in found):
            found.append(freqs[index])
        if len(found) == count:
            return sorted(found)


def test_a4_peaks_at_440_hz_and_lasts_its_length():
    sound = audio.Sound(0, 2, 69, audio.MELODY)  # two beats at 120 bpm: one second
    signal = audio.render([sound], bpm=120)
    assert abs(peaks(signal, 1)[0] - 440) <= 2
    expected = 1.0 + audio.RELEASE_SECONDS
    assert abs(len(signal) / RATE - expected) < 0.002


def test_c_major_triad_shows_its_three_pitches():
    signal = audio.render([audio.Sound(0, 4, p, audio.CHORDS) for p in (60, 64, 67)], bpm=120)
    found = peaks(signal, 3)
    for got, want in zip(found, (261.63, 329.63, 392.00)):
        assert abs(got - want) <= 2


def test_notes_start_on_time_and_silence_stays_silent():
    # a note on beat 0, a rest of two beats, a note on beat 3 (120 bpm: 0.5 s per beat)
    sounds = [audio.Sound(0, 1, 69, audio.MELODY), audio.Sound(3, 1, 72, audio.MELODY)]
    signal = audio.render(sounds, bpm=120)
    tail_end = int((0.5 + audio.RELEASE_SECONDS) * RATE) + 2
    assert np.all(signal[tail_end:int(1.5 * RATE)] == 0)
    onset = np.argmax(np.abs(signal[int(1.4 * RATE):]) > 1e-3) + int(1.4 * RATE)
    assert abs(onset / RATE - 1.5) < 0.005
    assert np.abs(signal).max() <= audio.PEAK + 1e-12 < 1
    # no click: the first and last samples of each note are near zero
    assert abs(signal[0]) < 1e-3 and abs(signal[-1]) < 1e-3


def test_score_renders_to_its_length_and_wav_round_trips(tmp_path):
    score = stream.Score()
    melody, chords = stream.Part(), stream.Part()
    melody.insert(0, tempo.MetronomeMark(number=130))
    for i, name in enumerate(["C5", "E5", "G5", "C6"]):
        melody.insert(i, note.Note(name, quarterLength=1))
    chords.insert(0, chord.Chord(["C3", "E3", "G3"], quarterLength=4))
    score.insert(0, melody)
    score.insert(0, chords)
    sounds = audio.score_sounds(score)
    assert sorted(s.pitch for s in sounds) == [48, 52, 55, 72, 76, 79, 84]
    signal = audio.render(sounds, bpm=130)
    assert abs(len(signal) / RATE - (4 * 60 / 130 + audio.RELEASE_SECONDS)) < 0.05
    path = tmp_path / "score.wav"
    audio.write_wav(signal, path)
    from scipy.io import wavfile

    rate, pcm = wavfile.read(path)
    assert rate == 44_100 and pcm.dtype == np.int16 and len(pcm) == len(signal)
    assert np.abs(pcm).max() < 32767


def test_conversion_without_ffmpeg_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(audio.shutil, "which", lambda name: None)
    wav = tmp_path / "x.wav"
    audio.write_wav(np.zeros(100), wav)
    with pytest.raises(RuntimeError, match="ffmpeg"):
        audio.convert(wav, wav.with_suffix(".mp3"))
    assert wav.exists() and not wav.with_suffix(".mp3").exists()


def test_loss_plot_draws_the_history():
    losses = [120.0, 80.5, 40.25, 20.0]
    figure = plot_loss(losses)
    line = figure.axes[0].lines[0]
    assert list(line.get_ydata()) == losses
    assert list(line.get_xdata()) == [1, 2, 3, 4]


def test_piano_roll_draws_every_note_of_a_midi_file(tmp_path):
    score = stream.Score()
    melody, chords = stream.Part(), stream.Part()
    for i, name in enumerate(["D4", "F4", "A4", "C5", "E5"]):
        melody.insert(i * 0.5, note.Note(name, quarterLength=0.5))
    chords.insert(0, chord.Chord(["D3", "F3", "A3", "C4"], quarterLength=4))
    score.insert(0, melody)
    score.insert(0, chords)
    path = tmp_path / "roll.mid"
    score.write("midi", fp=path)
    sounds = audio.score_sounds(converter.parse(path))
    figure = plot_piano_roll(sounds, 4)
    rectangles = [p.vertices for c in figure.axes[0].collections for p in c.get_paths()]
    assert len(rectangles) == 5 + 4  # five melody notes, a four-note chord
    pitches = sorted(round(r[:, 1].min() + 0.4) for r in rectangles)
    assert pitches == [50, 53, 57, 60, 62, 65, 69, 72, 76]
    starts = sorted(round(r[:, 0].min(), 3) for r in rectangles)
    assert starts == [0, 0, 0, 0, 0, 0.5, 1, 1.5, 2]
    colours = {tuple(c.get_facecolor()[0][:3]) for c in figure.axes[0].collections}
    assert len(colours) == 2  # melody and chords told apart


def test_piano_roll_bar_lines_follow_the_metre():
    sounds = [audio.Sound(i, 1, 60, audio.MELODY) for i in range(12)]  # four bars of 3/4
    for beats_per_bar, expected in ((3, [0, 3, 6, 9, 12]), (4, [0, 4, 8, 12])):
        axes = plot_piano_roll(sounds, beats_per_bar).axes[0]
        bar_lines = [line.get_xdata()[0] for line in axes.lines]
        assert bar_lines == expected


@pytest.mark.skipif(not audio.ffmpeg_available(), reason="ffmpeg is not installed")
def test_conversion_with_ffmpeg_keeps_the_length(tmp_path):
    from pydub import AudioSegment

    wav = tmp_path / "tone.wav"
    audio.write_wav(audio.render([audio.Sound(0, 4, 69, audio.MELODY)], bpm=120), wav)
    for audio_format in ("mp3", "ogg"):
        converted = audio.convert(wav, wav.with_suffix(f".{audio_format}"))
        assert converted == wav.with_suffix(f".{audio_format}")
        seconds = len(AudioSegment.from_file(converted, format=audio_format)) / 1000
        assert abs(seconds - (2 + audio.RELEASE_SECONDS)) < 0.1


def test_a_long_piano_roll_is_wrapped_into_rows_that_stay_readable():
    # 20 bars: rows of eight; 256 bars: rows of sixteen, each note in the row where it sounds
    for bars, rows, per_row in ((20, 3, 8), (256, 16, 16)):
        sounds = [audio.Sound(4 * bar + 1, 1, 60 + bar % 12, audio.MELODY) for bar in range(bars)]
        figure = plot_piano_roll(sounds, 4)
        assert len(figure.axes) == rows
        for row, ax in enumerate(figure.axes):
            assert ax.get_xlim() == (row * per_row * 4, (row + 1) * per_row * 4)
            drawn = [p.vertices[:, 0].min() for c in ax.collections for p in c.get_paths()]
            assert sorted(drawn) == [4 * bar + 1 for bar in range(row * per_row, min(bars, (row + 1) * per_row))]


def test_the_piano_roll_names_chords_notes_and_keeps_the_melody_on_top():
    sounds = [audio.Sound(0, 4, p, audio.CHORDS) for p in (48, 52, 55)] + [audio.Sound(0, 4, 60, audio.MELODY)]
    sounds += [audio.Sound(36, 4, 62, audio.MELODY)]
    figure = plot_piano_roll(sounds, 4, chord_names=[(0.0, "Cmaj7"), (36.0, "Dm7")])
    first, second = figure.axes
    assert [t.get_text() for t in first.texts if not t.get_text().isdigit()] == ["Cmaj7"]
    assert [t.get_text() for t in second.texts if not t.get_text().isdigit()] == ["Dm7"]
    assert "C4" in [label.get_text() for label in first.get_yticklabels()]  # note names, not MIDI numbers
    melody = [c for c in first.collections if tuple(c.get_facecolor()[0][:3]) == (1.0, 0.4980392156862745, 0.054901960784313725)]
    chords = [c for c in first.collections if c not in melody]
    assert melody and chords and min(c.get_zorder() for c in melody) > max(c.get_zorder() for c in chords)
    assert figure.legends and not any(ax.get_legend() for ax in figure.axes)  # the key outside the notes
