"""Outputs written whole or not at all: one file at a time, and a run's files as a set.

A file is written to a temporary file beside its target, then renamed over it. A run's files
are guarded by an OutputRun: it locks the output folder against a second run, keeps the
previous version of every file it will replace, and on failure puts the folder back as it
was. A run killed outright (kill -9) leaves its journal behind; the next run at the same place
finds it and rolls the killed run back before it starts.
"""

import contextlib
import errno
import fcntl
import io
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

JOURNAL = ".lstm-run"  # hidden folder beside the outputs: the versions a run replaces
READY = "outputs.json"  # written last into the journal: the run may have replaced files
RESTORING = ".restore_"  # a version being put back (shaped like a temporary file, see below)


class OutputFolderBusy(OSError):
    """Another run holds the output folder."""


def _is_temporary(name, targets):
    """True for write_atomically's temporary files of these target names: "." + mkstemp's
    8 random characters + "-" + the target's name."""
    return bool(re.fullmatch(r"\.[a-z0-9_]{8}-(.+)", name)) and name[10:] in targets


def _named_error(error, path):
    """An OSError for one file, naming it and the system's reason in one line."""
    code = error.errno if isinstance(error, OSError) else None
    if code:
        reason = os.strerror(code)  # h5py's own strerror is a whole paragraph
    else:
        found = re.search(r"error message = '([^']+)'", str(error))
        reason = found.group(1) if found else (str(error).splitlines() or [type(error).__name__])[0]
    return OSError(code or errno.EIO, reason, str(path))


def write_atomically(path, write):
    """Call write(temporary_path), then move the finished file to path.

    If write raises, the temporary file is removed and path is left as it was; a failure
    of the file system is raised as an OSError that names path and the reason.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # The temporary name ends with the target's, suffixes and all (Keras insists on .weights.h5).
        handle, temporary = tempfile.mkstemp(prefix=".", suffix=f"-{path.name}", dir=path.parent)
    except OSError as error:
        raise _named_error(error, path) from None
    os.close(handle)
    reports = io.StringIO()  # what the writer prints on stderr, kept back while it writes
    try:
        with contextlib.redirect_stderr(reports):
            write(temporary)
        sys.stderr.write(reports.getvalue())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes files private; outputs are not
        os.replace(temporary, path)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)  # HDF5 removes its file itself when it fails
        # Libraries report a full disk in their own ways: h5py as an OSError with a paragraph
        # of text, and a second time on stderr as it frees the failed file; one line is enough.
        if isinstance(error, OSError) or "errno = " in str(error):
            raise _named_error(error, path) from None
        sys.stderr.write(reports.getvalue())
        raise


class OutputRun:
    """The files one run writes into one folder, kept consistent as a set.

    Arguments:
        paths -- the run's output files, all in one folder
    Raises OutputFolderBusy when another run holds the folder, OSError when it cannot be
    created or locked.
    """

    def __init__(self, paths):
        self.paths = [Path(p) for p in paths]
        self.folder = self.paths[0].parent
        self.journal = self.folder / JOURNAL
        self._created = not self.folder.exists()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._lock = os.open(self.folder, os.O_RDONLY)
        except OSError as error:
            raise _named_error(error, self.folder) from None
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock)
            raise OutputFolderBusy(errno.EBUSY, "another lstm.py run is writing there; wait for it "
                                   "or choose another --out", str(self.folder)) from None
        try:
            self._recover()
            self.journal.mkdir()
            for path in self.paths:
                if path.is_file():
                    os.link(path, self.journal / path.name)
            (self.journal / READY).write_text(json.dumps([p.name for p in self.paths]))
        except OSError as error:
            self._release()
            raise _named_error(error, error.filename or self.journal) from None

    def _recover(self):
        """Undo what a killed run left: its half-replaced files and its temporary files."""
        names = []
        ready = self.journal / READY
        if ready.is_file():
            try:
                names = [n for n in json.loads(ready.read_text()) if isinstance(n, str) and "/" not in n]
            except ValueError:
                pass
            self._put_back(names)
        self._clean_up(names)

    def _clean_up(self, more_names=()):
        shutil.rmtree(self.journal, ignore_errors=True)
        targets = {p.name for p in self.paths} | set(more_names)
        for leftover in self.folder.iterdir():
            if _is_temporary(leftover.name, targets) and leftover.is_file():
                leftover.unlink()

    def _put_back(self, names):
        """Put the journal's versions back. The journal keeps them until it is removed, so a
        roll-back cut short is finished by the next run, never half-undone."""
        for name in names:
            backup, target = self.journal / name, self.folder / name
            if backup.is_file() and target.is_file() and os.path.samefile(backup, target):
                continue  # the run never replaced it
            if backup.is_file():
                restoring = self.folder / f"{RESTORING}-{name}"
                restoring.unlink(missing_ok=True)
                os.link(backup, restoring)
                os.replace(restoring, target)
            elif target.is_file():
                target.unlink()  # the run made it: it was not there before

    def _release(self):
        if self._lock is not None:
            os.close(self._lock)  # closing the folder's descriptor releases the lock
            self._lock = None

    def commit(self):
        """The run succeeded: keep its files, forget the previous versions, unlock."""
        shutil.rmtree(self.journal, ignore_errors=True)
        self._release()

    def roll_back(self):
        """Unless the run was committed: put the folder back as it was before it, unlock."""
        if self._lock is None:
            return
        try:
            self._put_back([p.name for p in self.paths])
            self._clean_up()
            if self._created and not any(self.folder.iterdir()):
                self.folder.rmdir()  # the run made the folder: it was not there before
        finally:
            self._release()
