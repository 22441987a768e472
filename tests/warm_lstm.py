"""A warm interpreter for the tests: it imports the heavy libraries once, then runs each
`lstm.py ARGS` it is asked for in a child forked from itself.

Most of a test run of lstm.py used to go to importing TensorFlow. A child forked from here is a
real process all the same, with its own exit status, stdout, stderr, signals and clean-up at
exit; lstm.py itself and the project's modules are loaded fresh in every child. Only the
interpreter's start is shared, so the tests about starting (Ctrl-C while libraries load, the
run README shows, the notebook) still start `python lstm.py` themselves.

The server runs one Python thread (numpy's OpenBLAS pool is fork-safe, as lstm.py's own forked
corpus readers rely on) and no TensorFlow operation (forking a process whose TensorFlow runtime
has started could hang the child). One difference remains: TensorFlow is loaded before lstm.py
starts, so a child reads the files of a corpus folder one after the other, never in parallel.

Protocol, one line each way per event. Request on stdin, as JSON:
    {"args": [...], "cwd": "...", "env": {...}, "stdout": "path", "stderr": "path", "script": "lstm.py"}
("script", a path from the project's root, is lstm.py unless given.)
Answers on the file descriptor given as the second argument (not stdout, where a library might
print): "ready" once the libraries are loaded, "started PID" at once for each request, and
"ended PID RETURNCODE" when that child ends (RETURNCODE as subprocess gives it: negative for a
signal). At the end of stdin the server kills the children still running, and ends.
"""

import atexit
import importlib
import io
import json
import os
import runpy
import select
import signal
import sys


PRELOADED = ("keras", "music21", "mido", "filelock", "scipy.io.wavfile", "matplotlib.figure")  # keras brings TensorFlow


def preload():
    for name in PRELOADED:
        importlib.import_module(name)


def child(root, request, replies):
    """In the forked child: become `python lstm.py ARGS` (or another script) and never return."""
    status, interrupted = 1, False
    try:
        os.close(replies)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
            os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), fd)
        unbuffered = bool(os.environ.get("PYTHONUNBUFFERED"))
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False))
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), write_through=unbuffered)
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), write_through=True,
                                      errors="backslashreplace")
        script = os.path.join(root, request.get("script", "lstm.py"))
        sys.argv = [script, *request["args"]]
        sys.path[0] = os.path.dirname(script)  # as `python lstm.py` puts the script's folder first
        # ... and the request's PYTHONPATH after it, as a new interpreter would
        sys.path[1:1] = [entry for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep) if entry]
        status = 0
        try:
            runpy.run_path(script, run_name="__main__")
        except SystemExit as stop:
            status = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
            if stop.code is not None and not isinstance(stop.code, int):
                print(stop.code, file=sys.stderr)
        except BaseException:
            status, interrupted = 1, isinstance(sys.exc_info()[1], KeyboardInterrupt)
            sys.excepthook(*sys.exc_info())  # lstm.py's hook: one line and its own exit status
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
        if interrupted:  # as the interpreter ends on an unhandled Ctrl-C: killed by SIGINT
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
    finally:
        os._exit(status)


def serve(root, replies):
    preload()

    def reply(line):
        os.write(replies, f"{line}\n".encode())

    reply("ready")
    children = set()
    pending = b""
    while True:
        readable, _, _ = select.select([sys.stdin.buffer], [], [], 0.05)
        if readable:
            chunk = os.read(sys.stdin.fileno(), 1 << 16)
            if not chunk:  # the tests are done: nothing of theirs runs on
                for pid in children:
                    os.kill(pid, signal.SIGKILL)
                return
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                request = json.loads(line)
                pid = os.fork()
                if pid == 0:
                    child(root, request, replies)
                children.add(pid)
                reply(f"started {pid}")
        while children:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            children.discard(pid)
            reply(f"ended {pid} {os.waitstatus_to_exitcode(status)}")


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
