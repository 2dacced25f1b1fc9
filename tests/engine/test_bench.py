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
