"""matplotlib's stored font list: copied into a run's empty cache, so the run never builds its own."""

import ast

import pytest
from image_interpreter import CLASSIFIER_DIR, run_as_in_the_image

from fbcsp.font_list import FONT_LIST_VARIABLE, main, seed_font_cache

pytestmark = pytest.mark.classifier

# What matplotlib logs (INFO, matplotlib.font_manager) when it builds the list from the font files.
BUILT_MESSAGE = "generated new fontManager"
IMPORT_THE_FIGURES_LOGGING_MATPLOTLIB = (
    "import logging; logging.basicConfig(level=logging.INFO); "
    "from fbcsp.figure_layout import Figure; from matplotlib import font_manager; "
    "assert font_manager.fontManager.ttflist"
)


@pytest.fixture(scope="module")
def stored_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stored-fonts")
    assert main([str(folder)]) == 0
    return folder


def test_the_build_stores_matplotlibs_list_under_its_own_name(stored_folder):
    from matplotlib.font_manager import FontManager

    assert [path.name for path in stored_folder.iterdir()] == [f"fontlist-v{FontManager.__version__}.json"]


def test_seeding_copies_what_the_cache_lacks_and_keeps_what_it_has(stored_folder, tmp_path):
    stored_name = next(stored_folder.iterdir()).name
    fresh, kept = tmp_path / "fresh", tmp_path / "kept"
    fresh.mkdir()
    kept.mkdir()
    (kept / stored_name).write_text("the run's own list")

    assert seed_font_cache(stored_folder, fresh) == [fresh / stored_name]
    assert (fresh / stored_name).read_bytes() == (stored_folder / stored_name).read_bytes()
    assert seed_font_cache(stored_folder, kept) == []
    assert (kept / stored_name).read_text() == "the run's own list"


def test_a_copy_that_fails_leaves_matplotlib_to_build_its_own_list(stored_folder, tmp_path):
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("")

    assert seed_font_cache(stored_folder, not_a_folder) == []
    assert seed_font_cache(stored_folder, tmp_path / "no-such-folder") == []
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a-file"]


@pytest.mark.parametrize("stored", [None, ""])
def test_without_a_stored_folder_nothing_is_copied(stored, tmp_path):
    assert seed_font_cache(stored, tmp_path) == []
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_a_run_with_an_empty_cache_uses_the_stored_list_instead_of_building_one(stored_folder, tmp_path):
    seeded_cache, unseeded_cache = tmp_path / "seeded", tmp_path / "unseeded"
    seeded = run_as_in_the_image(
        ["-c", IMPORT_THE_FIGURES_LOGGING_MATPLOTLIB],
        {"MPLCONFIGDIR": str(seeded_cache), FONT_LIST_VARIABLE: str(stored_folder)},
    )
    unseeded = run_as_in_the_image(["-c", IMPORT_THE_FIGURES_LOGGING_MATPLOTLIB], {"MPLCONFIGDIR": str(unseeded_cache)})

    assert seeded.returncode == 0, seeded.stderr
    assert BUILT_MESSAGE not in seeded.stderr
    assert unseeded.returncode == 0, unseeded.stderr
    assert BUILT_MESSAGE in unseeded.stderr  # the control: an empty cache without the stored list builds one


def test_only_figure_layout_imports_matplotlib_so_the_list_is_in_place_first():
    importers = set()
    for source in (CLASSIFIER_DIR / "fbcsp").glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            if any(name.split(".")[0] == "matplotlib" for name in names):
                importers.add(source.name)
    assert importers == {"figure_layout.py"}


def test_the_image_stores_the_list_where_its_runs_read_it():
    dockerfile = (CLASSIFIER_DIR / "Dockerfile").read_text()
    stored_at = dockerfile.split(f"{FONT_LIST_VARIABLE}=", 1)[1].split()[0]

    assert f"python -m fbcsp.font_list {stored_at}" in dockerfile


def test_the_command_wants_one_folder(capsys):
    assert main([]) == 2
    assert "usage: python -m fbcsp.font_list FOLDER" in capsys.readouterr().err
