"""Real instruments when the machine has them: the music rendered through FluidSynth with a General
MIDI SoundFont, a jazz guitar for the solo, a piano for the chords, an acoustic bass and a drum
kit with --band. audio.py's NumPy synthesizer plays whenever FluidSynth or a SoundFont is missing.

FluidSynth is the C library (Debian's libfluidsynth3, Homebrew's fluid-synth) driven through the
pyfluidsynth binding. The SoundFont is the one --soundfont names, else Debian's
fluid-soundfont-gm, else the small General MIDI SoundFont the pretty_midi package ships. Both
renderers give the same bytes for the same music.
"""

import importlib.util
from pathlib import Path

import numpy as np

from jazz_improv import audio
from jazz_improv.audio import (BASS, CHORDS, DRUMS, MELODY, PEAK, RELEASE_SECONDS, SAMPLE_RATE, cut_at,
                               length_in_samples)
from jazz_improv.console import InputError, native_stderr_muted, printable

# Where Debian's General MIDI SoundFonts are installed (fluid-soundfont-gm, and its alternative).
SYSTEM_SOUNDFONTS = (Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"), Path("/usr/share/sounds/sf2/default-GM.sf2"))
# role -> (MIDI channel, bank, General MIDI program): jazz guitar, piano, acoustic bass, drum kit
PROGRAMS = {MELODY: (0, 0, 26), CHORDS: (1, 0, 0), BASS: (2, 0, 32), DRUMS: (9, 128, 0)}
VELOCITY = {MELODY: 100, CHORDS: 70, BASS: 90, DRUMS: 80}
INSTALL = "sudo apt install libfluidsynth3 (macOS: brew install fluid-synth)"
MAX_SOUNDFONT_BYTES = 1 << 30


def fluidsynth():
    """The pyfluidsynth module, or None when it or the FluidSynth library is not installed."""
    try:
        with native_stderr_muted():
            import fluidsynth as module
    except (ImportError, OSError):
        return None
    return module if hasattr(module, "Synth") else None


def find_soundfont(given=None):
    """The SoundFont to play with: `given` (checked: a readable SoundFont 2 file, else InputError),
    else Debian's, else pretty_midi's; None when there is none."""
    if given is not None:
        return check_soundfont(Path(given))
    for path in SYSTEM_SOUNDFONTS:
        if path.is_file():
            return path
    spec = importlib.util.find_spec("pretty_midi")
    shipped = Path(spec.origin).parent / "TimGM6mb.sf2" if spec and spec.origin else None
    return shipped if shipped and shipped.is_file() else None


def check_soundfont(path):
    """The path of a SoundFont 2 file (RIFF, form "sfbk"), or InputError in one line."""
    try:
        if not path.is_file():
            raise InputError(f"{path}: no such SoundFont file; give --soundfont a .sf2 file")
        if path.stat().st_size > MAX_SOUNDFONT_BYTES:
            raise InputError(f"{path}: larger than {MAX_SOUNDFONT_BYTES >> 20} MB, too large for a SoundFont")
        with open(path, "rb") as opened:
            header = opened.read(12)
    except OSError as error:
        raise InputError(f"{path}: cannot read the SoundFont ({error.strerror})") from None
    try:
        str(path).encode("utf-8")  # FluidSynth takes its name as UTF-8
    except UnicodeEncodeError:
        raise InputError(f"{printable(path)}: FluidSynth cannot open a file whose name is not UTF-8; "
                         "rename it") from None
    if header[:4] != b"RIFF" or header[8:12] != b"sfbk":
        raise InputError(f"{path}: not a SoundFont 2 file (.sf2); give --soundfont a General MIDI SoundFont")
    return path


def render(sounds, bpm, soundfont, module, sample_rate=SAMPLE_RATE, max_seconds=None):
    """Mix audio.Sound objects through FluidSynth: one float signal in [-PEAK, PEAK], mono, as long
    as audio.render's (audio.length_in_samples), its last RELEASE_SECONDS fading out.

    Arguments:
        sounds, bpm, max_seconds -- as audio.render takes them
        soundfont -- the path of a SoundFont 2 file
        module -- the pyfluidsynth module (fluidsynth())
    """
    seconds_per_quarter = 60.0 / bpm
    sounds = cut_at(sounds, bpm, max_seconds)
    total = length_in_samples(sounds, bpm, sample_rate)
    events = []  # (sample, 0 for a note's end so that it comes before a start, role, pitch)
    for sound in sounds:
        start = int(round(sound.start * seconds_per_quarter * sample_rate))
        end = max(start + 1, int(round((sound.start + sound.length) * seconds_per_quarter * sample_rate)))
        events += [(start, 1, sound.role, int(sound.pitch)), (min(end, total), 0, sound.role, int(sound.pitch))]
    events.sort()
    with native_stderr_muted():
        synth = module.Synth(samplerate=float(sample_rate))
        try:
            font = synth.sfload(str(soundfont))
            if font < 0:
                raise InputError(f"{soundfont}: FluidSynth cannot load this SoundFont; give --soundfont "
                                 "another General MIDI SoundFont (.sf2)")
            for channel, bank, program in PROGRAMS.values():
                synth.program_select(channel, font, bank, program)
            blocks, now = [], 0
            for sample, starts, role, pitch in events:
                if sample > now:
                    blocks.append(synth.get_samples(sample - now))
                    now = sample
                if starts:
                    synth.noteon(PROGRAMS[role][0], pitch, VELOCITY[role])
                else:
                    synth.noteoff(PROGRAMS[role][0], pitch)
            blocks.append(synth.get_samples(total - now))
        finally:
            synth.delete()
    mix = np.concatenate(blocks).astype(np.float64).reshape(-1, 2).mean(axis=1)[:total]
    fade = min(len(mix), int(RELEASE_SECONDS * sample_rate))
    mix[len(mix) - fade:] *= np.linspace(1, 0, fade)
    peak = np.abs(mix).max()
    return mix * (PEAK / peak) if peak > 0 else mix


def renderer(soundfont=None):
    """How this machine plays the music: (render(sounds, bpm, max_seconds=None) -> signal, a line
    saying which renderer it is). FluidSynth with a SoundFont when both are found, else the NumPy
    synthesizer. Raises InputError for a --soundfont that is no SoundFont, or given where
    FluidSynth is not installed."""
    module = fluidsynth()
    if module is None and soundfont is not None:
        raise InputError(f"--soundfont {soundfont}: FluidSynth is not installed; {INSTALL}")
    found = find_soundfont(soundfont)
    if module is None or found is None:
        why = "FluidSynth is not installed" if module is None else "no General MIDI SoundFont was found"
        return audio.render, f"the NumPy synthesizer ({why}; for real instruments: {INSTALL})"
    return (lambda sounds, bpm, max_seconds=None: render(sounds, bpm, found, module, max_seconds=max_seconds),
            f"FluidSynth, with the SoundFont {found}")
