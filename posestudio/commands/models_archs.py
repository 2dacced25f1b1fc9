"""`posestudio models check ARCH`: build a generator with random weights, run it
once on its declared input shapes and print one JSON object (parameters, FLOPs per
frame, output shapes and ranges; with ``--onnx`` the ONNX Runtime CPU vs torch
difference). Also ``archs_table()`` for ``models list --archs``.

Works for every arch in the registry through the generic Generator interface.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def add_subparsers(msub) -> None:
    p = msub.add_parser(
        "check",
        help="build an arch with random weights, run it once, print parameters/FLOPs/outputs as JSON",
        description="Build ARCH from a preset with random weights, run one forward pass on the declared "
        "input shapes and print one JSON object. --onnx also exports it (opset 17, dynamic batch) and "
        "compares ONNX Runtime (CPU) with torch.",
    )
    p.add_argument("arch", help="arch name (see `posestudio models list --archs`)")
    p.add_argument("--preset", default="small", help="config preset: full, small or tiny (default: small)")
    p.add_argument(
        "--onnx", action="store_true", help="also export to ONNX and compare with ONNX Runtime on CPU"
    )
    p.add_argument("--seed", type=int, default=0, help="seed for weights and inputs (default: 0)")
    p.set_defaults(func=run_check)


def _build(arch: str, preset: str | None, seed: int = 0):
    import torch

    from posestudio.errors import InputError
    from posestudio.nets.registry import build, list_archs

    if arch not in list_archs():
        raise InputError(f"unknown arch {arch!r}; known: {', '.join(list_archs())}", None)
    torch.manual_seed(seed)
    try:
        return build(arch, preset)
    except KeyError as exc:
        raise InputError(str(exc.args[0] if exc.args else exc), None) from None


def positional(model):
    """``model`` (a Generator) wrapped to take its inputs positionally, in declared
    order, and return its outputs as a tuple in declared order (what export needs)."""
    import torch

    class Positional(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner
            self.names = list(inner.inputs)
            self.outs = list(inner.outputs)

        def forward(self, *args):
            out = self.inner(**dict(zip(self.names, args, strict=True)))
            return tuple(out[k] for k in self.outs)

    return Positional(model)


def export_onnx(model, path, batch: int = 1, opset: int = 17) -> Path:
    """Export ``model`` (a Generator, eval mode) to ``path`` with a dynamic batch axis.
    Input names are the generator's input names, output names its output names."""
    import warnings

    import torch

    model.eval()
    path = Path(path)
    inputs = model.example_inputs(batch)
    names, outs = list(inputs), list(model.outputs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            positional(model),
            tuple(inputs.values()),
            str(path),
            input_names=names,
            output_names=outs,
            dynamic_axes={n: {0: "batch"} for n in names + outs},
            opset_version=opset,
            dynamo=False,
        )
    return path


def onnx_max_abs_diff(model, path, batch: int = 2, seed: int = 1) -> dict[str, float]:
    """Per-output max |ONNX Runtime CPU - torch| on random inputs of ``batch`` frames."""
    import numpy as np
    import onnxruntime as ort
    import torch

    inputs = model.example_inputs(batch, seed=seed)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = sess.run(None, {k: v.numpy() for k, v in inputs.items()})
    with torch.no_grad():
        ref = model.eval()(**inputs)
    names = [o.name for o in sess.get_outputs()]
    return {n: float(np.abs(g - ref[n].numpy()).max()) for n, g in zip(names, got, strict=True)}


def wake_zero_parameters(model, seed: int = 0, std: float = 0.05) -> int:
    """Give small random values to parameters that start at exactly zero (attention
    gates gamma/beta, flow heads, non-local output convs), so that a check with
    random weights exercises every path (warps, attention) instead of skipping them.
    Returns how many tensors were changed."""
    import torch

    g = torch.Generator().manual_seed(seed + 1)
    n = 0
    with torch.no_grad():
        for p in model.parameters():
            if p.numel() and not p.is_meta and bool((p == 0).all()):
                p.copy_(torch.randn(p.shape, generator=g) * std)
                n += 1
    return n


def check(arch: str, preset: str = "small", onnx: bool = False, seed: int = 0, workdir=None) -> dict:
    """Everything ``models check`` prints, as a dict."""
    import tempfile

    import torch

    from posestudio.nets.flops import count_flops

    model = _build(arch, preset, seed).eval()
    wake_zero_parameters(model, seed)
    inputs = model.example_inputs(1, seed=seed)
    t0 = time.perf_counter()
    with torch.no_grad():
        out = model(**inputs)
    seconds = time.perf_counter() - t0
    if set(out) != set(model.outputs):
        raise RuntimeError(f"{arch}: forward returned {list(out)}, declared {list(model.outputs)}")
    main = list(model.outputs)[0]  # "image" for generators; a parsing net's first output is its map
    image = out[main]
    result = {
        "arch": arch,
        "preset": preset,
        "config": {k: list(v) if isinstance(v, tuple) else v for k, v in model.config.items()},
        "parameters": model.num_parameters(),
        "flops_per_frame": count_flops(model, inputs),
        "flops_convention": "2 x multiply-adds of conv/matmul (torch FlopCounterMode)",
        "inputs": {k: list(v.shape) for k, v in inputs.items()},
        "output": main,
        "output_shape": list(image.shape),
        "output_range": [float(image.min()), float(image.max())],
        "outputs": {
            k: {"shape": list(v.shape), "min": float(v.min()), "max": float(v.max())} for k, v in out.items()
        },
        "forward_seconds_cpu": round(seconds, 4),
        "finite": bool(all(torch.isfinite(v).all() for v in out.values())),
    }
    if onnx:
        with tempfile.TemporaryDirectory(dir=workdir) as tmp:
            path = export_onnx(model, Path(tmp) / f"{arch}.onnx")
            diffs = onnx_max_abs_diff(model, path, batch=2)
            result["onnx_opset"] = 17
            result["onnx_max_abs_diff"] = max(diffs.values())
            result["onnx_max_abs_diff_by_output"] = diffs
    return result


def run_check(args) -> int:
    result = check(args.arch, args.preset, onnx=args.onnx, seed=args.seed)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0 if result["finite"] else 1


def archs_table() -> list[dict]:
    """One row per registered arch: ``arch``, ``tasks``, ``paper``, ``inputs``,
    ``outputs``, ``presets`` ({name: {"parameters": n, "height": h, "width": w}}).
    Counting uses the meta device, so no weights are allocated. An arch whose
    module cannot be imported gets ``"error"`` instead of presets."""
    import torch

    from posestudio.nets.registry import arch_info, build, list_archs

    rows = []
    for name in list_archs():
        try:
            info = arch_info(name)
        except Exception as exc:  # an arch module not written yet, or broken
            rows.append({"arch": name, "tasks": [], "presets": {}, "error": f"{type(exc).__name__}: {exc}"})
            continue
        presets = {}
        inputs = outputs = None
        for preset in info.presets:
            with torch.device("meta"):
                model = build(name, preset)
            presets[preset] = {
                "parameters": model.num_parameters(),
                "height": model.height,
                "width": model.width,
            }
            inputs = {
                k: {"channels": s.channels, "kind": s.kind, "label_set": s.label_set}
                for k, s in model.inputs.items()
            }
            outputs = list(model.outputs)
        rows.append(
            {
                "arch": name,
                "tasks": list(info.tasks),
                "paper": info.paper,
                "inputs": inputs,
                "outputs": outputs,
                "presets": presets,
            }
        )
    return rows
