"""`posestudio models check` and the archs table."""

from __future__ import annotations

import json

import pytest

from posestudio.cli import main
from posestudio.commands.models_archs import archs_table, check


def test_check_prints_one_json_object(capsys):
    assert main(["models", "check", "pona", "--preset", "tiny"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    d = json.loads(out[0])
    assert d["arch"] == "pona" and d["preset"] == "tiny"
    assert d["parameters"] == 206_646
    assert d["flops_per_frame"] > 1e7
    assert d["output_shape"] == [1, 3, 32, 24]
    lo, hi = d["output_range"]
    assert -1 <= lo < hi <= 1
    assert "onnx_max_abs_diff" not in d


def test_check_with_onnx(capsys):
    assert main(["models", "check", "pona", "--preset", "tiny", "--onnx"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["onnx_max_abs_diff"] < 1e-3
    assert set(d["onnx_max_abs_diff_by_output"]) == set(d["outputs"])


def test_unknown_arch_is_a_one_line_error(capsys):
    assert main(["models", "check", "nope"]) == 2
    err = capsys.readouterr().err.strip()
    assert "nope" in err and len(err.splitlines()) == 1


def test_unknown_preset_is_a_one_line_error(capsys):
    assert main(["models", "check", "pona", "--preset", "huge"]) == 2
    assert "huge" in capsys.readouterr().err


@pytest.mark.parametrize("arch", ["spt-parsing", "spt-appearance", "scmnet", "scmnet-face"])
def test_check_works_for_the_other_archs(arch):
    try:
        d = check(arch, "tiny")
    except ModuleNotFoundError:
        pytest.skip(f"{arch} is not written yet")
    assert d["parameters"] > 0 and d["finite"]
    assert d["output_shape"][0] == 1


def test_archs_table_lists_every_arch_with_preset_sizes():
    rows = {r["arch"]: r for r in archs_table()}
    assert {"pona", "structflow", "attnflow"} <= set(rows)
    assert rows["pona"]["presets"]["full"]["parameters"] == 34_329_356
    assert rows["pona"]["tasks"] == ["pose"]
    for name in ("pona", "structflow", "attnflow"):
        r = rows[name]
        assert set(r["presets"]) >= {"full", "small", "tiny"}
        assert r["outputs"][0] == "image"
        assert r["presets"]["full"]["parameters"] > r["presets"]["tiny"]["parameters"]
