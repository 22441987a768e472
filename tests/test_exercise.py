"""The exercise notebook: made from lstm.py by its command, blanks where the graded code was,
a checker after each graded function; executed as made, it stops at the first checker."""

import json
import shutil
import subprocess
import sys

from conftest import ENV, ROOT

GRADED = ("djmodel", "music_inference_model", "predict_and_sample")


def make_exercise(cwd, *args):
    return subprocess.run([sys.executable, "-m", "jazz_improv.exercise", *args], cwd=cwd,
                          env=dict(ENV, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=120)


def code_cells(path):
    return ["".join(cell["source"]) for cell in json.loads(path.read_text())["cells"]
            if cell["cell_type"] == "code"]


def test_the_command_blanks_the_graded_code_and_adds_the_checkers(tmp_path):
    result = make_exercise(ROOT, "--out", str(tmp_path / "exercise.ipynb"))
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert result.stdout == f"Exercise notebook written to {tmp_path / 'exercise.ipynb'}\n"
    assert "jupytext" not in json.loads((tmp_path / "exercise.ipynb").read_text())["metadata"]  # unpaired
    cells = code_cells(tmp_path / "exercise.ipynb")
    solution = (ROOT / "lstm.py").read_text()
    for name in GRADED:
        (graded,) = [cell for cell in cells if f"def {name}(" in cell]
        block = graded.split("### START CODE HERE ###")[1].split("### END CODE HERE ###")[0]
        code = [line.strip() for line in block.splitlines() if line.strip() and not line.strip().startswith("#")]
        assert code and all(line == "None" or line.endswith(" = None") or line.endswith(":") for line in code)
        assert "None" not in solution.split(f"def {name}(")[1].split("### END CODE HERE ###")[0].split(
            "### START CODE HERE ###")[1]  # the blanks are the exercise's, not lstm.py's
        checker = cells[cells.index(graded) + 1]
        assert checker.strip().endswith(f"{name}_test({name})")
    # everything else is lstm.py's, cell for cell
    assert sum(cell in solution for cell in cells) == len(cells) - 2 * len(GRADED)


def test_executed_as_made_it_stops_at_the_first_checker_with_one_sentence(tmp_path, corpus_path):
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    project = tmp_path / "project"
    shutil.copytree(ROOT, project, ignore=shutil.ignore_patterns(
        ".git", "output", "__pycache__", ".pytest_cache", "*.ipynb", ".cache"))
    assert make_exercise(project).returncode == 0
    notebook = nbformat.read(project / "exercise.ipynb", as_version=4)
    client = NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(project)}})
    try:
        client.execute()
        raise AssertionError("the exercise ran through with its blanks")
    except CellExecutionError as stopped:
        error = stopped
    assert error.ename == "ExerciseError"
    assert error.evalue == ("djmodel: `outputs = None` is still a blank: write the code between "
                            "### START CODE HERE ### and ### END CODE HERE ###")
    ran = [cell for cell in notebook.cells if cell.cell_type == "code" and cell.get("execution_count")]
    assert ran[-1].source.strip().endswith("djmodel_test(djmodel)")
    (shown,) = [output for output in ran[-1].outputs if output.output_type == "error"]
    assert shown.traceback == [f"ExerciseError: {error.evalue}"]  # one line, no traceback


def test_an_output_path_it_cannot_write_is_one_line(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    result = make_exercise(ROOT, "--out", str(tmp_path / "file" / "exercise.ipynb"))
    assert result.returncode == 2 and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and "file/exercise.ipynb" in result.stderr, result.stderr


def test_an_out_that_is_no_file_name_is_one_line(tmp_path):
    for out in ("", str(tmp_path), f"{tmp_path}/"):
        result = make_exercise(ROOT, "--out", out)
        assert result.returncode == 2 and result.stdout == "", result.stderr
        assert result.stderr.splitlines() == [
            f"python -m jazz_improv.exercise: error: --out {out!r}: give a file name, such as exercise.ipynb"]
    assert list(tmp_path.iterdir()) == []
