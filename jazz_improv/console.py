"""What a person sees when something goes wrong: one kind of error, and one line for any error."""

import contextlib
import os
import sys


class InputError(ValueError):
    """A person's mistake or an input that cannot be used (a file, an option, a chord symbol).

    Its message is one line that names the problem and what to do; the command line prints it
    and exits with status 2.
    """


def cannot_read(path, error):
    """The InputError for a file the system would not let us read (error: an OSError)."""
    return InputError(f"{path}: cannot read it ({error.strerror or type(error).__name__})")


def printable(text):
    """text on one line, whatever it holds: a newline, a control character or a byte that is
    not UTF-8 (a file name's) is written as its escape."""
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def quoted(text, limit=40):
    """What a person typed, quoted in a message: printable, and at most `limit` characters of it."""
    text = str(text)
    return repr(text[:limit] + "...") if len(text) > limit else repr(text)


def quiet_libraries():
    """A script prints only its own lines: the warnings of music21, matplotlib and the other
    libraries are dropped (each problem that matters becomes one line of ours), matplotlib's log
    (a read-only HOME) too, and a name that is not UTF-8 is printed with escapes, not fatally."""
    import logging
    import warnings

    warnings.simplefilter("ignore")
    logging.getLogger("matplotlib").setLevel(logging.ERROR)
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


class _Forgiving:
    """A text stream whose reader may go (`| head -1`, a closed terminal): writing and flushing
    never fail; once its file fails, what follows goes to the null device."""

    def __init__(self, stream):
        self._stream = stream

    def _broken(self):
        with contextlib.suppress(OSError, ValueError):
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, self._stream.fileno())  # the interpreter's last flush goes there too
            os.close(null)

    def write(self, text):
        try:
            return self._stream.write(text)
        except (OSError, ValueError):
            self._broken()
            return len(text)

    def flush(self):
        try:
            self._stream.flush()
        except (OSError, ValueError):
            self._broken()

    def __getattr__(self, name):  # isatty, fileno, encoding, reconfigure ...
        return getattr(self._stream, name)


def streams_that_never_fail():
    """For a script: standard streams that a closed or broken reader cannot turn into a failed
    run. A closed descriptor 0, 1 or 2 (`2>&-`) is opened on the null device first, so that no
    file the run opens takes its number (a library's log would write into it)."""
    for descriptor in (0, 1, 2):
        try:
            os.fstat(descriptor)
        except OSError:
            os.open(os.devnull, os.O_RDWR)  # the lowest free number: this one
    if sys.stdout is None:
        sys.stdout = open(1, "w", closefd=False)
    if sys.stderr is None:
        sys.stderr = open(2, "w", closefd=False)
    sys.stdout, sys.stderr = _Forgiving(sys.stdout), _Forgiving(sys.stderr)


def describe(error):
    """One line for an error; an OSError names its file and the system's reason."""
    if isinstance(error, OSError) and error.strerror:
        where = f"{error.filename}: " if error.filename else ""
        return f"{where}{error.strerror}"
    return str(error)


@contextlib.contextmanager
def native_stderr_muted():
    """Mute the process's stderr (file descriptor 2), where native libraries log."""
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
