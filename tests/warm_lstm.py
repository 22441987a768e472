"""A warm interpreter for the tests: it imports the heavy libraries once, then runs each
`lstm.py ARGS` it is asked for in a child forked from itself.

Most of a test run of lstm.py used to go to importing TensorFlow. A child forked from here is a
real process all the same, with its own exit status, stdout, stderr, signals and clean-up at
exit; lstm.py itself and the project's modules are loaded fresh in every child. Only the
interpreter's start is shared, so the tests about starting (Ctrl-C while libraries load, the
run README shows, the notebook) still start `python lstm.py` themselves.

The server has one thread, so forking it is safe, and it runs no TensorFlow operation (forking
a process whose TensorFlow runtime has started could hang the child).

Protocol, one line each way per event. Request on stdin, as JSON:
    {"args": [...], "cwd": "...", "env": {...}, "stdout": "path", "stderr": "path"}
Answers on stdout: "started PID" at once, "ended PID RETURNCODE" when the child ends
(RETURNCODE as subprocess gives it: negative for a signal).
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


PRELOADED = ("keras", "music21", "mido", "filelock", "scipy.io.wavfile", "matplotlib.pyplot")  # keras brings TensorFlow


def preload():
    import matplotlib

    matplotlib.use("Agg")  # as lstm.py's plots do, before pyplot is imported
    for name in PRELOADED:
        importlib.import_module(name)


def child(root, request):
    """In the forked child: become `python lstm.py ARGS` and never return."""
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
        os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), fd)
    unbuffered = bool(os.environ.get("PYTHONUNBUFFERED"))
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False))
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), write_through=unbuffered)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), write_through=True)
    sys.argv = ["lstm.py", *request["args"]]
    sys.path.insert(0, root)
    status, interrupted = 0, False
    try:
        runpy.run_path(os.path.join(root, "lstm.py"), run_name="__main__")
    except SystemExit as stop:
        status = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        if stop.code is not None and not isinstance(stop.code, int):
            print(stop.code, file=sys.stderr)
    except BaseException:
        sys.excepthook(*sys.exc_info())  # lstm.py's hook: one line and its own exit status
        status, interrupted = 1, isinstance(sys.exc_info()[1], KeyboardInterrupt)
    try:
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
        if interrupted:  # as the interpreter ends on an unhandled Ctrl-C: killed by SIGINT
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
    finally:
        os._exit(status)


def serve(root):
    preload()
    print("ready", flush=True)
    children = set()
    pending = b""
    while True:
        readable, _, _ = select.select([sys.stdin.buffer], [], [], 0.05)
        if readable:
            chunk = os.read(sys.stdin.fileno(), 1 << 16)
            if not chunk:
                break  # the tests are done
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                sys.stdout.flush()
                pid = os.fork()
                if pid == 0:
                    child(root, json.loads(line))
                children.add(pid)
                print(f"started {pid}", flush=True)
        while children:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            children.discard(pid)
            print(f"ended {pid} {os.waitstatus_to_exitcode(status)}", flush=True)


if __name__ == "__main__":
    serve(sys.argv[1])
