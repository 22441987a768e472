"""How lstm.py runs: its options, its errors, its quiet start and its pictures in a notebook.

Kept out of the notebook so that lstm.py reads like the course. Nothing here acts at import:
`settings(__name__)` reads the options and, only when lstm.py runs as a script, installs the
hook that turns a user-facing error into one line and exit status 2.
"""

import argparse
import atexit
import contextlib
import functools
import os
import shlex
import signal
import sys
from pathlib import Path
from typing import NamedTuple

from jazz_improv.console import (InputError, describe, native_stderr_muted, printable, quiet_libraries, quoted,
                                 streams_that_never_fail)
from jazz_improv.limits import (CORPUS_PATH, CORPUS_SUFFIXES, DEFAULT_BARS, DEFAULT_PHRASES, MAX_BARS, MAX_WINDOWS,
                                MUSIC21_PREFIX)

PROGRAM = "lstm.py"


def _whole_number(low, high=None, what=""):
    """An argparse type: a whole number from low to high (no upper bound if None)."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, not {quoted(text)}") from None
        if value < low or (high is not None and value > high):
            limit = f"of at least {low}" if high is None else f"from {low} to {high}{what}"
            raise argparse.ArgumentTypeError(f"must be a whole number {limit}, not {quoted(text)[1:-1]}")
        return value
    return parse


_positive_int = _whole_number(1)
_bar_count = _whole_number(1, MAX_BARS, ", the limit (about eight minutes)")
_seed = _whole_number(0, 2**32 - 1)


def _temperature(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, not {quoted(text)}") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 100, not {quoted(text)[1:-1]}")
    return value


def _measure_range(text):
    try:
        first, last = (int(part) for part in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be START:END in measures, like 5:20, not {quoted(text)[1:-1]}") from None
    if not 1 <= first <= last:
        raise argparse.ArgumentTypeError(f"needs 1 <= START <= END, not {quoted(text)[1:-1]}")
    return first, last


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but a mistake is one line that names it (no usage block), exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {printable(message)} (see --help)\n")


def parser():
    """The command line of lstm.py."""
    parser = _OneLineParser(
        prog=PROGRAM, description="Train the course's jazz LSTM on a solo and improvise a new one.")
    parser.add_argument("--epochs", type=_positive_int, default=100,
                        help="passes over the training windows (default: 100)")
    parser.add_argument("--seed", type=_seed, default=0,
                        help="seeds every random draw; the same seed writes the same files (default: 0)")
    parser.add_argument("--midi", metavar="PATH", nargs="+", default=None,
                        help="corpus: MIDI, MusicXML or ABC files, a folder of them, or music21:NAME "
                             "for a piece of music21's corpus (default: data/original_metheny.mid, "
                             "downloaded if missing)")
    parser.add_argument("--melody-part", metavar="PART",
                        help="the melody's part, by index or name (default: found automatically)")
    parser.add_argument("--chord-parts", metavar="PARTS",
                        help="comma-separated parts whose notes make the chords (default: chord "
                             "symbols, else the part with the most chords)")
    parser.add_argument("--section", metavar="START:END", type=_measure_range,
                        help="learn from these measures only, counted from 1")
    parser.add_argument("--chords", metavar="CHORDS",
                        help='improvise over your own chords, e.g. "Dm7 G7 | Cmaj7 | A7" '
                             "(bars separated by |; one chord per bar without |)")
    parser.add_argument("--bars", type=_bar_count,
                        help=f"the length of the piece in bars, at most {MAX_BARS} (default: "
                             f"{DEFAULT_PHRASES} phrases over the corpus's chords, as the course "
                             f"plays over its own; {DEFAULT_BARS} bars with --chords)")
    parser.add_argument("--windows", metavar="N", type=_whole_number(1, MAX_WINDOWS, ", the limit"),
                        help="training windows of 30 values (default: the course's 60; for a corpus "
                             "of more than about 600 tokens, one for every 10, so that each is seen "
                             f"about three times; at most {MAX_WINDOWS})")
    parser.add_argument("--temperature", type=_temperature, default=0.0,
                        help="0 picks the most likely value (the course); above 0 samples, "
                             "more adventurous as it grows (default: 0)")
    parser.add_argument("--load-weights", metavar="PATH",
                        help="skip training: use weights saved by an earlier run "
                             "(output/djmodel.weights.h5, with vocabulary.json beside it)")
    parser.add_argument("--out", metavar="PATH", default="output/my_music.midi",
                        help="where to write the improvised MIDI (default: output/my_music.midi); "
                             "audio, pictures, weights and report go beside it")
    parser.add_argument("--band", action="store_true",
                        help="a walking bass and a swing ride cymbal under the solo, in the MIDI "
                             "file, the audio and the lead sheet")
    parser.add_argument("--soundfont", metavar="PATH",
                        help="the General MIDI SoundFont (.sf2) FluidSynth plays with (default: "
                             "Debian's fluid-soundfont-gm, else the one pretty_midi ships; without "
                             "FluidSynth, our own synthesizer plays)")
    parser.add_argument("--no-audio", action="store_true",
                        help="do not render the music to audio")
    parser.add_argument("--audio-format", choices=["wav", *AUDIO_FORMATS], default="wav",
                        help="also convert the WAV to mp3 or ogg (needs ffmpeg; default: wav only)")
    return parser


def in_notebook():
    return "ipykernel" in sys.modules


AUDIO_FORMATS = ("mp3", "ogg")  # what --audio-format converts the WAV to


class OutputFiles(NamedTuple):
    """Where a run's files go: the MIDI file --out names, everything else beside it."""

    midi: Path
    wav: Path  # the improvisation as audio
    converted: Path | None  # ... and as mp3 or ogg, with --audio-format
    roll: Path  # its piano roll
    musicxml: Path  # its lead sheet
    sheet: Path  # ... engraved
    snippet: Path  # the corpus as audio
    loss: Path  # the training curve
    weights: Path
    vocabulary: Path
    report: Path


# The files every run names the same, beside its MIDI file; the others take --out's name.
FIXED_NAMES = {"snippet": "training_snippet.wav", "loss": "loss.png", "weights": "djmodel.weights.h5",
               "vocabulary": "vocabulary.json", "report": "report.json"}
NAMED_SUFFIXES = (".mid", ".midi", ".wav", ".png", ".musicxml", ".svg", *(f".{kind}" for kind in AUDIO_FORMATS))


def is_output_name(name):
    """True for the name of a file that a run of lstm.py may write: the only names a killed
    run's journal may list (safe_files.OutputRun)."""
    return name in FIXED_NAMES.values() or (Path(name).suffix.lower() in NAMED_SUFFIXES
                                            and len(Path(name).stem) > 0)


OUTPUT_DESCRIPTIONS = {"midi": "music", "wav": "music's audio", "converted": "converted audio",
                       "roll": "piano roll", "musicxml": "lead sheet", "sheet": "engraved lead sheet",
                       "snippet": "training snippet", "loss": "training curve",
                       "weights": "model's weights", "vocabulary": "vocabulary", "report": "report"}


def output_files(args):
    """Where the run's files go (OutputFiles); of them, the ones this run writes (a list); and
    the outdated ones (a list): files an earlier run left beside this MIDI file that this run
    does not write, so that the folder would hold one run's music with another's audio or
    pictures. A model the run loads is never among them."""
    midi = Path(args.out)
    folder = midi.parent
    files = OutputFiles(
        midi=midi, wav=midi.with_suffix(".wav"),
        converted=midi.with_suffix(f".{args.audio_format}") if args.audio_format != "wav" else None,
        roll=midi.with_suffix(".png"), musicxml=midi.with_suffix(".musicxml"), sheet=midi.with_suffix(".svg"),
        **{name: folder / file_name for name, file_name in FIXED_NAMES.items()})
    skipped = set()
    if args.no_audio:
        skipped |= {"wav", "converted", "snippet"}
    if args.load_weights:
        skipped |= {"loss", "weights", "vocabulary"}
        if args.chords is not None:
            skipped.add("snippet")  # no corpus is read
    written = [path for name, path in files._asdict().items() if path is not None and name not in skipped]
    companions = [path for path in files if path is not None]
    companions += [midi.with_suffix(f".{kind}") for kind in AUDIO_FORMATS if kind != args.audio_format]
    loaded = set()
    if args.load_weights:
        loaded = {os.path.abspath(args.load_weights),
                  os.path.abspath(Path(args.load_weights).with_name(files.vocabulary.name))}
    outdated = [path for path in companions if path not in written and os.path.abspath(path) not in loaded]
    return files, written, outdated


def settings(module_name):
    """lstm.py's options.

    Run as a script, from the command line (--help and bad values stop here, before TensorFlow
    loads); in a notebook, from the environment variable LSTM_ARGS; imported, the defaults.
    """
    command_line = parser()
    if module_name != "__main__":
        argv = []
    elif in_notebook():
        try:
            argv = shlex.split(os.environ.get("LSTM_ARGS", ""))
        except ValueError as error:  # an unbalanced quote
            command_line.error(f"LSTM_ARGS: {str(error).lower()}")
    else:
        streams_that_never_fail()
        received = []  # the signals that ended the run, as the hook will tell them
        sys.excepthook = functools.partial(_one_line_errors, received=received)
        signal.signal(signal.SIGINT, functools.partial(_interrupt, received=received))
        for name in ENDING_SIGNALS:
            if hasattr(signal, name):  # Windows has SIGTERM alone of these
                signal.signal(getattr(signal, name), functools.partial(_terminate, received=received))
        quiet_libraries()
        argv = None
    args = command_line.parse_args(argv)
    if module_name == "__main__":
        problem = _output_problem(args) or _input_problem(args)
        if problem:
            command_line.error(problem)
    return args


def _output_problem(args):
    """What is wrong with --out, before any work, or None."""
    out = args.out
    if out.endswith(("/", os.sep)) or os.path.isdir(out):
        return f"--out {out}: is a folder; --out takes a file name such as output/my_music.midi"
    if Path(out).suffix.lower() not in (".mid", ".midi"):
        return f"--out {out}: give a MIDI file name ending in .mid or .midi, such as output/my_music.midi"
    files, written, _ = output_files(args)
    seen = {}
    for name, path in files._asdict().items():
        if path not in written:
            continue
        what = OUTPUT_DESCRIPTIONS[name]
        key = os.path.normcase(os.path.abspath(path))
        if key in seen:
            return f"--out {out}: {path.name} would be both the {seen[key]} and the {what}; choose another name"
        seen[key] = what
        if path.is_dir():
            return f"{path}: a folder is in the way of the {what}; move it or choose another --out"
    for path in written:
        source = next((source for source in _input_files(args) if _same_file(path, source)), None)
        if source is not None:
            return (f"--out {out}: the {OUTPUT_DESCRIPTIONS[_name_of(files, path)]} would replace {source}, "
                    "which this run reads; choose another --out")
    folder = Path(os.path.abspath(files.midi.parent))
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        return f"--out {out}: cannot write in {existing}; choose another --out"
    return None


def _input_files(args):
    """The files a run reads that an output could replace: the corpus's (a folder's files, not
    music21's), the weights it loads and their vocabulary, the SoundFont it plays with."""
    found = []
    for item in args.midi or [CORPUS_PATH]:
        item = Path(item)
        if str(item).startswith(MUSIC21_PREFIX):
            continue
        if item.is_dir():
            with contextlib.suppress(OSError):
                found += [p for p in item.iterdir() if p.suffix.lower() in CORPUS_SUFFIXES]
        else:
            found.append(item)
    if args.load_weights:
        found += [Path(args.load_weights), Path(args.load_weights).with_name(FIXED_NAMES["vocabulary"])]
    if args.soundfont:
        found.append(Path(args.soundfont))
    return found


def _same_file(path, other):
    """True when two names lead to one file (links followed), or would."""
    if os.path.normcase(os.path.realpath(path)) == os.path.normcase(os.path.realpath(other)):
        return True
    try:
        return os.path.samefile(path, other)  # hard links
    except OSError:
        return False


def _name_of(files, path):
    return next(name for name, value in files._asdict().items() if value == path)


def _input_problem(args):
    from jazz_improv.safe_files import not_a_regular_file

    problem = args.load_weights and not_a_regular_file(args.load_weights)
    if problem:
        return (f"--load-weights {printable(args.load_weights)}: {problem}; it takes "
                "output/djmodel.weights.h5 from an earlier run")
    return None


class _Unguarded:
    def commit(self):
        pass


def undo_killed_run(module_name, written):
    """As a script: when a run killed at this place left its journal, put the folder back now,
    before anything is read from it (a model saved there); otherwise touch nothing, so that
    nothing is written there before the inputs are read."""
    from jazz_improv.safe_files import JOURNAL, OutputRun

    if module_name == "__main__" and not in_notebook() and (Path(written[0]).parent / JOURNAL).exists():
        OutputRun(written, ours=is_output_name).commit()


def begin_run(module_name, written, outdated=()):
    """Guard the output folder for a script's run (safe_files.OutputRun); returns the run.

    Call it once the inputs are read, after undo_killed_run (which rolls a killed run back
    before anything is read from the folder). The outdated files (output_files) are removed,
    journalled like the rest. As a script, an error, a signal or Ctrl-C then puts the folder
    back as it was. In a notebook or an import nothing is guarded: call the returned object's
    commit() all the same.
    """
    if module_name != "__main__" or in_notebook():
        return _Unguarded()
    from jazz_improv.safe_files import OutputRun

    run = OutputRun(written, removed=outdated, ours=is_output_name)
    hook = sys.excepthook  # settings' hook, which knows the signals received
    if not (isinstance(hook, functools.partial) and hook.func is _one_line_errors):
        hook = _one_line_errors
    sys.excepthook = functools.partial(hook, run=run)
    atexit.register(run.roll_back)  # a run that ends without commit() ends as it began
    return run


def corpus_options(args):
    """How to read the corpus (corpus.Options) from lstm.py's options."""
    from jazz_improv.chord_symbols import parse_progression
    from jazz_improv.corpus import Options

    return Options(melody_part=args.melody_part, section=args.section,
                   chord_parts=tuple(args.chord_parts.split(",")) if args.chord_parts else None,
                   progression=parse_progression(args.chords) if args.chords is not None else None)


# The signals that end a run as Ctrl-C does, the folder put back: SIGTERM (kill, timeout), the
# terminal closing (SIGHUP), Ctrl-\\ (SIGQUIT) and the user's own signals.
ENDING_SIGNALS = ("SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2")


class Terminated(KeyboardInterrupt):
    """A signal of ENDING_SIGNALS: stop as Ctrl-C does."""

    def __init__(self, signal_number=signal.SIGTERM):
        super().__init__(signal_number)
        self.signal_number = signal_number


def _terminate(signal_number, frame, received):
    received.append(signal_number)
    raise Terminated(signal_number)


def _interrupt(signal_number, frame, received):
    received.append(signal_number)
    raise KeyboardInterrupt


def _one_line_errors(kind, error, traceback, run=None, received=()):
    """sys.excepthook for the script: a person's error is one line, never a traceback.

    A run that had begun writing (begin_run) is rolled back before the process ends. Libraries
    call the hook too (h5py, for errors it cannot raise): anything but a person's error or an
    interrupt is printed as usual, and the run is rolled back at exit if it never commits.
    After Ctrl-C or an ending signal (received), whatever error it became is that signal: a
    library may turn the KeyboardInterrupt raised in its code into an error of its own.
    """
    if received:
        number = received[0]
        kind, error = (KeyboardInterrupt, KeyboardInterrupt()) if number == signal.SIGINT else \
            (Terminated, Terminated(number))
    if not issubclass(kind, (KeyboardInterrupt, OSError, InputError)):
        sys.__excepthook__(kind, error, traceback)
        return
    if run is not None:
        try:
            run.roll_back()
        except OSError:
            pass  # the next run finds the journal and finishes the roll-back
    if issubclass(kind, Terminated):
        number = getattr(error, "signal_number", signal.SIGTERM)
        message = "terminated" if number == signal.SIGTERM else f"terminated by {signal.Signals(number).name}"
        status = 128 + number
    elif issubclass(kind, KeyboardInterrupt):
        message, status = "interrupted", 130
    else:
        message, status = describe(error), 2
    sys.stdout.flush()
    print(f"{PROGRAM}: error: {printable(message)}", file=sys.stderr, flush=True)
    # the interpreter would exit with status 1 after a hook; the status says which error it was
    os._exit(status)


@contextlib.contextmanager
def quiet_tensorflow(module_name):
    """Load TensorFlow, as a script or notebook, without its start-up chatter.

    TensorFlow's CUDA probe writes to the process's stderr before its logging starts, so
    stderr is muted around the import and the first operation. Its graph optimiser spends
    longer on these small unrolled graphs than it saves, so it is turned off. Imported as a
    module (module_name is not "__main__"), this changes nothing.
    """
    if module_name != "__main__":
        yield
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with native_stderr_muted():
        yield
        import keras
        import tensorflow as tf

        keras.ops.zeros(1)  # start the runtime now, so its device probe is muted too
        tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})


def show(path):
    """In a notebook, play or show a file we wrote; as a script, writing it is enough."""
    if in_notebook():
        from IPython.display import SVG, Audio, Image, display

        kind = {".png": Image, ".svg": SVG}.get(Path(path).suffix, Audio)
        display(kind(filename=str(path)))
