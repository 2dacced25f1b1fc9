"""Latency, throughput, peak memory and FLOPs of the puppet warp or a generator.

``bench_puppet`` times :func:`puppet_warp` on a synthetic figure (textured
body from the skeleton's body mask over a gradient background, no parsing
map: the slower path) with two joints moved. ``bench_model`` times a
backend's ``run`` on the card's declared input shapes (random values in the
declared ranges), so it measures the network, not the crop/paste around it.
"""

from __future__ import annotations

import resource
import statistics
import sys
import time

import numpy as np

from posestudio.engine.cards import ModelCard


def _peak_rss_mb() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / (1024 * 1024) if sys.platform == "darwin" else r / 1024


def _summary(times: list[float], batch: int) -> dict:
    ts = sorted(times)
    p95 = ts[min(len(ts) - 1, int(round(0.95 * (len(ts) - 1))))]
    mean = statistics.fmean(ts)
    return {
        "runs": len(ts), "batch": batch,
        "latency_ms_p50": round(statistics.median(ts) * 1000, 2), "latency_ms_p95": round(p95 * 1000, 2),
        "latency_ms_min": round(ts[0] * 1000, 2), "throughput_fps": round(batch / mean, 2),
    }  # fmt: skip


def _timeit(fn, runs: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def synthetic_figure(height: int, width: int, seed: int = 0):
    """(image, source pose, target pose): a textured figure on a gradient, an elbow and a knee moved."""
    import cv2

    from posestudio.core.pose import body_mask, default_pose

    rng = np.random.default_rng(seed)
    pose = default_pose(width, height)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    bg = np.stack([180 + 40 * xx / width, 190 + 30 * yy / height, 200 + 0 * xx], -1)
    tex = cv2.GaussianBlur(rng.uniform(0, 255, (height, width, 3)).astype(np.float32), (0, 0), 2)
    m = body_mask(pose, height, width)[..., None].astype(np.float32)
    img = np.clip(m * tex + (1 - m) * bg, 0, 255).astype(np.uint8)
    target = pose.rotate_limb(3, -0.9).rotate_limb(9, 0.4).rotate_limb(6, 0.6)
    return img, pose, target


def bench_puppet(height: int = 256, width: int = 176, runs: int = 20, warmup: int = 3) -> dict:
    from posestudio.engine.puppet import puppet_warp

    img, sp, tp = synthetic_figure(height, width)
    times = _timeit(lambda: puppet_warp(img, sp, tp), runs, warmup)
    return {"model": "puppet", "backend": "puppet", "device": "cpu", "size": [height, width],
            **_summary(times, 1), "peak_rss_mb": round(_peak_rss_mb(), 1), "flops_per_frame": None}  # fmt: skip


def bench_detect(image, height: int = 512, width: int = 512, runs: int = 10, warmup: int = 2) -> dict:
    """Time whole-body detection (body + matte, hands, face) of ``image`` resized to HxW; also
    the body alone. The number of people, hands and faces found says what was timed."""
    import cv2

    from posestudio.engine.detect import as_rgb8, detect_people

    img = cv2.resize(as_rgb8(image), (width, height), interpolation=cv2.INTER_AREA)
    people = detect_people(img)
    whole = _timeit(lambda: detect_people(img), runs, warmup)
    body = _timeit(lambda: detect_people(img, hands=False, face=False), runs, 0)
    return {"model": "detect", "backend": "litert", "device": "cpu", "size": [height, width],
            **_summary(whole, 1), "body_only_ms_p50": round(statistics.median(body) * 1000, 2),
            "people": len(people), "hands": sum(h is not None for p in people for h in p.hands),
            "faces": sum(p.face is not None for p in people),
            "peak_rss_mb": round(_peak_rss_mb(), 1), "flops_per_frame": None}  # fmt: skip


def flops_per_frame(card: ModelCard) -> float | None:
    """Forward FLOPs at batch 1 (torch's FlopCounterMode: convolutions and matmuls)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from posestudio.engine.export import example_inputs
    from posestudio.nets.registry import build

    with torch.device("meta"):
        net = build(card.arch, preset=card.preset, **card.build_config()).eval()
    ex = {k: torch.empty(v.shape, device="meta") for k, v in example_inputs(card).items()}
    try:
        with FlopCounterMode(display=False) as fc, torch.no_grad():
            net(**ex)
    except Exception:  # noqa: BLE001 - some ops have no meta kernel; FLOPs are then unknown
        return None
    return float(fc.get_total_flops())


def bench_model(
    card: ModelCard, backend: str = "torch", device: str = "cpu", batch: int = 1, runs: int = 10,
    warmup: int = 2, providers=None, threads: int = 0,
) -> dict:  # fmt: skip
    from posestudio.engine.export import example_inputs

    t0 = time.perf_counter()
    if backend == "torch":
        from posestudio.engine.backends.torch_backend import TorchBackend

        if threads:
            import torch

            torch.set_num_threads(threads)
        be = TorchBackend(card, device)
    elif backend == "onnx":
        from posestudio.engine.backends.onnx_backend import OnnxBackend

        be = OnnxBackend.for_card(card, device=device, providers=providers, threads=threads)
    else:
        raise ValueError(f"unknown backend {backend!r}")
    load_s = time.perf_counter() - t0
    inputs = example_inputs(card, batch=batch)
    cuda_peak = None
    if getattr(be, "device", device) == "cuda" and backend == "torch":
        import torch

        torch.cuda.reset_peak_memory_stats()
    times = _timeit(lambda: be.run(inputs), runs, warmup)
    if getattr(be, "device", device) == "cuda" and backend == "torch":
        import torch

        cuda_peak = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    out = {
        "model": card.name, "arch": card.arch, "backend": backend, "device": getattr(be, "device", device),
        "size": [card.height, card.width], **_summary(times, batch), "load_s": round(load_s, 2),
        "peak_rss_mb": round(_peak_rss_mb(), 1), "peak_cuda_mb": cuda_peak,
        "flops_per_frame": flops_per_frame(card), "threads": threads or None, "warnings": list(getattr(be, "warnings", [])),
    }  # fmt: skip
    if backend == "onnx":
        out["providers"] = list(be.providers)
    return out


def random_card(arch: str, preset: str, height: int | None = None, width: int | None = None) -> ModelCard:
    """A card with random weights for ``arch``/``preset`` in the cache (benchmarks without trained weights)."""
    import torch
    from safetensors.torch import save_file

    from posestudio.engine import store
    from posestudio.nets.registry import arch_info, build

    over = {k: v for k, v in (("height", height), ("width", width)) if v}
    torch.manual_seed(0)
    net = build(arch, preset=preset, **over)
    cfg = dict(net.config)
    h, w = int(cfg.pop("height")), int(cfg.pop("width"))
    name = f"bench-{arch}-{preset}-{h}x{w}"
    folder = store.onnx_cache_dir().parent / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    wp = folder / f"{name}.safetensors"
    if not wp.exists():
        save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(wp))
    card = ModelCard(
        name=name, arch=arch, task=arch_info(arch).tasks[0], resolution=(h, w), config=cfg,
        inputs={n: {"channels": s.channels, "kind": s.kind, "label_set": s.label_set} for n, s in net.inputs.items()},
        outputs=tuple(net.outputs), weights=wp.name, sha256=store.sha256(wp), source="random weights (benchmark)",
    )  # fmt: skip
    card.path = folder / f"{name}.card.json"
    return card


# -- the interactive numbers: a joint drag's preview update, and a first click on a cold app --
def bench_live_preview(size: int = 512, runs: int = 10, warmup: int = 2) -> dict:
    """Latency of the engine's answer after one joint moves (a forearm, as a drag step does)
    on a ``size`` x ``size`` figure. The per-source preparation (matte, parts, inpainted
    background: :func:`posestudio.engine.puppet.prepare_source`) runs once per photo and is
    timed apart (``prepare_ms``, cache cleared each run); the update is
    :func:`posestudio.engine.puppet.warp_prepared` on the prepared source."""
    from posestudio.engine.puppet import prepare_source, warp_prepared
    from posestudio.engine.warp import prepare as prepare_mod

    img, sp, _ = synthetic_figure(size, size)
    tp = sp.rotate_limb(3, -0.6)
    row = {"model": "puppet", "backend": "puppet", "device": "cpu", "size": [size, size], "scenario": "live-preview"}

    def cold_prepare():
        prepare_mod._cache.clear()
        return prepare_source(img, sp)

    prep_times = _timeit(cold_prepare, max(1, runs // 2), 1)
    prepared = prepare_source(img, sp)
    times = _timeit(lambda: warp_prepared(prepared, tp), runs, warmup)
    row.update(prepare_ms=round(statistics.median(prep_times) * 1000, 2), update_includes_prepare=False)
    return {**row, **_summary(times, 1), "peak_rss_mb": round(_peak_rss_mb(), 1)}


def _cold_inputs(folder, size: int):
    from PIL import Image

    from posestudio.core.formats import csv_keypoints

    img, sp, _ = synthetic_figure(size, size)
    src = folder / "source.png"
    Image.fromarray(img).save(src)
    poses = folder / "poses.csv"
    csv_keypoints.write(poses, {"s": sp, "t": sp.rotate_limb(3, -0.6)})
    return src, poses


def generate_command(folder, size: int = 512, model: str = "puppet") -> list[str]:
    """``python -m posestudio generate`` for one joint move of a ``size``-square figure written to ``folder``."""
    from pathlib import Path

    folder = Path(folder)
    src, poses = _cold_inputs(folder, size)
    return [sys.executable, "-m", "posestudio", "generate", "--model", model, "--source", str(src),
            "--source-pose", str(poses), "--source-name", "s", "--target-name", "t", "--out",
            str(folder / "out.png")]  # fmt: skip


def imported_modules(cmd: list[str], env: dict | None = None) -> set[str]:
    """Top-level packages a fresh interpreter imports to run ``cmd`` (a ``python -m ...`` list),
    read from ``-X importtime``'s report."""
    import subprocess

    r = subprocess.run([cmd[0], "-X", "importtime", *cmd[1:]], capture_output=True, text=True, env=env, timeout=600)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[3:5])} failed: {(r.stderr or r.stdout).strip()[-300:]}")
    mods = set()
    for line in r.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name and " " not in name:  # not the header's "imported package"
                mods.add(name.split(".")[0])
    return mods


def bench_cold_start(size: int = 512, runs: int = 3, model: str = "puppet") -> dict:
    """Click to result on a cold app: a fresh ``posestudio generate`` process (interpreter
    start, imports, one pose transfer, PNG written), timed from launch to exit; and whether
    that process imported torch (the weight-free path must not)."""
    import os
    import subprocess
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory(prefix="posestudio-cold-") as d:
        cmd = generate_command(Path(d), size, model)
        env = dict(os.environ)
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
            times.append(time.perf_counter() - t0)
            if r.returncode != 0:
                raise RuntimeError(f"generate failed: {(r.stderr or r.stdout).strip()[-300:]}")
        mods = imported_modules(cmd, env)
    return {"model": model, "backend": model, "device": "cpu", "size": [size, size], "scenario": "cold-start",
            **_summary(times, 1), "imports_torch": "torch" in mods, "modules_imported": len(mods)}  # fmt: skip
