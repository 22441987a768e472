"""Shared fixtures. The corpus is the course's MIDI file; tests that need it skip without it."""

import atexit
import contextlib
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

CORPUS = ROOT / "data" / "original_metheny.mid"
ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")


class _WarmServer:
    """tests/warm_lstm.py, started once per test process: lstm.py runs as its forked children."""

    def __init__(self):
        replies, self._reply_end = os.pipe()
        self.server = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("warm_lstm.py")), str(ROOT), str(self._reply_end)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV, text=True,
            pass_fds=(self._reply_end,))
        os.close(self._reply_end)
        self.replies = os.fdopen(replies)
        self.ready = False
        self.requests = threading.Lock()
        self.started = queue.Queue()
        self.ended = {}  # pid -> returncode
        self.gone = False  # the server ended: nothing more will come
        self.changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        atexit.register(self.server.stdin.close)  # the server ends when the tests do

    def _read(self):
        for line in self.replies:
            kind, *rest = line.split() or [""]
            if kind in ("ready", "started"):
                self.started.put(int(rest[0]) if rest else kind)
            elif kind == "ended":
                with self.changed:
                    self.ended[int(rest[0])] = int(rest[1])
                    self.changed.notify_all()
        with self.changed:
            self.gone = True
            self.changed.notify_all()
        self.started.put(None)

    def _next(self, timeout):
        answer = self.started.get(timeout=timeout)
        if answer is None:
            raise RuntimeError(f"tests/warm_lstm.py ended (status {self.server.wait()})")
        return answer

    def spawn(self, args, cwd, env, stdout, stderr, script="lstm.py"):
        request = {"args": args, "cwd": str(cwd), "env": env, "stdout": str(stdout), "stderr": str(stderr),
                   "script": script}
        with self.requests:
            if not self.ready:
                self.ready = self._next(timeout=180) == "ready"
            self.server.stdin.write(json.dumps(request) + "\n")
            self.server.stdin.flush()
            return self._next(timeout=60)

    def wait(self, pid, timeout):
        with self.changed:
            self.changed.wait_for(lambda: pid in self.ended or self.gone, timeout=timeout)
            if pid not in self.ended and self.gone:
                raise RuntimeError("tests/warm_lstm.py ended while lstm.py ran")
            return self.ended.get(pid)


_warm_server = None


def pytest_sessionstart(session):
    """In each process that runs tests (not in pytest-xdist's controller): start the warm server
    at once, and make the session's shared runs in the background, the first worker the default
    run and the second the previous run of test_faults (one worker: both), so that their work
    overlaps the first tests instead of holding up the tests that wait for them."""
    global _warm_server
    worker = getattr(session.config, "workerinput", {}).get("workerid")
    if worker is None and getattr(session.config.option, "numprocesses", None):
        return  # the controller runs no test
    _warm_server = _WarmServer()
    if not CORPUS.is_file():
        return
    factory = session.config._tmp_path_factory
    index = int(worker.removeprefix("gw")) if worker else None
    runs = [run for number, run in enumerate(SHARED_RUNS) if index is None or number == index]
    threading.Thread(target=lambda: [shared_run(factory, *run) for run in runs], daemon=True).start()


class LstmProcess:
    """`lstm.py ARGS` running: a child of the warm server (see tests/warm_lstm.py), or with
    fresh=True a new `python lstm.py` as a user starts it. Its stdout and stderr go to files,
    read as they grow with output()."""

    def __init__(self, args, cwd=ROOT, env=None, fresh=False, script="lstm.py"):
        global _warm_server
        self.args = [str(a) for a in args]
        self._folder = Path(tempfile.mkdtemp(prefix="lstm-output-"))
        self._stdout, self._stderr = self._folder / "stdout", self._folder / "stderr"
        env = env or ENV
        if fresh:
            with open(self._stdout, "w") as out, open(self._stderr, "w") as err:
                self._popen = subprocess.Popen([sys.executable, str(ROOT / script), *self.args], cwd=cwd,
                                               env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
            self.pid = self._popen.pid
        else:
            if _warm_server is None:
                _warm_server = _WarmServer()
            self._popen = None
            self.pid = _warm_server.spawn(self.args, cwd, dict(env), self._stdout, self._stderr, script)
        self.started_at = time.monotonic()  # the run's own time starts here, not the server's
        self.returncode = None

    def poll(self):
        if self.returncode is None:
            self.returncode = self._popen.poll() if self._popen else _warm_server.wait(self.pid, 0)
        return self.returncode

    def wait(self, timeout):
        """The return code; raises subprocess.TimeoutExpired after timeout seconds."""
        if self._popen:
            self.returncode = self._popen.wait(timeout=timeout)
        else:
            self.returncode = _warm_server.wait(self.pid, timeout)
            if self.returncode is None:
                raise subprocess.TimeoutExpired(["lstm.py", *self.args], timeout)
        return self.returncode

    def send_signal(self, number):
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # it ended just now
                os.kill(self.pid, number)

    def kill(self):
        self.send_signal(signal.SIGKILL)

    def output(self):
        """(stdout, stderr) so far."""
        return (self._stdout.read_text(errors="replace") if self._stdout.exists() else "",
                self._stderr.read_text(errors="replace") if self._stderr.exists() else "")

    def finish(self, timeout):
        """Wait for the end (killing the run after timeout seconds, then raising
        subprocess.TimeoutExpired); a CompletedProcess."""
        try:
            self.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            self.wait(30)
            raise
        finally:
            stdout, stderr = self.output()
            shutil.rmtree(self._folder, ignore_errors=True)
        done = subprocess.CompletedProcess(["lstm.py", *self.args], self.returncode, stdout, stderr)
        done.seconds = time.monotonic() - self.started_at  # how long the run took, from its start
        return done


def run_lstm(*args, cwd=ROOT, timeout=240, env=None, fresh=False, script="lstm.py"):
    """lstm.py ARGS, run as a user runs it (a process of its own; see LstmProcess); script, a
    path from the project's root or an absolute one (another copy's lstm.py)."""
    return LstmProcess(args, cwd=cwd, env=env, fresh=fresh, script=script).finish(timeout)


def write(tmp_path, name, *parts, fmt="midi"):
    """Write music21 parts as one score to tmp_path / name (MIDI, or fmt); returns the path."""
    from music21 import stream

    score = stream.Score()
    for part in parts:
        score.insert(0, part)
    path = tmp_path / name
    score.write(fmt, fp=path)
    return path


@pytest.fixture(scope="session")
def corpus_path():
    if not CORPUS.is_file():
        pytest.skip("data/original_metheny.mid is missing (.ci/run copies it from ../shared)")
    return CORPUS


@pytest.fixture(scope="session")
def musical_data(corpus_path):
    from preprocess import get_musical_data

    return get_musical_data(corpus_path)


# The runs several tests share: (name, lstm.py's arguments but --out, fresh).
DEFAULT_RUN = ("default", (), True)  # as a user starts it: README's excerpt is checked against it
PREVIOUS_RUN = ("previous", ("--epochs", 1), False)  # test_faults: the folder of an earlier run
SHARED_RUNS = (DEFAULT_RUN, PREVIOUS_RUN)


def shared_run(tmp_path_factory, name, args, fresh=False):
    """lstm.py ARGS --out FOLDER/my_music.midi, run once for the whole test session, even when
    pytest-xdist spreads the tests over several processes: (CompletedProcess, MIDI path).
    Tests read its files and never change them."""
    from filelock import FileLock

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # shared by the workers of this session
    folder, saved = root / f"shared-{name}", root / f"shared-{name}.json"
    with FileLock(root / f"shared-{name}.lock"):
        if not saved.exists():
            result = run_lstm(*args, "--out", folder / "my_music.midi", fresh=fresh)
            saved.write_text(json.dumps([result.returncode, result.stdout, result.stderr]))
    returncode, stdout, stderr = json.loads(saved.read_text())
    return subprocess.CompletedProcess(["lstm.py", *map(str, args)], returncode, stdout, stderr), folder / "my_music.midi"


@pytest.fixture(scope="session")
def default_run(tmp_path_factory, corpus_path):
    """`python lstm.py` with every default but --out, started as a user starts it:
    (CompletedProcess, path of the MIDI file)."""
    return shared_run(tmp_path_factory, *DEFAULT_RUN)


@pytest.fixture(scope="session")
def other_seed_run(tmp_path_factory, default_run):
    """The default run's model, improvising with --seed 1 and --no-audio."""
    weights = default_run[1].parent / "djmodel.weights.h5"
    return shared_run(tmp_path_factory, "seed1", ("--load-weights", weights, "--seed", 1, "--no-audio"))

