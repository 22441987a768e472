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
import stat
import sys
import tempfile
import uuid
import warnings
from functools import lru_cache
from pathlib import Path

# The journal: a hidden folder beside the outputs, with the versions a run replaces and a
# manifest; named so that no user's folder is taken for it.
JOURNAL = ".lstm.py-journal"
JOURNAL_FORMAT = "lstm.py output journal"
JOURNAL_VERSION = 1
MANIFEST = "manifest.json"
PARTIAL = ".partial"  # a journal being built, renamed into place when whole
LOCK = ".lstm.py-journal.lock"  # the folder's lock, held while a run writes there
# Our temporary files: a file being written (TEMPORARY + mkstemp's 8 random characters + "-" +
# the target's name), a version being put back (RESTORING + the name). No user names a file so.
TEMPORARY = ".lstm.py-tmp-"
RESTORING = ".lstm.py-restore-"
MAX_JOURNAL_BYTES = 64 << 10  # the manifest


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


def not_a_regular_file(path):
    """None for a regular file (links followed); else what path is, in a few words."""
    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "a loop of symbolic links"
        if error.errno == errno.ENOENT:
            return "a symbolic link to nothing" if os.path.islink(path) else "file not found"
        return os.strerror(error.errno) if error.errno else type(error).__name__
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder, not a file"
    if stat.S_ISFIFO(mode):
        return "a pipe, not a file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device, not a file"
    return "not a regular file"


def read_untrusted_json(path, max_bytes):
    """The JSON value in a file we did not write ourselves, read within bounds.

    Raises FileNotFoundError when path is not a regular file (a pipe or a device would never
    end), TooLarge when it holds more than max_bytes, ValueError when it is not JSON (nesting
    too deep included), and OSError when it cannot be read.
    """
    path = Path(path)
    problem = not_a_regular_file(path)
    if problem:
        code = errno.ENOENT if problem == "file not found" else errno.EINVAL
        raise FileNotFoundError(code, problem, str(path))
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
    """True for our temporary files of these target names (TEMPORARY, RESTORING)."""
    found = re.fullmatch(rf"{re.escape(TEMPORARY)}[a-z0-9_]{{8}}-(.+)|{re.escape(RESTORING)}(.+)", name)
    return bool(found) and (found.group(1) or found.group(2)) in targets


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
        handle, temporary = tempfile.mkstemp(prefix=TEMPORARY, suffix=f"-{path.name}", dir=path.parent)
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


class ForeignJournal(OSError):
    """The output folder holds a journal this program cannot verify: left alone."""


def _journal_digest(content):
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


class OutputRun:
    """The files one run writes into one folder, kept consistent as a set.

    Arguments:
        paths -- the run's output files, all in one folder
        removed -- files in that folder that an earlier run wrote and this one does not: removed
                   at the start, and put back if the run fails
        ours -- name -> True for the names of files a run of this program may write (a killed
                run's journal may list only those); default: the names of paths and removed
    The journal is a folder of hard links to the versions the run replaces, with a manifest
    (format, version, the run's id, the output folder's device and inode, each name with the
    sha256 of its previous version or None when it had none, and the sha256 of all that). It
    is built under a temporary name and renamed into place whole. A run restores or removes
    only the names a verified manifest lists, each a file of its own outputs, and a version
    only if its sha256 matches.
    Raises OutputFolderBusy when another run holds the folder, ForeignJournal when its journal
    cannot be verified, OSError when it cannot be created or locked.
    """

    def __init__(self, paths, removed=(), ours=None):
        self.paths = [Path(p) for p in paths]
        self.removed = [Path(p) for p in removed if Path(p).is_file() and not Path(p).is_symlink()]
        self.folder = self.paths[0].parent
        self.journal = self.folder / JOURNAL
        names = {p.name for p in self.paths + self.removed}
        self._ours = ours or names.__contains__
        self._created = not self.folder.exists()
        self._lock = None
        self._versions = {}  # name -> sha256 of the version before the run, or None
        from filelock import FileLock, Timeout  # here, so that importing this module stays light

        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            lock = FileLock(self.folder / LOCK, timeout=0)
            with warnings.catch_warnings():  # where flock is missing, filelock warns and soft-locks
                warnings.simplefilter("ignore")
                lock.acquire()
            self._lock = lock
            self._recover()
            self._write_journal()
            for path in self.removed:
                path.unlink()
        except Timeout:
            raise OutputFolderBusy(errno.EBUSY, "another lstm.py run is writing there; wait for it "
                                   "or choose another --out", str(self.folder)) from None
        except BaseException as error:  # Ctrl-C included: no lock file, no folder of ours left
            self._release()
            if self._created and self.folder.is_dir() and not any(self.folder.iterdir()):
                self.folder.rmdir()
            if isinstance(error, ForeignJournal):
                raise
            if isinstance(error, OSError):
                raise _named_error(error, error.filename or self.journal) from None
            raise

    def _write_journal(self):
        """Link the current versions into a new journal and rename it into place, whole."""
        building = Path(tempfile.mkdtemp(prefix=f"{JOURNAL}-", suffix=PARTIAL, dir=self.folder))
        for path in self.paths + self.removed:
            if path.is_file() and not path.is_symlink():
                os.link(path, building / path.name)
                self._versions[path.name] = hash_file(building / path.name)
            else:
                self._versions[path.name] = None
        content = {"format": JOURNAL_FORMAT, "version": JOURNAL_VERSION, "run": uuid.uuid4().hex,
                   "folder": self._folder_identity(), "files": self._versions}
        (building / MANIFEST).write_text(json.dumps({"content": content, "sha256": _journal_digest(content)}))
        os.rename(building, self.journal)

    def _folder_identity(self):
        """The output folder's device and inode: a manifest holds them, so that a journal
        copied into another folder (cp -a) is not taken for that folder's."""
        status = os.stat(self.folder)
        return [status.st_dev, status.st_ino]

    def _linked_twin(self, entry):
        twin = self.folder / entry.name
        return (self._ours(entry.name) and entry.is_file() and not entry.is_symlink() and twin.is_file()
                and os.path.samefile(entry, twin))

    def _manifest_of(self, path):
        """{name: sha256 or None} of a manifest written for this folder by this program, or None."""
        try:
            entry = read_untrusted_json(path, MAX_JOURNAL_BYTES)
            content = entry["content"]
            files = content["files"]
            if (entry["sha256"] != _journal_digest(content) or content["format"] != JOURNAL_FORMAT
                    or content["version"] != JOURNAL_VERSION or content["folder"] != self._folder_identity()
                    or not isinstance(files, dict)):
                return None
            for name, digest in files.items():
                if (Path(name).name != name or name in (".", "..") or not self._ours(name)
                        or not (digest is None or isinstance(digest, str))):
                    return None
            return files
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def _verified_manifest(self):
        """{name: sha256 or None} of the journal's manifest; ForeignJournal unless it checks out."""
        files = self._manifest_of(self.journal / MANIFEST)
        if files is None:
            raise ForeignJournal(errno.EEXIST, "not a journal of lstm.py that checks out; nothing in the "
                                 "folder was changed: look inside it, then move it away", str(self.journal))
        return files

    def _recover(self):
        """Undo what a killed run left: its half-replaced files, its temporary files, a journal
        it was still building."""
        for leftover in self.folder.glob(f"{JOURNAL}-*{PARTIAL}"):
            # Nothing was replaced before the journal was in place, so its links go, but only
            # when every entry is a hard link of the folder's file of that name (removing it
            # loses nothing) or a manifest bound to this folder: else it is not ours.
            if leftover.is_dir() and not leftover.is_symlink():
                entries = list(leftover.iterdir())
                if all(self._linked_twin(entry) or (entry.name == MANIFEST and self._manifest_of(entry))
                       for entry in entries):
                    with contextlib.suppress(OSError):
                        for entry in entries:
                            entry.unlink()
                        leftover.rmdir()
        names = []
        if self.journal.exists() or self.journal.is_symlink():
            if not self.journal.is_dir() or self.journal.is_symlink():
                raise ForeignJournal(errno.EEXIST, "in the way of lstm.py's journal; nothing in the folder "
                                     "was changed: move it away", str(self.journal))
            versions = self._verified_manifest()
            self._put_back(versions)
            names = list(versions)
            self._remove_journal(versions)
        self._clean_up(names)

    def _remove_journal(self, versions):
        for name in [*versions, MANIFEST]:
            (self.journal / name).unlink(missing_ok=True)
        self.journal.rmdir()  # anything else in it is not ours: it stays, and the journal with it

    def _clean_up(self, more_names=()):
        targets = {p.name for p in self.paths} | set(more_names)
        for leftover in self.folder.iterdir():
            if _is_temporary(leftover.name, targets) and leftover.is_file():
                leftover.unlink()

    def _put_back(self, versions):
        """Put back the versions before the run ({name: sha256 or None}). The journal keeps
        them until it is removed, so a roll-back cut short is finished by the next run, never
        half-undone. A version whose bytes no longer match its sha256 is not put back."""
        for name, digest in versions.items():
            backup, target = self.journal / name, self.folder / name
            if digest is None:
                if target.is_file() and not target.is_symlink():
                    target.unlink()  # the run made it: it was not there before
                continue
            if not backup.is_file() or backup.is_symlink():
                continue
            if target.is_file() and os.path.samefile(backup, target):
                continue  # the run never replaced it
            if hash_file(backup) != digest:
                continue
            restoring = self.folder / f"{RESTORING}{name}"
            restoring.unlink(missing_ok=True)
            os.link(backup, restoring)
            os.replace(restoring, target)

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
        if self._lock is not None:
            with contextlib.suppress(OSError):
                self._remove_journal(self._versions)
        self._release()

    def roll_back(self):
        """Unless the run was committed: put the folder back as it was before it, unlock."""
        if self._lock is None:
            return
        try:
            self._put_back(self._versions)
            self._remove_journal(self._versions)
            self._clean_up()
            if self._created and [p.name for p in self.folder.iterdir()] == [LOCK]:
                self._release()
                self.folder.rmdir()  # the run made the folder: it was not there before
        finally:
            self._release()
