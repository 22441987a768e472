"""Fault injection: no run loses or mixes files, no fault ends in a traceback, no crafted file hangs it.

Every case runs `python lstm.py` as a user does and checks the exit status, that stderr is
exactly one line `lstm.py: error: ...` (nothing else, no traceback), and that the folders around
the run hold exactly what they should, compared byte for byte, hidden files included. Most cases start from a copy of a complete earlier run, so "the folder is as it was"
means every one of its files is still there with its old bytes.
"""

import contextlib
import ctypes
import hashlib
import json
import os
import re
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import ENV, PREVIOUS_RUN, ROOT, LstmProcess, run_lstm, shared_run

# Every file a complete run writes beside `--out output/my_music.midi` (README, "Files it writes").
OUTPUTS = ["my_music.midi", "my_music.wav", "my_music.png", "my_music.musicxml", "my_music.svg",
           "training_snippet.wav", "loss.png", "djmodel.weights.h5", "vocabulary.json", "report.json"]
AUDIO_OUTPUTS = {"my_music.wav", "training_snippet.wav"}
from jazz_improv.safe_files import JOURNAL  # noqa: E402
COURSE_LINES = ["shape of X: (60, 30, 78)", "number of training examples: 60",
                "Tx (length of sequence): 30", "total # of unique values: 78", "Shape of Y: (30, 60, 78)"]


# ---------------------------------------------------------------------------------------------
# helpers


def snapshot(folder):
    """Everything under folder, hidden entries included: relative path -> what it is.

    A regular file is its sha256 and permission bits; a folder, a link or a special file (a
    named pipe) is named as such and never opened.
    """
    folder = Path(folder)
    found = {}
    for directory, subfolders, files in os.walk(folder):
        for name in subfolders + files:
            path = Path(directory, name)
            relative = path.relative_to(folder).as_posix()
            status = os.lstat(path)
            if stat.S_ISLNK(status.st_mode):
                found[relative] = f"link to {os.readlink(path)}"
            elif stat.S_ISDIR(status.st_mode):
                found[relative] = "folder"
            elif stat.S_ISREG(status.st_mode):
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                found[relative] = f"file {digest} mode {stat.S_IMODE(status.st_mode):o}"
            else:
                found[relative] = "special file"
    return found


def assert_one_line_error(result, status=2):
    """The run stopped with `status` and exactly one line on stderr, `lstm.py: error: ...`."""
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, result.stderr[-3000:]
    assert result.returncode == status, (result.returncode, result.stderr[-3000:])
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and result.stderr.endswith("\n"), f"stderr is not one line:\n{result.stderr[-3000:]}"
    assert lines[0].startswith("lstm.py: error: "), lines[0]
    return lines[0]


def run(*args, timeout=240, **kwargs):
    """run_lstm, but a run that does not finish in time is a failure that says so."""
    try:
        return run_lstm(*args, timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired:
        pytest.fail(f"lstm.py {' '.join(map(str, args))} still running after {timeout} s: it hangs")


def run_with(*args, preexec_fn=None, timeout=240):
    """python lstm.py ARGS, as run_lstm, with preexec_fn run in the child before it starts."""
    try:
        return subprocess.run([sys.executable, str(ROOT / "lstm.py"), *map(str, args)], cwd=ROOT, env=ENV,
                              capture_output=True, text=True, timeout=timeout, preexec_fn=preexec_fn)
    except subprocess.TimeoutExpired:
        pytest.fail(f"lstm.py {' '.join(map(str, args))} still running after {timeout} s: it hangs")


class Started:
    """`lstm.py ARGS` running in the background (conftest.LstmProcess), its output read as it comes."""

    def __init__(self, *args, fresh=False):
        self.args = args
        self.process = LstmProcess(args, env=dict(ENV, PYTHONUNBUFFERED="1"), fresh=fresh)

    @property
    def out(self):
        return self.process.output()[0].splitlines(keepends=True)

    @property
    def err(self):
        return self.process.output()[1].splitlines(keepends=True)

    def wait_for(self, condition, what, timeout=180):
        """Wait until condition() holds while the run goes on; fail if it ends or takes too long."""
        deadline = time.monotonic() + timeout
        while not condition():
            if self.process.poll() is not None:
                pytest.fail(f"the run ended (status {self.process.returncode}) before {what}:\n"
                            + "".join(self.out[-5:]) + "".join(self.err[-20:]))
            if time.monotonic() > deadline:
                self.process.kill()
                pytest.fail(f"no {what} after {timeout} s")
            time.sleep(0.05)

    def printed(self, prefix):
        return any(line.startswith(prefix) for line in self.out)

    def finish(self, timeout=240):
        try:
            return self.process.finish(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"lstm.py {' '.join(map(str, self.args))} did not end within {timeout} s")


def without_permission_override():
    """A preexec_fn under which lstm.py obeys file permissions as a user's program does.

    Root ignores permission bits; its child drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH
    from its bounding set, so after exec it has neither. Another user needs nothing.
    """
    if os.geteuid() != 0:
        return None
    libc = ctypes.CDLL(None, use_errno=True)

    def drop():
        for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
            if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")

    with tempfile.TemporaryDirectory() as folder:
        locked = Path(folder, "locked")
        locked.write_text("no one may read this\n")
        locked.chmod(0)
        probe = subprocess.run([sys.executable, "-c", f"open({str(locked)!r}).read()"],
                               preexec_fn=drop, capture_output=True, text=True)
    if "PermissionError" not in probe.stderr:
        pytest.skip("cannot run lstm.py without root's permission override here")
    return drop


def limit(resource_kind, size):
    def apply():
        resource.setrlimit(resource_kind, (size, size))

    return apply


@contextlib.contextmanager
def tmpfs(where, size):
    """A small file system of its own at where, for a full disk or a read-only folder."""
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        if subprocess.run(["umount", str(where)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(where)], capture_output=True)


def remount(where, options):
    subprocess.run(["mount", "-o", f"remount,{options}", str(where)], check=True, capture_output=True)


def write_tune(path):
    """A small lead sheet of our own: 12 bars of eighth notes over three piano chords."""
    from music21 import chord, instrument, meter, note, stream

    lead = stream.Part(id="Lead")
    lead.partName = "Lead"
    lead.insert(0, meter.TimeSignature("4/4"))
    line = ["E5", "G5", "A5", "C6", "B5", "G5", "E5", "D5", "F5", "A5", "G5", "E5", "C5", "D5"]
    for i in range(12 * 8):
        lead.insert(i * 0.5, note.Note(line[i % len(line)], quarterLength=0.5))
    piano = stream.Part(id="Piano")
    piano.partName = "Piano"
    piano.insert(0, instrument.Piano())
    changes = [["F3", "A3", "C4", "E4"], ["G3", "B3", "D4", "F4"], ["E3", "G3", "B3", "D4"]]
    for bar in range(12):
        piano.insert(bar * 4, chord.Chord(changes[bar % 3], quarterLength=4))
    score = stream.Score()
    score.insert(0, lead)
    score.insert(0, piano)
    score.write("midi", fp=path)
    return path


def write_drums(path):
    """A MIDI file whose only part is a bass drum: nothing melodic at all."""
    from music21 import instrument, note, stream

    drums = stream.Part(id="Drums")
    drums.insert(0, instrument.BassDrum())
    for beat in range(12 * 4):
        hit = note.Unpitched(quarterLength=1)
        hit.displayStep, hit.displayOctave = "C", 4
        drums.insert(beat, hit)
    score = stream.Score()
    score.insert(0, drums)
    score.write("midi", fp=path)
    return path


# ---------------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="session")
def previous_run(tmp_path_factory, corpus_path):
    """The folder of a complete earlier run (--epochs 1, with audio): all eight files."""
    result, midi = shared_run(tmp_path_factory, *PREVIOUS_RUN)
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(midi.parent)) == sorted(OUTPUTS)
    return midi.parent


@pytest.fixture
def world(tmp_path, previous_run):
    """tmp_path holding out/, a copy of the earlier run's folder; returns out/."""
    shutil.copytree(previous_run, tmp_path / "out")
    return tmp_path / "out"


@pytest.fixture(scope="module")
def tune(tmp_path_factory):
    return write_tune(tmp_path_factory.mktemp("tune") / "tune.mid")


# ---------------------------------------------------------------------------------------------
# --out that would collide with another output: refused before any work


@pytest.mark.parametrize("out, flags, named", [
    ("out/song.wav", [], "song.wav"),  # the WAV would overwrite the MIDI
    ("out/song.png", ["--no-audio"], "song.png"),  # the piano roll would overwrite the MIDI
    ("out/djmodel.weights.h5", [], "djmodel.weights.h5"),  # the MIDI would replace the weights
    ("newdir/", [], "newdir"),  # a folder, not a file name
    ("out/loss.midi", [], "loss"),  # its piano roll would be loss.png, the training curve
    ("out/training_snippet.mid", [], "training_snippet"),  # its audio would be the snippet
], ids=["wav", "png", "weights", "trailing slash", "loss.midi", "training_snippet.mid"])
def test_an_out_name_that_collides_is_refused_before_any_work(tmp_path, world, out, flags, named):
    before = snapshot(tmp_path)
    result = run("--epochs", 1, *flags, "--out", f"{tmp_path}/{out}", timeout=120)
    line = assert_one_line_error(result)
    assert named in line
    assert result.stdout == ""  # nothing read, nothing trained
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("case", ["corpus file", "file in a corpus folder", "through a link", "hard link",
                                  "loaded vocabulary"])
def test_an_output_never_replaces_an_input(tmp_path, world, tune, case):
    songs = tmp_path / "songs"
    songs.mkdir()
    shutil.copy(tune, songs / "song.mid")
    corpus, out, flags = songs / "song.mid", songs / "song.mid", []
    if case == "file in a corpus folder":
        corpus = songs
    elif case == "through a link":
        (tmp_path / "link.mid").symlink_to(songs / "song.mid")
        out = tmp_path / "link.mid"
    elif case == "hard link":
        os.link(songs / "song.mid", tmp_path / "same.mid")
        out = tmp_path / "same.mid"
    elif case == "loaded vocabulary":  # its piano roll's name: vocabulary.png; --out vocabulary.json is no MIDI
        shutil.copy(world / "vocabulary.json", songs / "song.json")
        os.link(songs / "song.json", songs / "vocabulary.json")
        shutil.copy(world / "djmodel.weights.h5", songs / "djmodel.weights.h5")
        (songs / "report.json").symlink_to(songs / "vocabulary.json")  # the report would go through it
        flags = ["--load-weights", songs / "djmodel.weights.h5"]
        out = songs / "mine.midi"
    before = snapshot(tmp_path)
    started = time.monotonic()
    result = run("--midi", corpus, "--epochs", 1, "--no-audio", *flags, "--out", out, timeout=120)
    line = assert_one_line_error(result)
    assert "which this run reads; choose another --out" in line
    assert result.stdout == "" and time.monotonic() - started < 20  # before any work
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("name", OUTPUTS)
def test_a_folder_in_the_way_of_an_output_is_refused(tmp_path, world, name):
    (world / name).unlink()
    (world / name).mkdir()
    (world / name / "keep.txt").write_text("the user's own file\n")
    before = snapshot(tmp_path)
    result = run("--epochs", 1, "--out", world / "my_music.midi", timeout=120)
    line = assert_one_line_error(result)
    assert name in line
    assert result.stdout == ""
    assert snapshot(tmp_path) == before


# ---------------------------------------------------------------------------------------------
# two runs at once


def test_a_second_run_on_a_busy_folder_is_refused_and_the_first_completes(tmp_path, corpus_path):
    folder = tmp_path / "busy"
    first = Started("--epochs", 150, "--no-audio", "--seed", 5, "--out", folder / "my_music.midi")
    first.wait_for(lambda: (folder / JOURNAL).is_dir(), "lock on the output folder")
    # the same --out, with audio and another seed; and another name in the same folder
    same = Started("--epochs", 1, "--seed", 7, "--out", folder / "my_music.midi")
    other = Started("--epochs", 1, "--no-audio", "--out", folder / "other.midi")
    refused = [same.finish(timeout=120), other.finish(timeout=120)]
    assert first.process.poll() is None, "the first run ended before the second was refused"
    for result in refused:
        line = assert_one_line_error(result)
        assert "another lstm.py run" in line and str(folder) in line
    done = first.finish(timeout=300)
    assert done.returncode == 0 and done.stderr == "", done.stderr[-3000:]
    assert "\n150/150 - " in done.stdout and " - loss: " in done.stdout
    # the first run's complete set, and nothing of the others (no audio, no other.*)
    assert sorted(snapshot(folder)) == sorted(set(OUTPUTS) - AUDIO_OUTPUTS)


# ---------------------------------------------------------------------------------------------
# a run that fails after it has begun writing


def test_a_run_failing_after_its_snippet_leaves_the_folder_as_it_was(tmp_path, world, tune, previous_run):
    model = tmp_path / "broken"
    model.mkdir()
    (model / "djmodel.weights.h5").write_bytes((previous_run / "djmodel.weights.h5").read_bytes()[:10_000])
    shutil.copy(previous_run / "vocabulary.json", model)
    before = snapshot(tmp_path)
    # another corpus: its training snippet differs from the one in the folder
    result = run("--midi", tune, "--load-weights", model / "djmodel.weights.h5", "--out", world / "my_music.midi")
    line = assert_one_line_error(result)
    assert "djmodel.weights.h5" in line
    assert "Training snippet: " in result.stdout  # it had written the new snippet
    assert snapshot(tmp_path) == before


# ---------------------------------------------------------------------------------------------
# a full disk, a file size limit


def assert_names_the_file(line, path, reason):
    assert f"{path}: " in line and reason in line, line
    assert not re.search(r"/\.[a-z0-9_]{8}-", line), f"names a temporary file, not the output: {line}"


@pytest.mark.parametrize("budget, flags, failing", [
    (40 << 10, ["--no-audio"], "djmodel.weights.h5"),  # the curve fits, the weights (528 kB) not
    (200 << 10, ["--no-audio"], "djmodel.weights.h5"),  # the weights stop a third of the way
    (560 << 10, ["--no-audio"], "my_music.png"),  # curve, weights, vocabulary and MIDI fit
    (1200 << 10, [], "training_snippet.wav"),  # the snippet is 2.9 MB
], ids=["40k", "200k", "560k", "1200k audio"])
def test_a_full_disk_is_one_line_and_the_folder_as_it_was(tmp_path, previous_run, budget, flags, failing):
    disk = tmp_path / "disk"
    with tmpfs(disk, "16m"):
        shutil.copytree(previous_run, disk / "out")
        remount(disk, f"size={shutil.disk_usage(disk).used + budget}")
        before = snapshot(disk)
        result = run("--epochs", 1, *flags, "--out", disk / "out" / "my_music.midi")
        line = assert_one_line_error(result)
        assert_names_the_file(line, disk / "out" / failing, "No space left on device")
        assert snapshot(disk) == before


def test_a_file_size_limit_is_one_line_and_the_folder_as_it_was(tmp_path, world):
    before = snapshot(tmp_path)
    result = run_with("--epochs", 1, "--out", world / "my_music.midi",
                      preexec_fn=limit(resource.RLIMIT_FSIZE, 100_000))
    line = assert_one_line_error(result)
    assert_names_the_file(line, world / "training_snippet.wav", "File too large")  # 2.9 MB
    assert snapshot(tmp_path) == before


# ---------------------------------------------------------------------------------------------
# permissions, read-only folders, folders in the way


def lstm_without_override(*args, timeout=120):
    return run_with(*args, timeout=timeout, preexec_fn=without_permission_override())


def test_an_unreadable_corpus_is_one_line(tmp_path, corpus_path):
    corpus = tmp_path / "in" / "solo.mid"
    corpus.parent.mkdir()
    shutil.copy(corpus_path, corpus)
    corpus.chmod(0)
    before = snapshot(tmp_path)
    result = lstm_without_override("--midi", corpus, "--out", tmp_path / "out" / "my_music.midi")
    line = assert_one_line_error(result)
    assert str(corpus) in line and "Permission denied" in line
    assert snapshot(tmp_path) == before


def test_a_read_only_output_folder_is_one_line(tmp_path, world):
    world.chmod(0o555)
    try:
        before = snapshot(tmp_path)
        result = lstm_without_override("--epochs", 1, "--out", world / "my_music.midi")
        line = assert_one_line_error(result)
        assert str(world) in line
        assert snapshot(tmp_path) == before
    finally:
        world.chmod(0o755)


def test_a_read_only_file_system_is_one_line(tmp_path, previous_run):
    disk = tmp_path / "disk"
    with tmpfs(disk, "16m"):
        shutil.copytree(previous_run, disk / "out")
        remount(disk, "ro")
        before = snapshot(disk)
        result = run("--epochs", 1, "--out", disk / "out" / "my_music.midi", timeout=120)
        line = assert_one_line_error(result)
        assert str(disk / "out") in line
        assert snapshot(disk) == before


# ---------------------------------------------------------------------------------------------
# a corpus with nothing to learn from


def test_a_drums_only_corpus_with_a_melody_part_is_one_line(tmp_path):
    drums = write_drums(tmp_path / "drums.mid")
    before = snapshot(tmp_path)
    result = run("--midi", drums, "--melody-part", 0, "--out", tmp_path / "out" / "my_music.midi", timeout=120)
    line = assert_one_line_error(result)
    assert "drums.mid" in line
    assert snapshot(tmp_path) == before


# ---------------------------------------------------------------------------------------------
# Ctrl-C, SIGTERM, kill -9


@pytest.mark.parametrize("sent, status, message", [
    (signal.SIGINT, 130, "interrupted"),
    (signal.SIGTERM, 143, "terminated"),
    (signal.SIGHUP, 129, "terminated by SIGHUP"),  # the terminal closed
    (signal.SIGQUIT, 131, "terminated by SIGQUIT"),  # Ctrl-\\
    (signal.SIGUSR1, 138, "terminated by SIGUSR1"),
], ids=["ctrl-c", "sigterm", "sighup", "sigquit", "sigusr1"])
def test_a_signal_during_training_puts_the_folder_back(tmp_path, world, tune, sent, status, message):
    before = snapshot(tmp_path)
    started = Started("--midi", tune, "--epochs", 100_000, "--out", world / "my_music.midi")
    started.wait_for(lambda: started.printed("  Total params"), "the model")
    time.sleep(2)  # training: a pipe shows its progress only at the end
    started.process.send_signal(sent)
    result = started.finish(timeout=60)
    line = assert_one_line_error(result, status=status)
    assert line == f"lstm.py: error: {message}"
    assert "Training snippet: " in result.stdout  # it had replaced the snippet
    assert snapshot(tmp_path) == before


def test_a_reader_that_goes_away_never_undoes_a_finished_run(tmp_path, world):
    """`python lstm.py | head -1`: the first line read, the pipe closed; the run goes on and
    keeps its files."""
    before = snapshot(world)
    process = subprocess.Popen([sys.executable, "lstm.py", "--epochs", "1", "--no-audio", "--seed", "9",
                                "--out", str(world / "my_music.midi")], cwd=ROOT, env=ENV,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout.readline().startswith(b"shape of X: ")
    process.stdout.close()
    stderr = process.communicate(timeout=240)[1]
    assert process.returncode == 0 and stderr == b"", stderr[-3000:]
    after = snapshot(world)
    assert sorted(after) == sorted(set(OUTPUTS) - AUDIO_OUTPUTS)
    assert after["my_music.midi"] != before["my_music.midi"]  # the new run's music


def test_a_closed_stderr_changes_nothing(tmp_path):
    """`2>&-`: no file of the run takes descriptor 2, and the run completes."""
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "lstm.py", "--epochs", "1", "--no-audio",
                           "--out", str(out / "my_music.midi")], cwd=ROOT, env=ENV, stdout=subprocess.PIPE,
                          preexec_fn=lambda: os.close(2), timeout=240)
    assert done.returncode == 0
    assert done.stdout.decode().splitlines()[-1] == f"Report saved in {out / 'report.json'}"
    assert sorted(os.listdir(out)) == sorted(set(OUTPUTS) - AUDIO_OUTPUTS)


def test_ctrl_c_while_files_are_read_in_parallel_is_answered_at_once(tmp_path):
    from jazz_improv.corpus import corpus_file

    songs = tmp_path / "songs"
    songs.mkdir()
    for name in ("beethoven/opus59no1/movement1", "mozart/k458/movement1", "haydn/opus74no1/movement1",
                 "beethoven/opus132", "beethoven/opus18no1/movement1", "schumann_robert/opus41no1/movement2"):
        shutil.copy(corpus_file(f"music21:{name}"), songs / f"{name.replace('/', '_')}.mxl")
    started = Started("--midi", songs, "--out", tmp_path / "out" / "my_music.midi", fresh=True)
    children = Path(f"/proc/{started.process.pid}/task/{started.process.pid}/children")
    started.wait_for(lambda: children.read_text().split(), "reading workers")
    time.sleep(0.5)
    workers = children.read_text().split()
    assert not (tmp_path / "out").exists()  # nothing is written there before the inputs are read
    started.process.send_signal(signal.SIGINT)
    signalled = time.monotonic()
    result = started.finish(timeout=60)
    assert time.monotonic() - signalled < 3
    assert assert_one_line_error(result, status=130) == "lstm.py: error: interrupted"

    def running(pid):  # a killed worker may wait as a zombie for the system to reap it
        with contextlib.suppress(OSError):
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        return False

    deadline = time.monotonic() + 2  # SIGKILL is sent; the system takes a moment under load
    while any(running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(running(pid) for pid in workers)
    assert not (tmp_path / "out").exists()


def test_ctrl_c_while_starting_is_one_line(tmp_path):
    started = Started("--out", tmp_path / "out" / "my_music.midi", fresh=True)  # a new interpreter
    time.sleep(0.5)  # Python is up, lstm.py is importing its libraries
    assert started.process.poll() is None
    started.process.send_signal(signal.SIGINT)
    result = started.finish(timeout=60)
    line = assert_one_line_error(result, status=130)
    assert line == "lstm.py: error: interrupted"
    assert list(tmp_path.iterdir()) == []


def test_a_killed_run_is_rolled_back_by_the_next_run(tmp_path, world, tune):
    before = snapshot(world)
    killed = Started("--midi", tune, "--epochs", 100_000, "--out", world / "my_music.midi")
    killed.wait_for(lambda: killed.printed("  Total params"), "the model")
    time.sleep(2)  # training: a pipe shows its progress only at the end
    killed.process.kill()
    killed.finish(timeout=60)
    # what kill -9 leaves: the journal, and the new corpus's snippet beside the old music
    assert (world / JOURNAL).is_dir()
    assert snapshot(world)["training_snippet.wav"] != before["training_snippet.wav"]
    (world / ".lstm.py-tmp-abcd1234-my_music.midi").write_bytes(b"MThd half a file")  # a write cut short

    result = run("--epochs", 1, "--no-audio", "--out", world / "my_music.midi")
    assert result.returncode == 0 and result.stderr == "", result.stderr[-3000:]
    after = snapshot(world)
    # no journal, no hidden temporaries; and no audio: the earlier runs' is not this run's
    assert sorted(after) == sorted(set(OUTPUTS) - AUDIO_OUTPUTS)


def test_load_weights_from_a_folder_a_killed_run_left(tmp_path, world, tune):
    """A run killed after saving its model: the folder's model is still the previous run's."""
    killed = Started("--midi", tune, "--epochs", 1, "--out", world / "my_music.midi")
    killed.wait_for(lambda: killed.printed("Model saved in"), "saved model")
    killed.process.kill()
    killed.finish(timeout=60)
    assert (world / JOURNAL).is_dir(), "the run was killed too late: it had finished"
    # weights and vocabulary of one set: the previous complete run's
    result = run("--load-weights", world / "djmodel.weights.h5", "--no-audio", "--out", world / "my_music.midi")
    assert result.returncode == 0 and result.stderr == "", result.stderr[-3000:]


# ---------------------------------------------------------------------------------------------
# one run, one set: a folder never holds one run's music beside another's audio or pictures


def test_a_run_without_audio_removes_the_earlier_runs_audio(world):
    (world / "my_music.mp3").write_bytes(b"an earlier run's --audio-format mp3")
    result = run("--epochs", 1, "--no-audio", "--seed", 3, "--out", world / "my_music.midi")
    assert result.returncode == 0 and result.stderr == "", result.stderr[-3000:]
    assert sorted(snapshot(world)) == sorted(set(OUTPUTS) - AUDIO_OUTPUTS)


def test_a_loaded_model_stays_and_the_curve_of_its_training_goes(world):
    model = {name: (world / name).read_bytes() for name in ("djmodel.weights.h5", "vocabulary.json")}
    result = run("--load-weights", world / "djmodel.weights.h5", "--seed", 4, "--no-audio",
                 "--out", world / "my_music.midi")
    assert result.returncode == 0 and result.stderr == "", result.stderr[-3000:]
    assert sorted(snapshot(world)) == sorted(set(OUTPUTS) - AUDIO_OUTPUTS - {"loss.png"})
    assert {name: (world / name).read_bytes() for name in model} == model


def test_a_failed_run_puts_back_what_it_removed(tmp_path, world):
    (tmp_path / "bad.mid").write_bytes(b"MThd but nothing else")
    before = snapshot(tmp_path)
    result = run("--midi", tmp_path / "bad.mid", "--no-audio", "--out", world / "my_music.midi")
    assert "bad.mid" in assert_one_line_error(result)  # found while reading, after the removal
    assert snapshot(tmp_path) == before


# ---------------------------------------------------------------------------------------------
# the journal is ours alone: a run removes or restores only its own outputs


def test_a_users_folder_named_like_the_old_journal_is_left_alone(tmp_path, world):
    """A folder .lstm-run of the user's, even one whose outputs.json names the user's thesis."""
    (world / ".lstm-run").mkdir()
    (world / ".lstm-run" / "notes.txt").write_text("the user's notes\n")
    (world / ".lstm-run" / "outputs.json").write_text('["thesis.tex"]')
    (world / "thesis.tex").write_text("\\documentclass{article}\n")
    before = snapshot(world)
    result = run("--epochs", 1, "--no-audio", "--out", world / "other.midi")
    assert result.returncode == 0 and result.stderr == "", result.stderr[-3000:]
    after = snapshot(world)
    assert {name: after[name] for name in before if name.startswith((".lstm-run", "thesis"))} == \
           {name: before[name] for name in before if name.startswith((".lstm-run", "thesis"))}


def forge_journal(place, files, digest=None, **changes):
    """A journal in lstm.py's format listing files ({name: sha256 or None}); with digest, that
    sha256 in place of the manifest's own."""
    from jazz_improv import safe_files

    status = os.stat(place)
    content = {"format": safe_files.JOURNAL_FORMAT, "version": safe_files.JOURNAL_VERSION,
               "run": "0" * 32, "folder": [status.st_dev, status.st_ino], "files": files, **changes}
    (place / JOURNAL).mkdir()
    own = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
    (place / JOURNAL / safe_files.MANIFEST).write_text(json.dumps({"content": content, "sha256": digest or own}))


@pytest.mark.parametrize("files, digest, changes", [
    ({"thesis.tex": None}, None, {}),  # a name that no run writes
    ({"../thesis.tex": None}, None, {}),  # a path out of the folder
    ({"my_music.midi": None}, "0" * 64, {}),  # a manifest that does not check out
    ({"my_music.midi": None}, None, {"version": 99}),  # a format it does not know
    ({"my_music.midi": None}, None, {"folder": [0, 0]}),  # another folder's journal, copied here
])
def test_a_journal_that_does_not_check_out_changes_nothing(tmp_path, world, files, digest, changes):
    (world / "thesis.tex").write_text("the user's\n")
    forge_journal(world, files, digest, **changes)
    before = snapshot(tmp_path)
    started = time.monotonic()
    result = run("--epochs", 1, "--no-audio", "--out", world / "my_music.midi")
    line = assert_one_line_error(result)
    assert line == (f"lstm.py: error: {world / JOURNAL}: not a journal of lstm.py that checks out; nothing in "
                    "the folder was changed: look inside it, then move it away")
    assert time.monotonic() - started < 30  # before any training
    assert snapshot(tmp_path) == before


def test_a_journal_restores_only_versions_whose_bytes_check_out(tmp_path, world):
    """A killed run's journal, one of its versions changed since: that one is not put back."""
    from jazz_improv import safe_files

    names = ["my_music.midi", "report.json"]
    before = snapshot(world)
    run_in_folder = safe_files.OutputRun([world / name for name in names])
    for name in names:
        safe_files.write_atomically(world / name, lambda temporary: Path(temporary).write_text("new"))
    run_in_folder._release()  # as kill -9 leaves it: journal in place, new files written
    os.unlink(world / JOURNAL / "report.json")
    (world / JOURNAL / "report.json").write_text("forged")
    safe_files.OutputRun([world / name for name in names]).commit()  # the next run
    after = snapshot(world)
    assert after["my_music.midi"] == before["my_music.midi"]  # put back
    assert (world / "report.json").read_text() == "new"  # its version did not check out
    assert JOURNAL not in after


def test_a_journal_cut_short_while_being_built_is_removed_and_changes_nothing(tmp_path, world):
    from jazz_improv import safe_files

    before = snapshot(world)
    partial = world / f"{JOURNAL}-abcd1234{safe_files.PARTIAL}"
    partial.mkdir()
    os.link(world / "my_music.midi", partial / "my_music.midi")
    safe_files.OutputRun([world / "my_music.midi"]).commit()
    assert snapshot(world) == before
    # a folder of the user's named like one, holding a file that is not a link of the folder's
    partial.mkdir()
    (partial / "my_music.midi").write_text("the user's\n")
    before = snapshot(world)
    safe_files.OutputRun([world / "my_music.midi"]).commit()
    assert snapshot(world) == before


# kill -9 in the middle of a roll-back: the first file is back, the others not yet
KILLED_WHILE_ROLLING_BACK = """
import os, signal, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from jazz_improv import safe_files
folder = Path(sys.argv[2])
names = sys.argv[3:]
run = safe_files.OutputRun([folder / name for name in names])
for name in names:
    safe_files.write_atomically(folder / name, lambda temporary: Path(temporary).write_text("new"))
replace = os.replace
def replace_then_die(*args, **kwargs):
    replace(*args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)
os.replace = replace_then_die
run.roll_back()
"""


def test_a_run_killed_while_rolling_back_loses_no_file(tmp_path, world):
    from jazz_improv import safe_files

    names = ["my_music.midi", "report.json", "loss.png"]
    before = snapshot(world)
    killed = subprocess.run([sys.executable, "-c", KILLED_WHILE_ROLLING_BACK, str(ROOT), str(world), *names],
                            capture_output=True, text=True, timeout=60)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert (world / JOURNAL).is_dir()
    safe_files.OutputRun([world / name for name in names]).commit()  # the next run, at once done
    assert snapshot(world) == before


def test_stale_temporaries_go_and_hidden_files_of_the_user_stay(tmp_path, world):
    (world / ".lstm.py-tmp-abcd1234-my_music.midi").write_bytes(b"MThd half a file")  # left by a killed run
    (world / ".htaccess-old").write_text("the user's\n")
    (world / ".original-report.json").write_text("the user's, named like an older version's temporaries\n")
    (world / ".backup01-my_music.midi").write_text("the user's\n")
    (world / ".my_music-v1.midi").write_bytes((world / "my_music.midi").read_bytes())
    before = snapshot(tmp_path)
    # a run that begins writing, then fails at its first file (the 2.9 MB snippet)
    result = run_with("--out", world / "my_music.midi", preexec_fn=limit(resource.RLIMIT_FSIZE, 100_000))
    line = assert_one_line_error(result)
    assert "training_snippet.wav" in line
    del before["out/.lstm.py-tmp-abcd1234-my_music.midi"]
    assert snapshot(tmp_path) == before


# ---------------------------------------------------------------------------------------------
# a poisoned cache


def isolated_project(tmp_path, keep_corpus=True):
    ignored = [".git", "output", "__pycache__", ".pytest_cache", ".cache", ".benchmarks"]
    if not keep_corpus:
        ignored.append("original_metheny.mid")
    project = tmp_path / "project"
    shutil.copytree(ROOT, project, ignore=shutil.ignore_patterns(*ignored))
    return project


def test_a_corrupt_cache_entry_does_not_poison_the_next_run(tmp_path, corpus_path):
    from jazz_improv.corpus import load_solo

    project = isolated_project(tmp_path)
    load_solo(project / "data" / "original_metheny.mid", cache_dir=project / "data" / ".cache")
    (entry,) = (project / "data" / ".cache").glob("*.json")
    good = entry.read_text()
    digit = re.search(r"\d", good[good.index('"melody"'):]).start() + good.index('"melody"')
    entry.write_text(good[:digit] + str((int(good[digit]) + 1) % 10) + good[digit + 1:])

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run("--midi", project / "data" / "original_metheny.mid", "--epochs", 1, "--no-audio",
                 "--out", tmp_path / "out" / "my_music.midi", cwd=elsewhere, script=str(project / "lstm.py"))
    assert result.returncode == 0 and result.stderr == "", result.stderr[-3000:]
    for line in COURSE_LINES:
        assert line in result.stdout
    assert entry.read_text() == good  # the entry was read, refused and written again
    assert list(elsewhere.iterdir()) == []  # the cache is the project's, wherever the run starts


# ---------------------------------------------------------------------------------------------
# crafted vocabularies beside real weights


def craft(kind, path, real):
    """Write a vocabulary.json of the given kind at path: the real one (a dict), changed so."""
    values = real["values"]
    changes = {
        "Q,zz x78": {"values": ["Q,zz"] * 78},
        "C,1e9 x78": {"values": ["C,1e9"] * 78},
        "2,000,000 values": {"values": ["C,0.250"] * 2_000_000},
        "duplicates": {"values": values[:-1] + [values[0]]},
        "one value short of the weights": {"values": values[:-1]},
        "78 distinct non-values": {"values": [f"Q,{i}" for i in range(78)]},
        "one C,1e9": {"values": values[:-1] + ["C,1e9"]},
        "register upside down": {"register": real["register"][::-1]},
        "register beyond MIDI": {"register": [-12, 200]},
        "values not text": {"values": list(range(len(values)))},
        "values not a list": {"values": "C,0.250"},
        "a negative pitch class count": {"pitch_class_counts": [-1] + real["pitch_class_counts"][1:]},
        "eleven pitch class counts": {"pitch_class_counts": real["pitch_class_counts"][:11]},
        "pitch class counts not numbers": {"pitch_class_counts": ["C"] * 12},
        "pitch class counts true": {"pitch_class_counts": [True] * 12},
        "a pitch class count too large": {"pitch_class_counts": [10 ** 9 + 1] * 12},
        "an old vocabulary's pitch classes not a list": {"pitch_classes": 7},
        "an old vocabulary's pitch classes as names": {"pitch_classes": ["C", "G"]},
        "an old vocabulary's pitch class 12": {"pitch_classes": [0, 12]},
        "an old vocabulary's pitch classes true and false": {"pitch_classes": [True, False]},
    }
    if kind.startswith("an old vocabulary's"):
        path.write_text(json.dumps(dict({k: v for k, v in real.items() if k != "pitch_class_counts"},
                                        **changes[kind])))
    elif kind in changes:
        path.write_text(json.dumps(dict(real, **changes[kind])))
    elif kind == "no register":
        path.write_text(json.dumps({key: item for key, item in real.items() if key != "register"}))
    elif kind == "20 MB":
        path.write_text(json.dumps(real) + " " * (20 << 20))
    elif kind == "not JSON":
        path.write_text("values: C,0.250 {")
    elif kind == "empty":
        path.write_text("")
    elif kind == "deeply nested":  # 200 kB, far below any size limit
        path.write_text(json.dumps(dict(real, values="HERE")).replace('"HERE"', "[" * 100_000 + "]" * 100_000))
    elif kind == "a folder":
        path.mkdir()
    elif kind == "a named pipe":  # opening it waits for a writer that never comes
        os.mkfifo(path)
    elif kind == "endless":  # stat says 0 bytes; reading never ends
        path.symlink_to("/dev/zero")
    elif kind != "missing":
        raise AssertionError(kind)


@pytest.mark.parametrize("kind", [
    "Q,zz x78", "C,1e9 x78", "2,000,000 values", "20 MB", "duplicates", "one value short of the weights",
    "no register", "not JSON", "deeply nested", "a named pipe", "endless"])
def test_a_crafted_vocabulary_is_one_line_fast(tmp_path, world, previous_run, kind):
    model = tmp_path / "model"
    model.mkdir()
    shutil.copy(previous_run / "djmodel.weights.h5", model)
    craft(kind, model / "vocabulary.json", json.loads((previous_run / "vocabulary.json").read_text()))
    before = snapshot(tmp_path)
    # a reader that does not stop would fill the memory: cap it at 2 GB
    result = run_with("--load-weights", model / "djmodel.weights.h5", "--out", world / "my_music.midi",
                      timeout=60, preexec_fn=limit(resource.RLIMIT_AS, 2 << 30) if kind == "endless" else None)
    line = assert_one_line_error(result)
    assert "vocabulary.json" in line
    assert snapshot(tmp_path) == before


def test_the_real_vocabulary_is_accepted(previous_run, corpus_path):
    """The control for the crafted ones: what they are made from is a good vocabulary."""
    from jazz_improv.saved_model import load_vocabulary
    from jazz_improv.corpus import load_solo

    loaded = load_vocabulary(previous_run / "vocabulary.json")
    values = json.loads((previous_run / "vocabulary.json").read_text())["values"]
    assert [loaded[0][i] for i in range(len(values))] == values
    # the counts the grammar draws by come back as the corpus has them: one per melody note
    assert loaded[2] == load_solo(corpus_path).pitch_classes and sum(loaded[2].values()) == 193
    # and the rhythm: onset gaps, openings, and the melody's silences in its 71.75 beats
    assert loaded[3] == load_solo(corpus_path).rhythm and loaded[3].span == 861


def test_a_loaded_model_improvises_over_chords_in_the_metre_it_learnt(tmp_path, previous_run):
    import mido

    entry = json.loads((previous_run / "vocabulary.json").read_text())
    assert entry["beats_per_bar"] == "4"  # Metheny's 4/4, saved with the model
    model = tmp_path / "model"
    model.mkdir()
    shutil.copy(previous_run / "djmodel.weights.h5", model)
    (model / "vocabulary.json").write_text(json.dumps(dict(entry, beats_per_bar="3")))  # as a waltz's model
    out = tmp_path / "out" / "my_music.midi"
    result = run_lstm("--load-weights", model / "djmodel.weights.h5", "--chords", "Dm7 | G7 | Cmaj7", "--bars", "3",
                      "--no-audio", "--out", out)
    assert result.returncode == 0, result.stderr[-2000:]
    signatures = [(m.numerator, m.denominator) for track in mido.MidiFile(out).tracks for m in track
                  if m.type == "time_signature"]
    assert signatures == [(3, 4)]
    # the chords change every three beats: Dm7, G7, Cmaj7
    played, now, starts = mido.MidiFile(out), 0, []
    for message in played.tracks[-1]:
        now += message.time
        if message.type == "note_on" and message.velocity and (not starts or starts[-1] != now):
            starts.append(now)
    assert starts == [0, 3 * played.ticks_per_beat, 6 * played.ticks_per_beat]


def test_a_vocabulary_from_before_the_pitch_class_counts_counts_each_class_once(tmp_path, previous_run):
    from jazz_improv.saved_model import load_vocabulary

    real = json.loads((previous_run / "vocabulary.json").read_text())
    old = {key: item for key, item in real.items() if key != "pitch_class_counts"}
    path = tmp_path / "vocabulary.json"
    path.write_text(json.dumps(dict(old, pitch_classes=[0, 2, 7])))
    assert load_vocabulary(path)[2] == {0: 1, 2: 1, 7: 1}


@pytest.mark.parametrize("kind", [
    "78 distinct non-values", "one C,1e9", "register upside down", "register beyond MIDI",
    "values not text", "values not a list", "a negative pitch class count", "eleven pitch class counts",
    "pitch class counts not numbers", "pitch class counts true", "a pitch class count too large",
    "an old vocabulary's pitch classes not a list", "an old vocabulary's pitch classes as names",
    "an old vocabulary's pitch class 12", "an old vocabulary's pitch classes true and false", "empty",
    "a folder", "missing"])
def test_more_crafted_vocabularies_are_refused(tmp_path, previous_run, kind):
    """The same check in the program's own process: refused with the reason lstm.py prints."""
    from jazz_improv.saved_model import load_vocabulary
    from jazz_improv.console import InputError

    path = tmp_path / "vocabulary.json"
    craft(kind, path, json.loads((previous_run / "vocabulary.json").read_text()))
    with pytest.raises(InputError, match=re.escape(str(path))) as refused:
        load_vocabulary(path)
    assert "\n" not in str(refused.value)
    if "pitch class" in kind:  # refused for the reason, not by accident
        assert "pitch class" in str(refused.value).replace("_", " ")


# ---------------------------------------------------------------------------------------------
# limits and a missing network


def test_too_many_bars_are_refused_at_once(tmp_path):
    result = run("--chords", "Dm7 G7 | Cmaj7", "--bars", 10000, "--out", tmp_path / "out" / "my_music.midi",
                 timeout=60)
    line = assert_one_line_error(result)
    assert "--bars" in line and "10000" in line
    # it names the largest number it takes
    assert re.search(r"\b(at most|limit|maximum|no more than|up to)\b", line)
    assert [n for n in re.findall(r"\d+", line) if n != "10000"]
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_offline_the_download_error_names_the_cause(tmp_path):
    project = isolated_project(tmp_path, keep_corpus=False)
    before = snapshot(project / "data")
    blocked = "http://127.0.0.1:9"  # nothing listens there: every connection is refused at once
    env = {k: v for k, v in ENV.items() if k.lower() != "no_proxy"}
    env.update(https_proxy=blocked, HTTPS_PROXY=blocked, http_proxy=blocked, HTTP_PROXY=blocked)
    result = run("--no-audio", "--out", tmp_path / "out" / "my_music.midi", cwd=project, env=env, timeout=120)
    line = assert_one_line_error(result)
    assert re.search(r"network|connection|refused|offline|unreachable", line, re.IGNORECASE), line
    assert "--midi" in line
    assert "(Exception)" not in line
    assert snapshot(project / "data") == before  # no half-downloaded corpus
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------------------------
# nothing prints but our lines


def test_a_name_with_a_newline_is_one_line():
    result = run("--out", "out/bad\nname.txt")
    line = assert_one_line_error(result)
    assert "bad\\nname.txt" in line


def test_a_name_that_is_not_utf8_and_a_read_only_home_print_only_our_lines(tmp_path, previous_run):
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o500)  # matplotlib cannot make its folder there
    out = os.fsdecode(os.fsencode(str(tmp_path)) + b"/out-\xff/my_music.midi")
    env = {key: value for key, value in ENV.items() if key != "MPLCONFIGDIR"}
    # a new interpreter, which meets the read-only HOME as it loads matplotlib; no training
    result = run("--load-weights", previous_run / "djmodel.weights.h5", "--chords", "Dm7 G7 | Cmaj7",
                 "--bars", 4, "--no-audio", "--out", out, env=dict(env, HOME=str(home)), fresh=True)
    assert result.returncode == 0 and result.stderr == "", result.stderr[-3000:]
    assert f"Your generated music is saved in {tmp_path}/out-\\udcff/my_music.midi" in result.stdout
    assert os.path.isfile(out)


# ---------------------------------------------------------------------------------------------
# numbers beyond the limits, in any format: one line within seconds, never a traceback or a
# blow-up after the work


def midi_with_metre(numerator, denominator_power, long_chord=False):
    """A one-track MIDI file: a time signature, then a phrase (or one chord held 60 quarters)."""
    def variable_length(number):
        out = [number & 0x7F]
        while number > 0x7F:
            number >>= 7
            out.insert(0, (number & 0x7F) | 0x80)
        return bytes(out)

    events = b"\x00\xff\x58\x04" + bytes([numerator, denominator_power, 24, 8])
    if long_chord:
        events += b"".join(b"\x00\x90" + bytes([pitch, 80]) for pitch in (60, 64, 67))
        events += variable_length(60 * 480) + b"\x80\x3c\x00" + b"\x00\x80\x40\x00\x00\x80\x43\x00"
    else:
        for pitch in [60, 62, 64, 65, 67, 69, 71, 72] * 5:
            events += b"\x00\x90" + bytes([pitch, 80]) + variable_length(240) + b"\x80" + bytes([pitch, 0])
    events += b"\x00\xff\x2f\x00"
    return b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xe0" + b"MTrk" + len(events).to_bytes(4, "big") + events


def musicxml_with(tmp_path, pattern, replacement, count=0):
    from music21 import harmony, meter, note, stream

    part = stream.Part([meter.TimeSignature("4/4")])
    for i in range(40):
        if i % 4 == 0:
            part.append(harmony.ChordSymbol(["C", "F", "G7", "Am"][i // 4 % 4]))
        part.append(note.Note(["C5", "D5", "E5", "G5"][i % 4], quarterLength=1))
    path = tmp_path / "piece.musicxml"
    stream.Score([part]).write("musicxml", fp=path)
    path.write_text(re.sub(pattern, replacement, path.read_text(), count=count))
    return path


@pytest.mark.parametrize("kind, expected", [
    ("duration 1e308", "a duration of 1e308"),
    ("duration 1e15", "a duration of 1000000000000000"),
    ("duration 1e12", "a note ending"),
    ("beats 1000000", "a time signature's beats of 1000000"),
    ("ABC M:1000000/4", "'1000000/4' has a number above 64"),
    ("MIDI 4/2^30", "a time signature of 4/1073741824"),
    ("MIDI 4/2^255", "a time signature of 4/"),
    ("MIDI 64/1, one long chord", "a bar of 256 quarter notes"),
])
def test_numbers_beyond_the_limits_are_one_line_at_once(tmp_path, kind, expected):
    if kind.startswith("duration"):
        value = {"duration 1e308": "1e308", "duration 1e15": "1000000000000000",
                 "duration 1e12": "1000000000000"}[kind]
        path = musicxml_with(tmp_path, r"<duration>\d+</duration>", f"<duration>{value}</duration>",
                             count=0 if kind == "duration 1e308" else 1)
    elif kind.startswith("beats"):
        path = musicxml_with(tmp_path, r"<beats>\d+</beats>", "<beats>1000000</beats>")
    elif kind.startswith("ABC"):
        path = tmp_path / "big.abc"
        path.write_text("X:1\nT:big\nM:1000000/4\nL:1/4\nK:C\n\"C\"CDEF|\"G\"GABc|\"F\"cBAG|\"C\"FEDC|\n")
    else:
        numerator, power = {"MIDI 4/2^30": (4, 30), "MIDI 4/2^255": (4, 255), "MIDI 64/1, one long chord": (64, 0)}[kind]
        path = tmp_path / "metre.mid"
        path.write_bytes(midi_with_metre(numerator, power, long_chord="chord" in kind))
    out = tmp_path / "out"
    before = snapshot(tmp_path)
    began = time.monotonic()
    result = run("--midi", path, "--epochs", 1, "--out", out / "my_music.midi", timeout=60)
    line = assert_one_line_error(result)
    assert str(path) in line and expected in line, line
    assert time.monotonic() - began < 30
    assert snapshot(tmp_path) == before


# ---------------------------------------------------------------------------------------------
# files whose size or shape would make reading them slow or huge: one line within seconds


def crafted_file(tmp_path, kind):
    if kind == "MIDI delta of 1 MB of 0xFF":
        events = b"\xff" * 1_000_000 + b"\x7f\x90\x3c\x50\x60\x80\x3c\x00\x00\xff\x2f\x00"
        path = tmp_path / "delta.mid"
        path.write_bytes(b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xe0" + b"MTrk"
                         + len(events).to_bytes(4, "big") + events)
    elif kind == "sparse 2 GB MIDI":
        path = tmp_path / "sparse.mid"
        with open(path, "wb") as file:
            file.write(midi_with_metre(4, 2))
            file.truncate(2 << 30)  # a hole: 4 kB on disk
    elif kind == ".mxl unpacking to 100 MB":
        import zipfile

        path = tmp_path / "bomb.mxl"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("META-INF/container.xml", '<container><rootfiles><rootfile full-path="score.xml"/>'
                                                      "</rootfiles></container>")
            archive.writestr("score.xml", b"<score-partwise>" + b" " * (100 << 20) + b"</score-partwise>")
    elif kind == "a text event running into the next track":
        first = midi_with_metre(4, 2)[14:-4] + b"\x00\xff\x01\x28short"  # 40 bytes said, 5 there
        first = first[:4] + (len(first) - 8).to_bytes(4, "big") + first[8:]
        path = tmp_path / "past.mid"
        path.write_bytes(b"MThd\x00\x00\x00\x06\x00\x01\x00\x02\x01\xe0" + first + midi_with_metre(4, 2)[14:])
    else:  # 1,001 two-bar tunes
        path = tmp_path / "tunes.abc"
        path.write_text("".join(f"X:{i}\nT:tune {i}\nM:4/4\nL:1/4\nK:C\nCDEF|GABc|\n\n" for i in range(1, 1002)))
    return path


@pytest.mark.parametrize("kind, expected", [
    ("MIDI delta of 1 MB of 0xFF", "not a readable MIDI file (a variable-length number longer than 4 bytes)"),
    ("sparse 2 GB MIDI", "2048.0 MB, larger than the 4 MB a piece's file may be"),
    (".mxl unpacking to 100 MB", "unpacks to more than the 64 MB a piece's file may be"),
    ("ABC of 1,001 tunes", "more than 1,000 tunes (at most 1,000 are read from one file)"),
    ("a text event running into the next track", "not a readable MIDI file (an event runs past the end of its track)"),
])
def test_a_file_too_large_or_too_slow_to_read_is_one_line_at_once(tmp_path, kind, expected):
    path = crafted_file(tmp_path, kind)
    out = tmp_path / "out"
    before = snapshot(tmp_path)
    result = run("--midi", path, "--epochs", 1, "--out", out / "my_music.midi", timeout=60)
    line = assert_one_line_error(result)
    assert line == f"lstm.py: error: {path}: {expected}"
    assert result.seconds < 15
    assert snapshot(tmp_path) == before


def test_a_folder_skips_what_is_not_a_file_everywhere(tmp_path, tune):
    """A pipe, a folder named like a piece, a loop of links and a link to nothing: each skipped
    with its cause, and never opened again (a pipe would hang the run)."""
    songs = tmp_path / "songs"
    songs.mkdir()
    shutil.copy(tune, songs / "ok.mid")
    os.mkfifo(songs / "pipe.mid")
    (songs / "folder.mid").mkdir()
    (songs / "self.mid").symlink_to("self.mid")
    (songs / "dangling.mid").symlink_to("nothing.mid")
    result = run("--midi", songs, "--epochs", 1, "--no-audio", "--out", tmp_path / "out" / "my_music.midi",
                 timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stderr.splitlines() == [
        f"skipped {songs / 'dangling.mid'}: a symbolic link to nothing",
        f"skipped {songs / 'folder.mid'}: a folder, not a file",
        f"skipped {songs / 'pipe.mid'}: a pipe, not a file",
        f"skipped {songs / 'self.mid'}: a loop of symbolic links",
        "read 1 of 5 files"]
    assert (tmp_path / "out" / "djmodel.weights.h5").is_file()


@pytest.mark.parametrize("what, make, expected", [
    ("folder", lambda path: path.mkdir(), "a folder, not a file"),
    ("pipe", lambda path: os.mkfifo(path), "a pipe, not a file"),
    ("link to /dev/zero", lambda path: path.symlink_to("/dev/zero"), "a device, not a file"),
])
def test_load_weights_that_are_not_a_file_name_the_cause(tmp_path, what, make, expected):
    weights = tmp_path / "djmodel.weights.h5"
    make(weights)
    result = run("--load-weights", weights, "--out", tmp_path / "out" / "my_music.midi", timeout=60)
    line = assert_one_line_error(result)
    assert line.startswith(f"lstm.py: error: --load-weights {weights}: {expected}; it takes ")


# ---------------------------------------------------------------------------------------------
# an ffmpeg that fails or hangs: the WAV stays, one note, the run completes


@pytest.mark.parametrize("behaviour, note", [
    ("sys.stderr.write(\"Unknown encoder 'libmp3lame'\\n\"); sys.exit(1)",
     "note: ffmpeg could not make the mp3 file (Unknown encoder 'libmp3lame'); the WAV file is kept"),
    ("import time; time.sleep(600)  # MARK",
     "note: ffmpeg did not finish the mp3 file within 10 s and was stopped; the WAV file is kept"),
    ("import subprocess; subprocess.run([sys.executable, '-c', 'import time; time.sleep(600)  # MARK'])",
     "note: ffmpeg did not finish the mp3 file within 10 s and was stopped; the WAV file is kept"),
], ids=["fails", "hangs", "its child hangs"])
def test_an_ffmpeg_that_fails_or_hangs_leaves_the_wav_and_a_note(tmp_path, world, behaviour, note):
    tools = tmp_path / "tools"
    tools.mkdir()
    mark = f"fake ffmpeg of {tmp_path}"
    (tools / "ffmpeg").write_text(f"#!{sys.executable}\nimport sys\n{behaviour.replace('MARK', mark)}\n")
    (tools / "ffmpeg").chmod(0o755)
    (world / "my_music.mp3").write_bytes(b"an earlier run's mp3")
    env = dict(ENV, PATH=f"{tools}{os.pathsep}{ENV.get('PATH', '')}")
    result = run("--epochs", 1, "--bars", 1, "--audio-format", "mp3", "--out", world / "my_music.midi", env=env)
    assert result.returncode == 0 and result.stderr == note + "\n", result.stderr[-3000:]
    assert result.seconds < 90
    running = []
    for command_line in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            running.append(command_line.read_bytes())
    assert not any(mark.encode() in command for command in running)  # the fake ffmpeg and its child are gone
    assert sorted(os.listdir(world)) == sorted(OUTPUTS)  # no mp3: neither this run's nor the earlier one


# ---------------------------------------------------------------------------------------------
# small things: what a person typed is quoted short; a notebook's LSTM_ARGS


def test_an_unknown_chord_symbol_of_120_kb_is_quoted_short(tmp_path, previous_run):
    result = run("--chords", "Xq" * 60_000, "--load-weights", previous_run / "djmodel.weights.h5",
                 "--out", tmp_path / "out" / "my_music.midi", timeout=60)
    line = assert_one_line_error(result)
    assert line == ("lstm.py: error: unknown chord symbol 'XqXqXqXqXqXqXqXqXqXqXqXqXqXqXqXqXqXqXqXq...' "
                    "(try e.g. C, Dm7, G7, Cmaj7, F#m7b5, Bb7, Ebmaj7)")


@pytest.mark.parametrize("option", ["--bars", "--section", "--windows", "--temperature"])
def test_a_long_bad_option_value_is_quoted_short(tmp_path, option):
    result = run(option, "9" * 5000 + "x", "--out", tmp_path / "out" / "my_music.midi", timeout=60)
    line = assert_one_line_error(result)
    assert option in line and len(line) < 200


def test_lstm_args_with_an_unbalanced_quote_is_one_line(monkeypatch, capsys):
    from jazz_improv import command_line

    monkeypatch.setattr(command_line, "in_notebook", lambda: True)
    monkeypatch.setenv("LSTM_ARGS", "--chords 'Dm7 G7")
    with pytest.raises(SystemExit) as stop:
        command_line.settings("__main__")
    assert stop.value.code == 2
    assert capsys.readouterr().err == "lstm.py: error: LSTM_ARGS: no closing quotation (see --help)\n"


# ---------------------------------------------------------------------------------------------
# a second hostile round: numbers hidden from a plain scan, ABC notes too long, N.C. alone, NaN
# weights


def musicxml_beats(tmp_path, spelling, encoding="utf-8"):
    path = musicxml_with(tmp_path, r"<beats>\d+</beats>", spelling)
    path.write_bytes(path.read_text().encode(encoding))
    return path


@pytest.mark.parametrize("kind, make, expected", [
    ("spaces in the tags", lambda p: musicxml_beats(p, "<beats >1000000</beats >"), "beats of 1000000"),
    ("a comment inside", lambda p: musicxml_beats(p, "<beats><!-- -->1000000</beats>"), "beats of 1000000"),
    ("a character reference", lambda p: musicxml_beats(p, "<beats>&#49;000000</beats>"), "beats of 1000000"),
    ("UTF-16", lambda p: musicxml_beats(p, "<beats>1000000</beats>", "utf-16"), "beats of 1000000"),
    ("ABC note of 99999999 units", lambda p: abc_tune(p, '"C"C99999999|'),
     "a note of 99999999 units (5e+07 quarter notes; at most 16 are read)"),
    ("ABC notes of 32 quarters", lambda p: abc_tune(p, '"C"C64 C64 C64|' * 2000),
     "a note of 64 units (32 quarter notes; at most 16 are read)"),
    ("MIDI of 5 MB", lambda p: big_midi(p), "5.0 MB, larger than the 4 MB a piece's file may be"),
    ("divisions 0", lambda p: musicxml_with(p, r"<divisions>\d+</divisions>", "<divisions>0</divisions>"),
     "divisions of a quarter note of 0 (a quarter note needs at least 1)"),
    ("an infinite duration", lambda p: musicxml_with(p, r"<duration>\d+</duration>", "<duration>inf</duration>", 1),
     "a duration of inf (at most 1,099,511,627,776 are read)"),
    ("a duration that is not a number", lambda p: musicxml_with(p, r"<duration>\d+</duration>",
                                                                "<duration>nan</duration>", 1),
     "a duration of nan (at most 1,099,511,627,776 are read)"),
    ("2,000,000 comments left open", lambda p: xml_of(p, b"<!--" * 2_000_000), "not a readable MIDI, MusicXML or ABC"),
    ("ABC of 500 voices", lambda p: abc_tune(p, "".join(f"[V:{v}] CDEF|\n" for v in range(500))),
     "500 voices (at most 32 are read)"),
    ("ABC of 3,000 metre changes", lambda p: abc_tune(p, "".join(f"[M:{1 + b % 12}/4]CDEF|" for b in range(3000))),
     "3,001 metre fields (at most 256 are read)"),
])
def test_numbers_hidden_from_a_plain_scan_are_one_line_at_once(tmp_path, kind, make, expected):
    path = make(tmp_path)
    before = snapshot(tmp_path)
    result = run("--midi", path, "--epochs", 1, "--out", tmp_path / "out" / "my_music.midi", timeout=60)
    line = assert_one_line_error(result)
    assert line.startswith(f"lstm.py: error: {path}: ") and expected in line, line
    assert result.seconds < 15
    assert snapshot(tmp_path) == before


def xml_of(tmp_path, data):
    path = tmp_path / "open.musicxml"
    path.write_bytes(data)
    return path


def abc_tune(tmp_path, body):
    path = tmp_path / "tune.abc"
    path.write_text(f"X:1\nT:long\nM:4/4\nL:1/8\nK:C\n{body}\n")
    return path


def big_midi(tmp_path):
    path = tmp_path / "big.mid"
    events = b"\x00\x90\x3c\x40" + b"\x01\x3c\x40\x01\x3c\x00" * ((5 << 20) // 6) + b"\x00\xff\x2f\x00"
    path.write_bytes(b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xe0" + b"MTrk" + len(events).to_bytes(4, "big") + events)
    return path


def test_no_chord_but_nc_is_one_line(tmp_path, previous_run):
    result = run("--chords", "N.C. | N.C.", "--load-weights", previous_run / "djmodel.weights.h5",
                 "--out", tmp_path / "out" / "my_music.midi", timeout=60)
    assert assert_one_line_error(result) == ("lstm.py: error: --chords 'N.C. | N.C.': no chord sounds in it "
                                             "(N.C. alone); give at least one chord")
    assert not (tmp_path / "out").exists()


def test_weights_that_are_not_numbers_are_refused(tmp_path, previous_run):
    import h5py

    model = tmp_path / "model"
    shutil.copytree(previous_run, model)
    import numpy as np

    def poison(name, item):
        if isinstance(item, h5py.Dataset) and item.dtype.kind == "f":
            item[...] = np.full(item.shape, np.nan, item.dtype)

    with h5py.File(model / "djmodel.weights.h5", "r+") as weights:
        weights.visititems(poison)
    result = run("--load-weights", model / "djmodel.weights.h5", "--no-audio",
                 "--out", tmp_path / "out" / "my_music.midi", timeout=120)
    line = assert_one_line_error(result)
    assert line == (f"lstm.py: error: {model / 'djmodel.weights.h5'}: holds weights that are not numbers "
                    "(NaN or infinite); train again, or load weights saved by a run that finished")
