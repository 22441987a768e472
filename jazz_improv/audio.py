"""Hear the music without leaving the program: a small NumPy synthesizer and audio files.

The melody is played by a plucked, electric-guitar-like voice (a few harmonics that fade
faster the higher they are); the chords by a soft keyboard voice. Each note has an attack
and a release ramp, so nothing clicks. The mix is normalised below full scale and written as
44.1 kHz 16-bit WAV; ffmpeg converts it to MP3 or Ogg when it is installed.
"""

import contextlib
import os
import shutil
import signal
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from music21 import chord, note, stream
from scipy.io import wavfile

from jazz_improv.console import printable
from jazz_improv.safe_files import write_atomically

SAMPLE_RATE = 44_100
PEAK = 10 ** (-1 / 20)  # normalise to -1 dBFS
RELEASE_SECONDS = 0.08  # how long a note takes to fade once it ends


@dataclass(frozen=True)
class Voice:
    harmonics: tuple  # amplitude of harmonic 1, 2, ...
    decay: float  # per second, for the fundamental; harmonic k fades (k + 1) / 2 times faster
    attack: float  # seconds
    gain: float


GUITAR = Voice(harmonics=(1.0, 0.5, 0.33, 0.25, 0.16, 0.1), decay=2.5, attack=0.004, gain=0.55)
KEYS = Voice(harmonics=(1.0, 0.25, 0.08), decay=1.2, attack=0.02, gain=0.16)


MELODY, CHORDS = "melody", "chords"  # a Sound's role
VOICES = {MELODY: GUITAR, CHORDS: KEYS}


@dataclass(frozen=True)
class Sound:
    """One pitch to play: start and length in quarter notes, MIDI pitch, and its role in the
    music, MELODY or CHORDS, which decides the voice that plays it."""

    start: float
    length: float
    pitch: float
    role: str

    @property
    def voice(self):
        return VOICES[self.role]


def frequency(midi_pitch):
    return 440.0 * 2 ** ((midi_pitch - 69) / 12)


@lru_cache(maxsize=4096)  # pieces repeat the same pitch and length many times
def render_note(length, pitch, voice, seconds_per_quarter, sample_rate=SAMPLE_RATE):
    """Samples of one note: its length at the tempo plus the release tail (read-only array)."""
    held = length * seconds_per_quarter
    count = int(round((held + RELEASE_SECONDS) * sample_rate))
    t = np.arange(count) / sample_rate
    f0 = frequency(pitch)
    signal = np.zeros(count)
    for k, amplitude in enumerate(voice.harmonics, start=1):
        if k * f0 >= sample_rate / 2:
            break
        signal += amplitude * np.exp(-voice.decay * (1 + 0.5 * (k - 1)) * t) * np.sin(2 * np.pi * k * f0 * t)
    envelope = np.clip(t / voice.attack, 0, 1)
    release = np.clip((held + RELEASE_SECONDS - t) / RELEASE_SECONDS, 0, 1)
    samples = voice.gain * signal * envelope * release
    samples.setflags(write=False)
    return samples


def render(sounds, bpm, sample_rate=SAMPLE_RATE, max_seconds=None):
    """Mix sounds into one float signal in [-PEAK, PEAK].

    Arguments:
        sounds -- iterable of Sound
        bpm -- tempo, quarter notes per minute
        max_seconds -- if given, only the sounds that start before this time, cut off there
    Returns:
        1-D float64 array; its length is the end of the last note plus the release tail
    """
    seconds_per_quarter = 60.0 / bpm
    sounds = list(sounds)
    if max_seconds is not None:
        limit = max_seconds / seconds_per_quarter
        sounds = [Sound(s.start, min(s.length, limit - s.start), s.pitch, s.role)
                  for s in sounds if s.start < limit]
    end = max((s.start + s.length for s in sounds), default=0.0)
    mix = np.zeros(int(round((end * seconds_per_quarter + RELEASE_SECONDS) * sample_rate)) + 1)
    for sound in sounds:
        samples = render_note(sound.length, sound.pitch, sound.voice, seconds_per_quarter, sample_rate)
        first = int(round(sound.start * seconds_per_quarter * sample_rate))
        mix[first:first + len(samples)] += samples[: len(mix) - first]
    peak = np.abs(mix).max()
    if peak > 0:
        mix *= PEAK / peak
    return mix


def score_sounds(score):
    """Sounds of a music21 stream, or a list of its notes and chords: single notes are the
    melody (the guitar voice), chords the chords (the keyboard voice)."""
    sounds = []
    for element in score.flatten().notes if isinstance(score, stream.Stream) else score:
        start, length = float(element.offset), float(element.quarterLength)
        if isinstance(element, chord.Chord):
            sounds += [Sound(start, length, p.midi, CHORDS) for p in element.pitches]
        elif isinstance(element, note.Note):
            sounds.append(Sound(start, length, element.pitch.midi, MELODY))
    return sounds


def write_wav(signal, path, sample_rate=SAMPLE_RATE):
    """Write a float signal in [-1, 1] as 16-bit PCM WAV, whole or not at all."""
    pcm = np.round(np.clip(signal, -1, 1) * 32767).astype(np.int16)
    write_atomically(path, lambda temporary: wavfile.write(temporary, sample_rate, pcm))


def ffmpeg_available():
    return _converter() is not None


def _converter():
    return shutil.which("ffmpeg") or shutil.which("avconv")


# ffmpeg's own codec for each format (pydub's choices); it gets at least CONVERT_SECONDS, or
# half the music's length if that is longer, to finish.
CODECS = {"mp3": [], "ogg": ["-acodec", "libvorbis"]}
CONVERT_SECONDS = 10


def _stop(process):
    """Kill a process started with start_new_session, and its group where the system has them."""
    if hasattr(os, "killpg"):
        with contextlib.suppress(OSError):
            os.killpg(process.pid, signal.SIGKILL)
    process.kill()
    process.wait()


def convert(wav_path, out_path):
    """Convert a WAV file to mp3 or ogg (out_path's suffix) with ffmpeg; returns out_path.

    ffmpeg is run directly rather than through pydub, which cannot bound its time: a converter
    that hangs is stopped after CONVERT_SECONDS (or half the music's length), and one that
    fails leaves no file. Raises RuntimeError with what happened and what to do in both cases,
    and when ffmpeg is not installed; the WAV file stays.
    """
    audio_format = Path(out_path).suffix.lstrip(".")
    program = _converter()
    if program is None:
        raise RuntimeError(f"{audio_format} needs ffmpeg, which is not installed "
                           f"(e.g. apt-get install ffmpeg); the WAV file is kept")
    sample_rate, samples = wavfile.read(wav_path, mmap=True)
    limit = max(CONVERT_SECONDS, len(samples) / sample_rate / 2)

    def encode(temporary):
        command = [program, "-y", "-loglevel", "error", "-i", str(wav_path), *CODECS[audio_format],
                   "-f", audio_format, str(temporary)]
        # its own process group, so that stopping it stops whatever it started (a wrapper's ffmpeg)
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, start_new_session=True)
        try:
            said = process.communicate(timeout=limit)[1]
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"ffmpeg did not finish the {audio_format} file within {limit:.0f} s and was "
                               "stopped; the WAV file is kept") from None
        finally:  # a time limit, Ctrl-C, a signal: nothing of it goes on running
            if process.poll() is None:
                _stop(process)
        if process.returncode != 0:
            said = said.decode(errors="replace").strip().splitlines()
            reason = printable(said[-1])[:120] if said else f"exit status {process.returncode}"
            raise RuntimeError(f"ffmpeg could not make the {audio_format} file ({reason}); the WAV file is kept")

    write_atomically(out_path, encode)
    return out_path
