"""README is true: its printed excerpt is a real run's output, its sections appear once."""

import re

from conftest import ROOT

README = (ROOT / "README.md").read_text()


def readme_block_after(heading):
    section = README.split(heading, 1)[1]
    return re.search(r"```\n(.*?)```", section, flags=re.DOTALL).group(1).splitlines()


def test_what_a_run_prints_is_a_real_run(default_run):
    """Every line of the excerpt appears in the default run's output, in the same order."""
    result, out = default_run
    printed = result.stdout.replace(f"{out.parent}/", "output/").splitlines()
    position = 0
    for line in readme_block_after("## What a run prints"):
        if line == "...":
            continue
        assert line in printed[position:], f"README line not printed (in this order): {line!r}"
        position = printed.index(line, position) + 1


def test_each_section_once():
    prose = re.sub(r"```.*?```", "", README, flags=re.DOTALL)
    headings = re.findall(r"^#+ .*$", prose, flags=re.MULTILINE)
    assert len(headings) == len(set(headings))
