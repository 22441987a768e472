"""lstm.py converts to a notebook that runs top to bottom in a Jupyter kernel."""

import os
import subprocess
import sys

import nbformat
from nbclient import NotebookClient

from conftest import ROOT


def test_notebook_executes_end_to_end(tmp_path, corpus_path):
    notebook_path = tmp_path / "lstm.ipynb"
    subprocess.run([sys.executable, "-m", "jupytext", "--to", "ipynb", "-o", str(notebook_path),
                    str(ROOT / "lstm.py")], check=True, capture_output=True)
    notebook = nbformat.read(notebook_path, as_version=4)
    out = tmp_path / "nb" / "music.midi"
    os.environ["LSTM_ARGS"] = f"--epochs 2 --out {out}"
    try:
        NotebookClient(notebook, timeout=240, kernel_name="python3",
                       resources={"metadata": {"path": str(ROOT)}}).execute()
    finally:
        del os.environ["LSTM_ARGS"]
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code_cells and all(cell.execution_count for cell in code_cells)
    assert not any(o.output_type == "error" for cell in code_cells for o in cell.outputs)
    text = "".join(o.get("text", "") for cell in code_cells for o in cell.outputs)
    assert "shape of X: (60, 30, 78)" in text
    rich = [o for cell in code_cells for o in cell.outputs if o.output_type == "display_data"]
    kinds = {key for o in rich for key in o.data}
    assert "image/png" in kinds and "text/html" in kinds  # pictures inline, audio players
    assert out.exists() and out.with_suffix(".wav").exists()
