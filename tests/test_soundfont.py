"""Which renderer plays the music (FluidSynth with a SoundFont, else the NumPy synthesizer), a
--soundfont checked before use, and FluidSynth's audio checked by its spectrum where it is
installed."""

import numpy as np
import pytest

from jazz_improv import audio, soundfont
from jazz_improv.console import InputError

FLUIDSYNTH = soundfont.fluidsynth()
FOUND = soundfont.find_soundfont()
needs_fluidsynth = pytest.mark.skipif(FLUIDSYNTH is None or FOUND is None,
                                      reason="FluidSynth or a General MIDI SoundFont is not installed")


def test_without_fluidsynth_the_numpy_synthesizer_plays(monkeypatch):
    monkeypatch.setattr(soundfont, "fluidsynth", lambda: None)
    play, played_by = soundfont.renderer()
    assert play is audio.render and played_by.startswith("the NumPy synthesizer (FluidSynth is not installed")
    assert "apt install libfluidsynth3" in played_by  # the one install line
    with pytest.raises(InputError, match="FluidSynth is not installed"):
        soundfont.renderer("any.sf2")


def test_without_a_soundfont_the_numpy_synthesizer_plays(monkeypatch):
    monkeypatch.setattr(soundfont, "fluidsynth", lambda: object())
    monkeypatch.setattr(soundfont, "find_soundfont", lambda given=None: None)
    play, played_by = soundfont.renderer()
    assert play is audio.render and "no General MIDI SoundFont was found" in played_by


@pytest.mark.parametrize("content, problem", [(None, "no such SoundFont"),
                                              (b"RIFF\0\0\0\0WAVEfmt ", "not a SoundFont 2"),
                                              (b"", "not a SoundFont 2")])
def test_a_soundfont_that_is_none_is_one_line(tmp_path, content, problem):
    path = tmp_path / "font.sf2"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=problem):
        soundfont.check_soundfont(path)


@needs_fluidsynth
def test_fluidsynth_plays_the_pitch_and_the_same_bytes_every_time():
    sounds = [audio.Sound(0, 4, 69, audio.MELODY)]  # A4 on the jazz guitar, 2 s at 120 bpm
    play, played_by = soundfont.renderer()
    assert played_by.startswith("FluidSynth")
    first, second = play(sounds, bpm=120), play(sounds, bpm=120)
    assert np.array_equal(first, second)
    assert len(first) == len(audio.render(sounds, bpm=120))  # as long as the NumPy synthesizer's
    assert np.abs(first).max() == pytest.approx(audio.PEAK)
    spectrum = np.abs(np.fft.rfft(first[: audio.SAMPLE_RATE] * np.hanning(audio.SAMPLE_RATE)))
    freqs = np.fft.rfftfreq(audio.SAMPLE_RATE, 1 / audio.SAMPLE_RATE)
    strongest = freqs[np.argsort(spectrum)[-5:]]
    assert any(abs(f / 440 - round(f / 440)) < 0.02 and round(f / 440) >= 1 for f in strongest)  # A4's harmonics


@needs_fluidsynth
def test_fluidsynth_plays_the_band_and_the_snippet_limit():
    sounds = [audio.Sound(0, 1, 40, audio.BASS), audio.Sound(0, 1, 51, audio.DRUMS),
              audio.Sound(0, 4, 60, audio.CHORDS), audio.Sound(8, 1, 72, audio.MELODY)]
    play, _ = soundfont.renderer()
    cut = play(sounds, bpm=60, max_seconds=2)
    assert len(cut) == len(audio.render(sounds, bpm=60, max_seconds=2))
    assert np.abs(cut).max() > 0
