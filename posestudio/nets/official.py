"""Read the authors' released checkpoints and map them onto our modules.

Only facts about the authors' key layout live here (written from reading their
public code; nothing copied). Files are read with ``torch.load(weights_only=True)``;
the engine converts the result to safetensors once, on import.
"""

from __future__ import annotations

import re
from pathlib import Path

import torch

# the authors' PoNANetwork: stream{1,2}_down Sequential indices of conv / norm
_DOWN = {
    1: ("0", "conv"),
    2: ("0", "norm"),
    4: ("1", "conv"),
    5: ("1", "norm"),
    7: ("2", "conv"),
    8: ("2", "norm"),
}
_UP = {0: "decoder.0.conv", 1: "decoder.0.norm", 3: "decoder.1.conv", 4: "decoder.1.norm", 7: "to_rgb.conv"}
_BLOCK_PART = {"conv": "image_conv1", "conv2": "image_conv2", "dconv": "pose_conv1", "dconv2": "pose_conv2"}
_DOUBLE = {"0": "conv1", "1": "norm1", "4": "conv2", "5": "norm2"}
_ATTN = {"query_conv": "query", "key_conv": "key", "value_conv": "value"}


def _bad(path, problem: str) -> ValueError:
    return ValueError(f"{path}: not a PoNA generator checkpoint ({problem})")


def _unwrap(obj, path) -> dict[str, torch.Tensor]:
    """The plain state dict, also when wrapped ({"state_dict": ...}, {"netG": ...}, DataParallel)."""
    for _ in range(3):
        if isinstance(obj, dict) and obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
            break
        if isinstance(obj, dict):
            inner = [
                v
                for k, v in obj.items()
                if isinstance(v, dict) and k in ("state_dict", "netG", "model", "generator", "G")
            ]
            if not inner:
                inner = [v for v in obj.values() if isinstance(v, dict)]
            if len(inner) != 1:
                raise _bad(path, "no single tensor dictionary inside")
            obj = inner[0]
        else:
            raise _bad(path, f"holds a {type(obj).__name__}, not a state dict")
    if not isinstance(obj, dict) or not obj or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise _bad(path, "no tensor dictionary")
    out = {}
    for k, v in obj.items():
        k = k[len("module.") :] if k.startswith("module.") else k
        k = k[len("model.") :] if k.startswith("model.") else k
        out[k] = v
    return out


def pona_key(key: str) -> str | None:
    """Our key for one of the authors' PoNA keys (without the ``model.`` prefix), or None."""
    m = re.fullmatch(r"stream([12])_down\.(\d+)\.(.+)", key)
    if m:
        slot = _DOWN.get(int(m.group(2)))
        if slot is None:
            return None
        enc = "image_encoder" if m.group(1) == "1" else "pose_encoder"
        return f"{enc}.{slot[0]}.{slot[1]}.{m.group(3)}"
    m = re.fullmatch(r"stream1_up\.(\d+)\.(.+)", key)
    if m:
        slot = _UP.get(int(m.group(1)))
        return f"{slot}.{m.group(2)}" if slot else None
    m = re.fullmatch(r"att\.(\d+)\.(.+)", key)
    if not m:
        return None
    i, rest = m.group(1), m.group(2)
    if rest == "gamma":
        return f"blocks.{i}.gamma"
    m2 = re.fullmatch(r"att2\.(gamma|beta)", rest)
    if m2:
        return f"blocks.{i}.fusion.{m2.group(1)}"
    m2 = re.fullmatch(r"(att2\.)?(query_conv|key_conv|value_conv)\.(.+)", rest)
    if m2:
        where = "fusion." if m2.group(1) else ""
        return f"blocks.{i}.{where}{_ATTN[m2.group(2)]}.{m2.group(3)}"
    m2 = re.fullmatch(r"(conv|conv2|dconv|dconv2)\.conv\.(\d+)\.(.+)", rest)
    if m2 and m2.group(2) in _DOUBLE:
        return f"blocks.{i}.{_BLOCK_PART[m2.group(1)]}.{_DOUBLE[m2.group(2)]}.{m2.group(3)}"
    return None


def pona_config_from_state(sd: dict[str, torch.Tensor], path="checkpoint") -> dict:
    """Infer our PoNA config (ngf, n_blocks, norms, biases) from tensor shapes and keys."""
    w = sd.get("stream1_down.1.weight")
    wp = sd.get("stream2_down.1.weight")
    if w is None or wp is None:
        raise _bad(path, "no stream1_down.1.weight / stream2_down.1.weight")
    if w.ndim != 4 or tuple(w.shape[1:]) != (3, 7, 7):
        raise _bad(path, f"image encoder weight has shape {tuple(w.shape)}, expected (ngf, 3, 7, 7)")
    if wp.ndim != 4 or wp.shape[1] != 36:
        raise _bad(path, f"pose encoder takes {wp.shape[1]} channels, expected 36 (2 x 18 heatmaps)")
    blocks = {int(m.group(1)) for k in sd if (m := re.match(r"att\.(\d+)\.", k))}
    if not blocks or blocks != set(range(len(blocks))):
        raise _bad(path, "no consecutive att.N blocks")
    norm = "batch" if "stream1_down.2.running_mean" in sd else "instance"
    block_norm = "batch" if "att.0.conv.conv.1.running_mean" in sd else "instance"
    return {
        "height": 256 if norm == "instance" else 128,
        "width": 176 if norm == "instance" else 64,
        "ngf": int(w.shape[0]),
        "n_blocks": len(blocks),
        "norm": norm,
        "block_norm": block_norm,
        "bias": "stream1_down.1.bias" in sd,
    }


def load_pona_checkpoint(path) -> tuple[dict, dict[str, torch.Tensor]]:
    """Read the authors' PoNA generator state dict (``netG`` .pth).

    Returns ``(config, state_dict)``: ``config`` for ``build("pona", preset=None, **config)``
    (height/width are the dataset's: 256x176 for instance norm = DeepFashion, 128x64
    for batch norm = Market-1501 -- the file does not record them), and the tensors
    under our key names. Raises ``ValueError`` naming the file for anything else.
    """
    path = Path(path)
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as exc:  # pickle errors, truncated zip, not a torch file...
        raise ValueError(
            f"{path}: cannot be read as a torch checkpoint ({type(exc).__name__}: {exc})"
        ) from None
    sd = _unwrap(obj, path)
    cfg = pona_config_from_state(sd, path)
    out: dict[str, torch.Tensor] = {}
    unknown = []
    for k, v in sd.items():
        if k.endswith("num_batches_tracked"):
            ours = pona_key(k)
            if ours:
                out[ours] = v
            continue
        ours = pona_key(k)
        if ours is None:
            unknown.append(k)
        else:
            out[ours] = v.float()
    if unknown:
        raise _bad(path, f"{len(unknown)} unexpected keys, e.g. {unknown[0]!r}")
    _check_against_model(cfg, out, path)
    return cfg, out


def _check_against_model(cfg: dict, sd: dict[str, torch.Tensor], path) -> None:
    """Every tensor our module expects is present with the right shape."""
    from posestudio.nets.registry import build

    with torch.device("meta"):
        model = build("pona", preset=None, **cfg)
    want = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    missing = sorted(set(want) - set(sd))
    extra = sorted(set(sd) - set(want))
    if missing:
        raise _bad(path, f"{len(missing)} tensors missing, e.g. {missing[0]!r}")
    if extra:
        raise _bad(path, f"{len(extra)} unexpected tensors, e.g. {extra[0]!r}")
    for k, shape in want.items():
        if tuple(sd[k].shape) != shape:
            raise _bad(path, f"{k} has shape {tuple(sd[k].shape)}, expected {shape}")
