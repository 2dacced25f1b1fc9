"""ONNX export of a model card, cached per card under ``paths.cache_dir()/onnx``.

The file name carries the weights' sha256 and the precision, and the file's
own metadata records the card (name, arch, inputs, outputs, sha256), so a
re-imported model never reuses a stale export. ``torch.onnx.export`` with the
TorchScript exporter (``dynamo=False``), opset 17, dynamic batch.
"""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

import numpy as np

from posestudio.engine import store
from posestudio.engine.cards import ModelCard

OPSET = 17


def onnx_path(card: ModelCard, fp16: bool = False) -> Path:
    tag = (card.sha256 or "nohash")[:12]
    return store.onnx_cache_dir() / f"{card.name}.{tag}.{'fp16' if fp16 else 'fp32'}.onnx"


def prebuilt_path(card: ModelCard, fp16: bool = False) -> Path | None:
    """An export shipped beside the card (the bundle exports at build time: it has no torch)."""
    if card.path is None:
        return None
    path = card.path.parent / onnx_path(card, fp16).name
    return path if path.is_file() else None


def example_inputs(card: ModelCard, batch: int = 1, seed: int = 0) -> dict[str, np.ndarray]:
    """Random inputs of the card's shapes and value ranges (images in [-1, 1], one-hot parsing …)."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, spec in card.inputs.items():
        c, kind = int(spec["channels"]), spec["kind"]
        shape = (batch, c, card.height, card.width)
        if kind in ("image", "prior"):
            out[name] = rng.uniform(-1, 1, shape).astype(np.float32)
        elif kind == "parsing":
            idx = rng.integers(0, c, (batch, card.height, card.width))
            out[name] = (np.arange(c)[None, :, None, None] == idx[:, None]).astype(np.float32)
        elif kind == "mask":
            out[name] = (rng.random(shape) > 0.5).astype(np.float32)
        else:
            out[name] = rng.random(shape, dtype=np.float32)
    return out


def _wrapper(net, input_names, output_names):
    import torch

    class Positional(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.net = net

        def forward(self, *args):
            out = self.net(**dict(zip(input_names, args, strict=True)))
            return tuple(out[k] for k in output_names)

    return Positional().eval()


def export_card(card: ModelCard, fp16: bool = False, verify: bool = True, force: bool = False):
    """Export (or reuse the cached export of) ``card``; returns ``(path, report)``.
    With ``verify`` the report has the largest |ONNX Runtime (CPU) - torch| per output."""
    import onnx
    import torch

    path = onnx_path(card, fp16)
    report: dict = {"cached": path.exists() and not force, "fp16": fp16}
    net = store.build_model(card)
    names = list(card.inputs)
    with torch.inference_mode():
        probe = net(**{k: torch.from_numpy(v) for k, v in example_inputs(card).items()})
    outputs = [k for k in card.outputs if k in probe and torch.is_tensor(probe[k])] or [
        k for k, v in probe.items() if torch.is_tensor(v)
    ]
    if not report["cached"]:
        t0 = time.perf_counter()
        model = _wrapper(net.half() if fp16 else net, names, outputs)
        ex = example_inputs(card)
        args = tuple(torch.from_numpy(ex[k]).to(torch.float16 if fp16 else torch.float32) for k in names)
        tmp = path.with_name(path.name + ".tmp")
        dyn = {k: {0: "batch"} for k in [*names, *outputs]}
        with warnings.catch_warnings():  # the TorchScript exporter's chatter about constant folding
            warnings.simplefilter("ignore")
            torch.onnx.export(
            model, args, str(tmp), input_names=names, output_names=outputs, dynamic_axes=dyn,
            opset_version=OPSET, dynamo=False, do_constant_folding=True,
            )  # fmt: skip
        m = onnx.load(str(tmp))
        meta = {
            "posestudio.card": json.dumps(card.to_json()),
            "posestudio.sha256": card.sha256 or "",
            "posestudio.outputs": json.dumps(outputs),
            "posestudio.fp16": str(fp16),
        }
        for k, v in meta.items():
            p = m.metadata_props.add()
            p.key, p.value = k, v
        onnx.save(m, str(tmp))
        tmp.replace(path)
        report["export_seconds"] = round(time.perf_counter() - t0, 2)
        net = store.build_model(card)  # .half() changed it in place
    if verify:
        report["max_abs_diff"] = compare_with_torch(card, path, net, fp16)
    return path, report


def compare_with_torch(card: ModelCard, path: Path, net=None, fp16: bool = False, seed: int = 0) -> dict:
    """max |ONNX Runtime CPU - torch eager fp32| per output on random inputs."""
    import torch

    from posestudio.engine.backends.onnx_backend import OnnxBackend

    net = net or store.build_model(card)
    ex = example_inputs(card, seed=seed)
    with torch.inference_mode():
        ref = net.float()(**{k: torch.from_numpy(v) for k, v in ex.items()})
    got = OnnxBackend(path, providers=["CPUExecutionProvider"]).run(ex)
    return {k: float(np.abs(got[k].astype(np.float32) - ref[k].numpy()).max()) for k in got if k in ref}
