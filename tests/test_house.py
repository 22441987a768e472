"""The house: the course's six modules on top, everything else in one package that never calls
back up, nothing POSIX-only imported at module level, and a run that reads each thing once."""

import ast
import re
import shutil

from conftest import ROOT

COURSE_MODULES = {"lstm", "data_utils", "music_utils", "preprocess", "grammar", "qa"}
PACKAGE = ROOT / "jazz_improv"
POSIX_ONLY = {"fcntl", "resource", "pwd", "grp", "termios", "tty", "pty", "posix"}


def imported_modules(path, top_level_only=False):
    """The modules a file imports (first component of each name), all or only at module level."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else ast.walk(tree)
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_the_top_level_holds_the_course_modules_and_one_package():
    assert {p.stem for p in ROOT.glob("*.py")} == COURSE_MODULES
    packages = [p for p in ROOT.iterdir() if (p / "__init__.py").is_file()]
    assert packages == [PACKAGE]


def test_the_package_never_imports_the_course_modules():
    """Data flows down: the course's modules call the package, never the other way."""
    for module in PACKAGE.glob("*.py"):
        assert not imported_modules(module) & COURSE_MODULES, module.name


def test_no_posix_only_module_is_imported_at_module_level():
    for module in [*ROOT.glob("*.py"), *PACKAGE.glob("*.py")]:
        assert not imported_modules(module, top_level_only=True) & POSIX_ONLY, module.name


def test_a_run_hashes_its_corpus_once_and_builds_its_measures_once(tmp_path, corpus_path, monkeypatch):
    """From corpus_file (which checks the download's sha256) through load_solo, the training windows
    and the saved vocabulary: one sha256 of the file, one set of music21 measures, with the
    cache cold and warm."""
    import data_utils
    from jazz_improv import corpus, course_preset, safe_files, saved_model

    hashed, built = [], []
    hash_file = safe_files.hash_file
    build_measures = course_preset.measures_and_chords

    def counting_hash(path):
        hashed.append(path)
        return hash_file(path)

    def counting_measures(*args):
        built.append(args)
        return build_measures(*args)

    monkeypatch.setattr(safe_files, "hash_file", counting_hash)
    monkeypatch.setattr(course_preset, "measures_and_chords", counting_measures)
    monkeypatch.setattr(corpus, "CORPUS_PATH", tmp_path / "original_metheny.mid")
    shutil.copy(corpus_path, corpus.CORPUS_PATH)
    for cache in ("cold", "warm"):
        hashed.clear(), built.clear(), safe_files._sha256.cache_clear()  # a new run
        midi_path = corpus.corpus_file()
        solo = corpus.load_solo(midi_path, cache_dir=tmp_path / "cache")
        _, _, _, indices_values = data_utils.load_music_utils(midi_path, solo=solo)
        saved_model.save_vocabulary(tmp_path / "vocabulary.json", indices_values, solo.register,
                                    solo.pitch_classes, solo.digests)
        assert len(hashed) == 1, cache
        assert len(built) == 1, cache
    assert saved_model.load_vocabulary(tmp_path / "vocabulary.json")[0] == indices_values


def test_readme_lays_out_every_module_there_is():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## How it is laid out", 1)[1].split("\n## ", 1)[0]
    listed = {cell for cell in re.findall(r"^\| `([^`]+\.py)` \|", section, flags=re.MULTILINE)}
    modules = {p.relative_to(ROOT).as_posix() for folder in (ROOT, PACKAGE, ROOT / "bench")
               for p in folder.glob("*.py") if p.name != "__init__.py"}
    assert listed == modules
