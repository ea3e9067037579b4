"""The online tree of classifier.json against the original pipeline's own export: same keys in the same order,
nesting, JSON types and entry shapes."""

import json

import pytest

from fbcsp.export import online_tree, to_json_bytes

pytestmark = pytest.mark.classifier


#: Lists whose length depends on the recording or the model (channels, filters, K), by key.
DATA_SIZED_LISTS = {"validChIDs", "filters_used", "a1N", "out_usedFeatureIDs"}


def structural_differences(ours, original, path="online", sized=False) -> list[str]:
    """Where two JSON trees differ in keys (and their order), nesting, JSON types or entry shapes.

    Numbers must agree in kind (integer or not) wherever the original writes a whole number as an
    integer; list lengths must agree except under `DATA_SIZED_LISTS`, whose entries are compared
    entry by entry for type.
    """
    if isinstance(original, dict):
        if not isinstance(ours, dict):
            return [f"{path}: object expected, got {type(ours).__name__}"]
        if list(ours) != list(original):
            return [f"{path}: keys {list(ours)} differ from the original's {list(original)}"]
        return [
            difference
            for key in original
            for difference in structural_differences(
                ours[key], original[key], f"{path}.{key}", sized or key in DATA_SIZED_LISTS
            )
        ]
    if isinstance(original, list):
        if not isinstance(ours, list):
            return [f"{path}: array expected, got {type(ours).__name__}"]
        if not sized and len(ours) != len(original):
            return [f"{path}: {len(ours)} entries, the original has {len(original)}"]
        if sized and original and ours:
            return [
                d
                for index, entry in enumerate(ours)
                for d in structural_differences(entry, original[0], f"{path}[{index}]", True)
            ]
        return [
            difference
            for index, (mine, theirs) in enumerate(zip(ours, original, strict=False))
            for difference in structural_differences(mine, theirs, f"{path}[{index}]", sized)
        ]
    if isinstance(original, bool) or isinstance(ours, bool):
        return [] if type(ours) is type(original) else [f"{path}: {ours!r} vs the original's {original!r}"]
    if isinstance(original, int | float):
        if not isinstance(ours, int | float):
            return [f"{path}: number expected, got {type(ours).__name__}"]
        if isinstance(original, int) and not sized and not isinstance(ours, int):
            return [f"{path}: the original writes an integer, ours is {ours!r}"]
        return []
    return (
        []
        if type(ours) is type(original)
        else [f"{path}: {type(ours).__name__} vs {type(original).__name__}"]
    )


@pytest.mark.parametrize("mode", ["default", "original"])
def test_online_tree_has_the_structure_of_the_original_export(
    mode, trained_sample, trained_sample_original, original_online_export
):
    result = trained_sample if mode == "default" else trained_sample_original
    ours = json.loads(to_json_bytes(online_tree(result)))

    assert structural_differences(ours, original_online_export["online"]) == []


def test_structural_comparison_finds_the_old_export_defects(trained_sample, original_online_export):
    ours = json.loads(to_json_bytes(online_tree(trained_sample)))
    ours["p"]["EEG"]["bandPass"]["band"][6] = []
    ours["p"]["EEG"]["rec"]["sr"] = 160.0

    differences = structural_differences(ours, original_online_export["online"])

    assert differences == [
        "online.p.EEG.rec.sr: the original writes an integer, ours is 160.0",
        "online.p.EEG.bandPass.band[6]: object expected, got list",
    ]
