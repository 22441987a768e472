"""The exercise notebook, made from lstm.py: the graded functions left for the learner to write.

    python -m jazz_improv.exercise                # writes exercise.ipynb
    python -m jazz_improv.exercise --out PATH

lstm.py is the one source. In each graded function (djmodel, music_inference_model,
predict_and_sample) every line of code between `### START CODE HERE ###` and
`### END CODE HERE ###` becomes a blank, as in the course: `x = None` for an assignment, `None` for
a call; loop headers and comments stay. After each such function a cell calls its checker
(jazz_improv/exercise_checks.py), which prints "All tests passed" or one sentence on what to fix.
"""

import argparse
import ast
import re
import sys
from pathlib import Path

START, END = "### START CODE HERE ###", "### END CODE HERE ###"
SOURCE = Path(__file__).resolve().parent.parent / "lstm.py"
INTRODUCTION = f"""**The exercise.** This is `lstm.py` with its three graded functions, `djmodel`,
`music_inference_model` and `predict_and_sample`, left for you to write. Replace each `None`
between `{START}` and `{END}` with your code, run the cell, then run the checker below
it: it prints "All tests passed", or says in one sentence what to change. `lstm.py` holds the
solution."""


def blank_out(line):
    """The exercise's version of one line of solution code (comments and loop headers stay)."""
    code = line.strip()
    if not code or code.startswith("#") or code.endswith(":"):
        return line
    indent = line[:len(line) - len(line.lstrip())]
    statement = ast.parse(code).body[0]
    if isinstance(statement, ast.Assign):
        return f"{indent}{ast.get_source_segment(code, statement.targets[0])} = None"
    return f"{indent}None"


def blanked(source):
    """A cell's source with the code between START CODE HERE and END CODE HERE blanked out."""
    lines, inside = [], False
    for line in source.split("\n"):
        if START in line or END in line:
            inside = START in line
            lines.append(line)
        else:
            lines.append(blank_out(line) if inside else line)
    return "\n".join(lines)


def exercise_notebook(source_text):
    """The exercise notebook (an nbformat notebook) made from lstm.py's text."""
    import jupytext
    import nbformat

    notebook = jupytext.reads(source_text, fmt="py:percent")
    cells = []
    for cell in notebook.cells:
        if cell.cell_type != "code" or START not in cell.source:
            cells.append(cell)
            continue
        name = re.search(r"^def (\w+)\(", cell.source, flags=re.MULTILINE).group(1)
        cells.append(nbformat.v4.new_code_cell(blanked(cell.source)))
        cells.append(nbformat.v4.new_code_cell(
            f"from jazz_improv.exercise_checks import {name}_test\n\n{name}_test({name})"))
    title = next(index for index, cell in enumerate(cells) if cell.cell_type == "markdown")
    cells.insert(title + 1, nbformat.v4.new_markdown_cell(INTRODUCTION))
    notebook.cells = cells
    notebook.metadata.pop("jupytext", None)  # not paired with a script: lstm.py is the only source
    return notebook


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m jazz_improv.exercise",
        description="Write the exercise notebook: lstm.py with its graded functions left to write.")
    parser.add_argument("--out", default="exercise.ipynb", help="where to write it (default: exercise.ipynb)")
    args = parser.parse_args(argv)
    if not args.out or args.out.endswith(("/", "\\")) or Path(args.out).is_dir():
        parser.exit(2, f"{parser.prog}: error: --out {args.out!r}: give a file name, such as exercise.ipynb\n")
    import nbformat

    from jazz_improv.console import describe
    from jazz_improv.safe_files import write_atomically

    try:
        notebook = exercise_notebook(SOURCE.read_text(encoding="utf-8"))
        write_atomically(args.out, lambda temporary: nbformat.write(notebook, str(temporary)))
    except OSError as error:
        parser.exit(2, f"{parser.prog}: error: {describe(error)}\n")
    except KeyboardInterrupt:
        parser.exit(130, f"{parser.prog}: error: interrupted\n")
    print(f"Exercise notebook written to {args.out}")


if __name__ == "__main__":
    sys.exit(main())
