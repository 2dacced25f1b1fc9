"""`make gpu-check` / ``python -m posestudio.engine.gpucheck``: what a GPU machine gives us.

Measures, for PoNA at ngf 64 (the ``full`` preset, 256x176, random weights: speed does
not depend on the values) latency at batch 1 and throughput at a larger batch on

- torch, fp16 + channels-last (the torch backend's CUDA path),
- ONNX Runtime with the CUDA provider and with the TensorRT provider (fp16 export),

and the weight-free engine's update after one joint move at 1024x1024 (CPU, as the app
runs it). Writes one JSON and a markdown table. A provider or device that is missing or
cannot start is a row saying "not available: why", never a crash. ``--cpu --short`` is
the same script, tiny and on the CPU (torch fp32, ONNX Runtime CPU), which CI runs.
Meant to finish in under 8 minutes on one GPU; rows past ``--budget-s`` are skipped.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

FULL = {"preset": "full", "batch": 16, "runs": 30, "warmup": 5, "engine_size": 1024, "engine_runs": 10}
SHORT = {"preset": "tiny", "batch": 2, "runs": 3, "warmup": 2, "engine_size": 128, "engine_runs": 2}
GPU_PROVIDERS = (("onnx-cuda", "CUDAExecutionProvider"), ("onnx-tensorrt", "TensorrtExecutionProvider"))


def _cuda_available() -> bool:
    try:
        import torch

        return bool(torch.cuda.is_available())
    except ImportError:
        return False


def _row(name: str, res: dict | None = None, why: str | None = None) -> dict:
    if res is None:
        return {"row": name, "available": False, "note": f"not available: {why}"}
    keep = ("device", "batch", "size", "latency_ms_p50", "latency_ms_p95", "throughput_fps", "providers",
            "flops_per_frame", "peak_cuda_mb", "warnings")  # fmt: skip
    return {"row": name, "available": True, **{k: res[k] for k in keep if k in res}, "note": why or ""}


def _latency_and_throughput(bench_fn, batch: int) -> dict:
    """One row from two runs of ``bench_fn(batch)``: latency at batch 1, throughput at ``batch``."""
    one = bench_fn(1)
    many = bench_fn(batch)
    return {**one, "batch": batch, "throughput_fps": many["throughput_fps"],
            "latency_ms_p50_batch": many["latency_ms_p50"], "warnings": one.get("warnings", []) + many.get("warnings", [])}  # fmt: skip


def run_check(cpu: bool, short: bool, budget_s: float = 450.0) -> dict:
    from posestudio.engine import bench

    cfg = SHORT if short else FULL
    t_start = time.perf_counter()
    cuda = not cpu and _cuda_available()
    device = "cuda" if cuda else "cpu"
    rows: list[dict] = []

    def over_budget() -> bool:
        return time.perf_counter() - t_start > budget_s

    try:
        card = bench.random_card("pona", cfg["preset"])
    except Exception as exc:  # noqa: BLE001 - torch missing: every model row says so
        card = None
        why = f"{type(exc).__name__}: {exc}"
    label = f"PoNA ngf {card.config.get('ngf') if card else '?'}"

    def model_row(name, backend, dev, providers=None):
        if card is None:
            rows.append(_row(name, why=why))
            return
        if over_budget():
            rows.append(_row(name, why=f"skipped (the check's {budget_s:.0f} s budget is spent)"))
            return
        try:
            res = _latency_and_throughput(
                lambda b: bench.bench_model(card, backend, dev, b, cfg["runs"], cfg["warmup"], providers=providers),
                cfg["batch"],
            )
        except Exception as exc:  # noqa: BLE001 - a runtime that cannot start is a row, not a crash
            rows.append(_row(name, why=f"{type(exc).__name__}: {' '.join(str(exc).split())[:160]}"))
            return
        if providers and res.get("providers", [None])[0] != providers[0]:
            rows.append(_row(name, why="; ".join(res.get("warnings", [])) or f"{providers[0]} did not start"))
            return
        rows.append(_row(name, res))

    if cuda:
        model_row(f"{label} torch fp16 channels-last", "torch", "cuda")
        for name, prov in GPU_PROVIDERS:
            model_row(f"{label} {name} fp16", "onnx", "cuda", [prov])
    else:
        why_gpu = "--cpu" if cpu else "no CUDA device"
        model_row(f"{label} torch fp32 (CPU)", "torch", "cpu")
        model_row(f"{label} onnx-cpu fp32", "onnx", "cpu", ["CPUExecutionProvider"])
        rows.append(_row(f"{label} torch fp16 channels-last", why=why_gpu))
        for name, _ in GPU_PROVIDERS:
            rows.append(_row(f"{label} {name} fp16", why=why_gpu))
    n = cfg["engine_size"]
    if over_budget():
        rows.append(_row(f"weight-free engine {n}x{n}", why=f"skipped (the check's {budget_s:.0f} s budget is spent)"))
    else:
        res = bench.bench_live_preview(n, runs=cfg["engine_runs"], warmup=1)
        rows.append(_row(f"weight-free engine {n}x{n}, one joint moved", res,
                         f"preparation {res['prepare_ms']} ms apart"))
    return {
        "device": device, "short": short, "model": {"arch": "pona", "preset": cfg["preset"],
        "size": list(card.resolution) if card else None, "ngf": card.config.get("ngf") if card else None},
        "batch": cfg["batch"], "runs": cfg["runs"], "seconds": round(time.perf_counter() - t_start, 1),
        "gpu": _gpu_name() if cuda else None, "rows": rows,
    }  # fmt: skip


def _gpu_name() -> str | None:
    try:
        import torch

        return torch.cuda.get_device_name(0)
    except Exception:  # noqa: BLE001
        return None


def markdown(result: dict) -> str:
    m = result["model"]
    head = (f"GPU check on {result['gpu'] or result['device']}: PoNA preset {m['preset']} (ngf {m['ngf']}, "
            f"{m['size'][0]}x{m['size'][1]}), latency at batch 1, throughput at batch {result['batch']}, "
            f"{result['runs']} timed runs; {result['seconds']} s in all.")  # fmt: skip
    lines = [head, "", "| row | device | p50 ms (batch 1) | p95 ms | throughput frames/s | note |", "|---|---|---|---|---|---|"]
    for r in result["rows"]:
        if r["available"]:
            lines.append(f"| {r['row']} | {r['device']} | {r['latency_ms_p50']:.2f} | {r['latency_ms_p95']:.2f} | "
                         f"{r['throughput_fps']:.1f} | {r['note']} |")  # fmt: skip
        else:
            lines.append(f"| {r['row']} | - | - | - | - | {r['note']} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m posestudio.engine.gpucheck", description=__doc__.split("\n\n")[0])
    ap.add_argument("--cpu", action="store_true", help="run on the CPU (torch fp32, ONNX Runtime CPU)")
    ap.add_argument("--short", action="store_true", help="tiny sizes and few runs (CI)")
    ap.add_argument("--out", default="runs/gpu-check", help="folder for gpu-check.json and gpu-check.md")
    ap.add_argument("--budget-s", type=float, default=450.0, help="skip the rows left after this many seconds")
    a = ap.parse_args(argv)
    from posestudio.core.formats.atomic import atomic_write_bytes

    result = run_check(a.cpu, a.short, a.budget_s)
    out = Path(a.out)
    atomic_write_bytes(out / "gpu-check.json", (json.dumps(result, indent=2) + "\n").encode())
    md = markdown(result)
    atomic_write_bytes(out / "gpu-check.md", md.encode())
    sys.stdout.write(md)
    print(f"wrote {out / 'gpu-check.json'} and {out / 'gpu-check.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
