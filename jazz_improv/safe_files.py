"""Files we can trust: outputs written whole or not at all, inputs read within bounds.

A file is written to a temporary file beside its target, then renamed over it. A run's files
are guarded by an OutputRun: it locks the output folder against a second run (with filelock,
on every system), keeps the previous version of every file it will replace, and on failure puts
the folder back as it was. A run killed outright (kill -9) leaves its journal behind; the next
run at the same place finds it and rolls the killed run back before it starts.

Untrusted JSON (a vocabulary, a cache entry) is read by read_untrusted_json: regular files
only, of bounded size and nesting. A file's sha256 is computed once per run (sha256_of).
"""

import contextlib
import errno
import hashlib
import io
import json
import os
import re
import shutil
import sys
import tempfile
import warnings
from functools import lru_cache
from pathlib import Path

JOURNAL = ".lstm-run"  # hidden folder beside the outputs: the versions a run replaces
LOCK = ".lstm-run.lock"  # the folder's lock, held while a run writes there
READY = "outputs.json"  # written last into the journal: the run may have replaced files
RESTORING = ".restore_"  # a version being put back (shaped like a temporary file, see below)
MAX_JOURNAL_BYTES = 64 << 10  # the journal's list of a run's output names


class TooLarge(ValueError):
    """A file larger than its stated limit."""


def sha256_of(path):
    """Hex sha256 of a file's bytes; a file unchanged since it was last hashed is not read again."""
    status = os.stat(path)
    return _sha256(os.path.realpath(path), status.st_size, status.st_mtime_ns, status.st_ino)


@lru_cache(maxsize=256)
def _sha256(path, size, mtime_ns, inode):
    return hash_file(path)


def hash_file(path):
    """Hex sha256 of a file's bytes, read now."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def read_untrusted_json(path, max_bytes):
    """The JSON value in a file we did not write ourselves, read within bounds.

    Raises FileNotFoundError when path is not a regular file (a pipe or a device would never
    end), TooLarge when it holds more than max_bytes, ValueError when it is not JSON (nesting
    too deep included), and OSError when it cannot be read.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(path))
    with open(path, "rb") as file:
        text = file.read(max_bytes + 1)
    if len(text) > max_bytes:
        raise TooLarge(f"larger than {max_bytes >> 10} kB")
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None


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
        removed -- files in that folder that an earlier run wrote and this one does not: removed
                   at the start, and put back if the run fails
    Raises OutputFolderBusy when another run holds the folder, OSError when it cannot be
    created or locked.
    """

    def __init__(self, paths, removed=()):
        self.paths = [Path(p) for p in paths]
        self.removed = [Path(p) for p in removed if Path(p).is_file() and not Path(p).is_symlink()]
        self.folder = self.paths[0].parent
        self.journal = self.folder / JOURNAL
        self._created = not self.folder.exists()
        self._lock = None
        from filelock import FileLock, Timeout  # here, so that importing this module stays light

        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            lock = FileLock(self.folder / LOCK, timeout=0)
            with warnings.catch_warnings():  # where flock is missing, filelock warns and soft-locks
                warnings.simplefilter("ignore")
                lock.acquire()
            self._lock = lock
            self._recover()
            self.journal.mkdir()
            for path in self.paths + self.removed:
                if path.is_file():
                    os.link(path, self.journal / path.name)
            (self.journal / READY).write_text(json.dumps([p.name for p in self.paths + self.removed]))
            for path in self.removed:
                path.unlink()
        except Timeout:
            raise OutputFolderBusy(errno.EBUSY, "another lstm.py run is writing there; wait for it "
                                   "or choose another --out", str(self.folder)) from None
        except BaseException as error:  # Ctrl-C included: no lock file, no folder of ours left
            self._release()
            if self._created and self.folder.is_dir() and not any(self.folder.iterdir()):
                self.folder.rmdir()
            if isinstance(error, OSError):
                raise _named_error(error, error.filename or self.journal) from None
            raise

    def _recover(self):
        """Undo what a killed run left: its half-replaced files and its temporary files."""
        names = []
        ready = self.journal / READY
        if ready.is_file():
            try:
                listed = read_untrusted_json(ready, MAX_JOURNAL_BYTES)
                names = [n for n in listed if isinstance(n, str) and "/" not in n] if isinstance(listed, list) else []
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
        """Remove the lock file while still holding the lock, then let go. A run that finds the
        folder busy gives up at once, so no run is left waiting on the removed file."""
        if self._lock is not None:
            with contextlib.suppress(OSError):  # Windows keeps a locked file; filelock removes it there
                Path(self._lock.lock_file).unlink(missing_ok=True)
            self._lock.release(force=True)
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
            self._put_back([p.name for p in self.paths + self.removed])
            self._clean_up()
            if self._created and [p.name for p in self.folder.iterdir()] == [LOCK]:
                self._release()
                self.folder.rmdir()  # the run made the folder: it was not there before
        finally:
            self._release()
