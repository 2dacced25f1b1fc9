"""`posestudio bench` writes the numbers it prints (tests never assert times)."""

from __future__ import annotations

import json

from posestudio.cli import main


def test_bench_puppet_writes_json(tmp_path, capsys):
    out = tmp_path / "b.json"
    assert main(["bench", "--size", "96x64", "--runs", "2", "--warmup", "0", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["model"] == "puppet" and data["size"] == [96, 64]
    assert data["latency_ms_p50"] > 0 and data["latency_ms_p95"] >= data["latency_ms_p50"] * 0.999
    assert "p50" in capsys.readouterr().out


def test_bench_an_edit_writes_the_same_row_as_every_bench(tmp_path):
    out = tmp_path / "e.json"
    assert main(["bench", "--edit", "garment", "--size", "128x96", "--runs", "3", "--warmup", "0",
                 "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["model"] == "puppet:garment" and data["size"] == [128, 96] and data["runs"] == 3
    assert data["latency_ms_min"] <= data["latency_ms_p50"] <= data["latency_ms_p95"]


def test_bench_an_arch_with_random_weights_on_both_backends(tmp_path):
    for be in ("torch", "onnx"):
        out = tmp_path / f"{be}.json"
        args = [
            "bench",
            "--arch",
            "pona",
            "--preset",
            "tiny",
            "--backend",
            be,
            "--runs",
            "2",
            "--warmup",
            "0",
        ]
        assert main([*args, "--json", str(out)]) == 0
        data = json.loads(out.read_text())
        assert data["backend"] == be and data["flops_per_frame"] > 0 and data["throughput_fps"] > 0


def test_live_preview_rows_time_one_joint_move(tmp_path, capsys):
    out = tmp_path / "live.json"
    assert main(["bench", "--live-preview", "--size", "96,128", "--runs", "2", "--warmup", "0", "--json", str(out)]) == 0
    rows = json.loads(out.read_text())
    assert [r["size"] for r in rows] == [[96, 96], [128, 128]]
    for r in rows:
        assert r["scenario"] == "live-preview" and r["latency_ms_p50"] > 0
        # per-source preparation (matte, parts, background) is timed apart from the update
        assert r["prepare_ms"] > 0 and r["update_includes_prepare"] is False
    assert "live preview" in capsys.readouterr().out


def test_the_weight_free_path_never_imports_torch(tmp_path):
    """A fresh `posestudio generate --model puppet` process, as a first click on a cold app runs it."""
    import sys

    from posestudio.engine import bench

    mods = bench.imported_modules(bench.generate_command(tmp_path, 96, "puppet"))
    assert (tmp_path / "out.png").is_file()
    assert {"posestudio", "numpy", "cv2"} <= mods  # the report sees what the command imports
    assert "torch" not in mods
    assert "torch" in bench.imported_modules([sys.executable, "-c", "import torch"])


def test_cold_start_row(tmp_path):
    out = tmp_path / "cold.json"
    assert main(["bench", "--cold-start", "--size", "64", "--runs", "1", "--json", str(out)]) == 0
    (row,) = json.loads(out.read_text())
    assert row["scenario"] == "cold-start" and row["imports_torch"] is False and row["latency_ms_p50"] > 0
