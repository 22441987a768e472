"""How lstm.py runs: its options, its errors, its quiet start and its pictures in a notebook.

Kept out of the notebook so that lstm.py reads like the course. Nothing here acts at import:
`settings(__name__)` reads the options and, only when lstm.py runs as a script, installs the
hook that turns a user-facing error into one line and exit status 2.
"""

import argparse
import contextlib
import os
import shlex
import sys

PROGRAM = "lstm.py"
DEFAULT_BARS = 16


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text}")
    return value


def _seed(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to 4294967295, not {text}")
    return value


def _temperature(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, not {text!r}") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 100, not {text}")
    return value


def _measure_range(text):
    try:
        first, last = (int(part) for part in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be START:END in measures, like 5:20, not {text}") from None
    if not 1 <= first <= last:
        raise argparse.ArgumentTypeError(f"needs 1 <= START <= END, not {text}")
    return first, last


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but a mistake is one line that names it (no usage block), exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def parser():
    """The command line of lstm.py."""
    parser = _OneLineParser(
        prog=PROGRAM, description="Train the course's jazz LSTM on a solo and improvise a new one.")
    parser.add_argument("--epochs", type=_positive_int, default=100,
                        help="passes over the training windows (default: 100)")
    parser.add_argument("--seed", type=_seed, default=0,
                        help="seeds every random draw; the same seed writes the same files (default: 0)")
    parser.add_argument("--midi", metavar="PATH", nargs="+", default=None,
                        help="corpus: MIDI or MusicXML files, or a folder of them "
                             "(default: data/original_metheny.mid, downloaded if missing)")
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
    parser.add_argument("--bars", type=_positive_int,
                        help=f"with --chords, the length of the piece in bars (default: {DEFAULT_BARS})")
    parser.add_argument("--temperature", type=_temperature, default=0.0,
                        help="0 picks the most likely value (the course); above 0 samples, "
                             "more adventurous as it grows (default: 0)")
    parser.add_argument("--load-weights", metavar="PATH",
                        help="skip training: use weights saved by an earlier run "
                             "(output/djmodel.weights.h5, with vocabulary.json beside it)")
    parser.add_argument("--out", metavar="PATH", default="output/my_music.midi",
                        help="where to write the improvised MIDI (default: output/my_music.midi); "
                             "audio, pictures, weights and report go beside it")
    parser.add_argument("--no-audio", action="store_true",
                        help="do not render the music to audio")
    parser.add_argument("--audio-format", choices=["wav", "mp3", "ogg"], default="wav",
                        help="also convert the WAV to mp3 or ogg (needs ffmpeg; default: wav only)")
    return parser


def in_notebook():
    return "ipykernel" in sys.modules


def settings(module_name):
    """lstm.py's options.

    Run as a script, from the command line (--help and bad values stop here, before TensorFlow
    loads); in a notebook, from the environment variable LSTM_ARGS; imported, the defaults.
    """
    command_line = parser()
    if module_name != "__main__":
        args = command_line.parse_args([])
        args.bars = DEFAULT_BARS
        return args
    if in_notebook():
        args = command_line.parse_args(shlex.split(os.environ.get("LSTM_ARGS", "")))
    else:
        sys.excepthook = _one_line_errors
        args = command_line.parse_args()
    if args.bars is not None and args.chords is None:
        command_line.error("--bars sets the length of a piece over --chords; give --chords too")
    args.bars = args.bars or DEFAULT_BARS
    if os.path.isdir(args.out) or args.out.endswith(("/", os.sep)):
        command_line.error(f"--out {args.out}: is a folder; --out takes a file name such as "
                           "output/my_music.midi")
    if args.load_weights and not os.path.isfile(args.load_weights):
        command_line.error(f"--load-weights {args.load_weights}: file not found; it takes "
                           "output/djmodel.weights.h5 from an earlier run")
    return args


def corpus_options(args):
    """How to read the corpus (preprocess.Options) from lstm.py's options."""
    from chord_symbols import parse_progression
    from preprocess import Options

    return Options(melody_part=args.melody_part, section=args.section,
                   chord_parts=tuple(args.chord_parts.split(",")) if args.chord_parts else None,
                   progression=parse_progression(args.chords) if args.chords is not None else None)


def _one_line_errors(kind, error, traceback):
    """sys.excepthook for the script: a person's error is one line, never a traceback."""
    user_errors = [OSError]
    for module, name in (("preprocess", "CorpusError"), ("chord_symbols", "ChordSymbolError")):
        if module in sys.modules:
            user_errors.append(getattr(sys.modules[module], name))
    if issubclass(kind, KeyboardInterrupt):
        message, status = "interrupted", 130
    elif issubclass(kind, tuple(user_errors)):
        message, status = describe(error), 2
    else:
        sys.__excepthook__(kind, error, traceback)
        return
    sys.stdout.flush()
    print(f"{PROGRAM}: error: {message}", file=sys.stderr, flush=True)
    # the interpreter would exit with status 1 after a hook; the status says which error it was
    os._exit(status)


def describe(error):
    """One line for an error; an OSError names its file and the system's reason."""
    if isinstance(error, OSError) and error.strerror:
        where = f"{error.filename}: " if error.filename else ""
        return f"{where}{error.strerror}"
    return str(error)


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
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
        import keras
        import tensorflow as tf

        keras.ops.zeros(1)  # start the runtime now, so its device probe is muted too
        tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def show(path):
    """In a notebook, play or show a file we wrote; as a script, writing it is enough."""
    if in_notebook():
        from IPython.display import Audio, Image, display

        display(Image(filename=str(path)) if str(path).endswith(".png") else Audio(filename=str(path)))
