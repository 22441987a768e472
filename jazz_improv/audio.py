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
BASS_VOICE = Voice(harmonics=(1.0, 0.45, 0.2, 0.08), decay=1.8, attack=0.008, gain=0.5)
# Drums (--band) are noise, not harmonics: how long each General MIDI key rings, and how loud.
DRUM_DECAY = {51: 0.6, 44: 0.06}  # ride cymbal, pedal hi-hat: seconds to fall by e^-1
DRUM_GAIN = 0.05


MELODY, CHORDS, BASS, DRUMS = "melody", "chords", "bass", "drums"  # a Sound's role
VOICES = {MELODY: GUITAR, CHORDS: KEYS, BASS: BASS_VOICE}


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


@lru_cache(maxsize=16)
def render_hit(drum_key, sample_rate=SAMPLE_RATE):
    """Samples of one drum hit: noise, brightened (each sample less the one before) and fading as
    the key rings (DRUM_DECAY); the same noise every time, so a run's audio is always the same."""
    decay = DRUM_DECAY.get(drum_key, 0.1)
    count = int(round(5 * decay * sample_rate))
    noise = np.random.default_rng(drum_key).standard_normal(count + 1)
    samples = DRUM_GAIN * np.diff(noise) * np.exp(-np.arange(count) / (decay * sample_rate))
    samples.setflags(write=False)
    return samples


def cut_at(sounds, bpm, max_seconds=None):
    """The sounds (a list) that start before max_seconds, cut off there; all of them if None."""
    sounds = list(sounds)
    if max_seconds is None:
        return sounds
    limit = max_seconds / (60.0 / bpm)
    return [Sound(s.start, min(s.length, limit - s.start), s.pitch, s.role) for s in sounds if s.start < limit]


def length_in_samples(sounds, bpm, sample_rate=SAMPLE_RATE):
    """How long a rendering of sounds lasts, whatever renders it: to the end of the last note,
    then RELEASE_SECONDS."""
    end = max((s.start + s.length for s in sounds), default=0.0)
    return int(round((end * 60.0 / bpm + RELEASE_SECONDS) * sample_rate)) + 1


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
    sounds = cut_at(sounds, bpm, max_seconds)
    mix = np.zeros(length_in_samples(sounds, bpm, sample_rate))
    for sound in sounds:
        samples = (render_hit(int(sound.pitch), sample_rate) if sound.role == DRUMS else
                   render_note(sound.length, sound.pitch, sound.voice, seconds_per_quarter, sample_rate))
        first = int(round(sound.start * seconds_per_quarter * sample_rate))
        mix[first:first + len(samples)] += samples[: len(mix) - first]
    peak = np.abs(mix).max()
    if peak > 0:
        mix *= PEAK / peak
    return mix


def score_sounds(score):
    """Sounds of a music21 stream, or a list of its notes and chords: single notes are the
    melody (the guitar voice), chords the chords (the keyboard voice); in a Score, the notes of
    a part whose id is "bass" or "drums" (band.rhythm_section) are the bass or the drums."""
    if isinstance(score, stream.Score):
        return [sound for part in score.parts for sound in _part_sounds(part.flatten().notes, part.id)]
    return _part_sounds(score.flatten().notes if isinstance(score, stream.Stream) else score, None)


def _part_sounds(elements, part_id):
    role = {"bass": BASS, "drums": DRUMS}.get(part_id)
    sounds = []
    for element in elements:
        start, length = float(element.offset), float(element.quarterLength)
        if isinstance(element, chord.Chord):
            sounds += [Sound(start, length, p.midi, role or CHORDS) for p in element.pitches]
        elif isinstance(element, note.Note):
            sounds.append(Sound(start, length, element.pitch.midi, role or MELODY))
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
