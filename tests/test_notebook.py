"""The notebook route, exactly as README gives it, plays the same music as the script."""

import json
import re
import shlex
import shutil
import subprocess

from conftest import ENV, ROOT

README = (ROOT / "README.md").read_text()


def readme_notebook_command():
    """The one command README gives to make the notebook (in the "As a notebook" section)."""
    section = README.split("## As a notebook", 1)[1].split("\n## ", 1)[0]
    (command,) = re.findall(r"^jupytext .*$", section, flags=re.MULTILINE)
    return command


def test_readme_notebook_command_executes_and_matches_the_script(tmp_path, request):
    project = tmp_path / "project"
    shutil.copytree(ROOT, project, ignore=shutil.ignore_patterns(
        ".git", "output", "__pycache__", ".pytest_cache", "*.ipynb"))
    result = subprocess.run(shlex.split(readme_notebook_command()), cwd=project, env=ENV,
                            capture_output=True, text=True, timeout=400)
    assert result.returncode == 0, result.stderr[-3000:]
    notebook = json.loads((project / "lstm.ipynb").read_text())
    code_cells = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert code_cells and all(cell["execution_count"] for cell in code_cells)
    outputs = [o for cell in code_cells for o in cell["outputs"]]
    assert not any(o["output_type"] == "error" for o in outputs)
    text = "".join("".join(o.get("text", "")) for o in outputs)
    assert "shape of X: (60, 30, 78)" in text
    kinds = {key for o in outputs if o["output_type"] == "display_data" for key in o["data"]}
    assert "image/png" in kinds and "text/html" in kinds  # pictures inline, audio players
    # the notebook and the script, same options, same seed: the same music, byte for byte
    # (the script's run is asked for only now, so that another test process may make it meanwhile)
    _, script_midi = request.getfixturevalue("default_run")
    assert (project / "output" / "my_music.midi").read_bytes() == script_midi.read_bytes()
