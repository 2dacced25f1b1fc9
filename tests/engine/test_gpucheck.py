"""`make gpu-check`'s script in its CI form (--cpu --short): it measures what this machine has and
reports the GPU runtimes as not available instead of failing."""

from __future__ import annotations

import json

from posestudio.engine import gpucheck


def test_cpu_short_run_writes_json_and_a_table(tmp_path, capsys):
    assert gpucheck.main(["--cpu", "--short", "--out", str(tmp_path)]) == 0
    res = json.loads((tmp_path / "gpu-check.json").read_text())
    assert res["device"] == "cpu" and res["model"]["arch"] == "pona"
    rows = {r["row"]: r for r in res["rows"]}
    measured = [r for r in rows.values() if r["available"]]
    assert {r["row"].split(" ", 3)[-1] for r in measured} >= {"torch fp32 (CPU)", "onnx-cpu fp32"}
    assert any(r["row"].startswith("weight-free engine") for r in measured)
    for r in measured:
        assert r["latency_ms_p50"] > 0 and r["throughput_fps"] > 0
    missing = [r for r in rows.values() if not r["available"]]
    assert {r["row"].split(" ", 3)[-1] for r in missing} == {"torch fp16 channels-last", "onnx-cuda fp16",
                                                           "onnx-tensorrt fp16"}  # fmt: skip
    assert all(r["note"].startswith("not available") for r in missing)
    md = (tmp_path / "gpu-check.md").read_text()
    assert md.count("\n|") == len(rows) + 2 and "not available" in md  # header, rule, rows
    assert "| row |" in capsys.readouterr().out


def test_a_spent_budget_skips_rows_instead_of_running_past_it(tmp_path):
    res = gpucheck.run_check(cpu=True, short=True, budget_s=0.0)
    assert res["rows"] and all(not r["available"] for r in res["rows"])
    assert any("budget" in r["note"] for r in res["rows"])
