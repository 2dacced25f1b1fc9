"""LPIPS (Zhang et al. 2018, eq. 1): ``d(x, y) = sum_l mean_hw || w_l * (f^l_x - f^l_y) ||^2``
where ``f^l`` are unit-normalised (over channels) activations of a backbone and ``w_l``
learned per-channel weights (the "lin" layers).

Our definition of the AlexNet variant: inputs in [-1, 1] are shifted and scaled per
channel (shift -0.030, -0.088, -0.188; scale 0.458, 0.448, 0.450), then AlexNet's
conv stack (torchvision ``features.*`` layout) is tapped after its five ReLUs
(64, 192, 384, 256, 256 channels). Weights come from user files only:
``LPIPS.from_files(path, ...)`` accepts safetensors or ``.pth`` (read with
``weights_only=True``) holding the backbone (``features.N.*`` or the lpips package's
``net.sliceK.N.*``) and the linear layers (``linK.model.1.weight`` / ``lins.K.model.1.weight``
/ ``lins.K.weight``), in one file or several.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import torch
from torch import nn

from posestudio.errors import InputError

CHANNELS = (64, 192, 384, 256, 256)
TAPS = (1, 4, 7, 9, 11)  # indices in ``features`` after which the ReLU outputs are taken
NO_WEIGHTS = "LPIPS needs weights: pass --lpips-weights PATH (AlexNet backbone + LPIPS linear layers)"


def alexnet_features() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(3, 64, 11, 4, 2), nn.ReLU(inplace=False), nn.MaxPool2d(3, 2),
        nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(inplace=False), nn.MaxPool2d(3, 2),
        nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(inplace=False),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(inplace=False),
        nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(inplace=False),
    )  # fmt: skip


class LPIPSNet(nn.Module):
    """The LPIPS-AlexNet network; ``forward(x, y)`` in [-1, 1] -> (N,) distances."""

    def __init__(self):
        super().__init__()
        self.register_buffer("shift", torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1))
        self.register_buffer("scale", torch.tensor([0.458, 0.448, 0.450]).view(1, 3, 1, 1))
        self.features = alexnet_features()
        self.lins = nn.ModuleList(nn.Conv2d(c, 1, 1, bias=False) for c in CHANNELS)

    def taps(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = (x - self.shift) / self.scale
        out = []
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in TAPS:
                out.append(x)
        return out

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        total = 0
        for lin, fx, fy in zip(self.lins, self.taps(x), self.taps(y), strict=True):
            nx = fx / (fx.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            ny = fy / (fy.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            total = total + lin((nx - ny) ** 2).mean((2, 3))
        return total.view(-1)


_SLICE = re.compile(r"^(?:net\.)?slice\d\.(\d+)\.(weight|bias)$")
_LIN = re.compile(r"^(?:lin|lins\.)(\d)(?:\.model\.1)?\.weight$")


def _read(path: Path) -> dict:
    if not path.is_file():
        raise InputError("LPIPS weights file not found", path)
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path))
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure is a bad file
        raise InputError(f"cannot read LPIPS weights ({exc.__class__.__name__})", path) from None
    return state.get("state_dict", state) if isinstance(state, dict) else {}


def map_keys(state: dict) -> dict:
    """Rename lpips-package / torchvision keys to ours (``features.N.*``, ``lins.K.weight``)."""
    out = {}
    for k, v in state.items():
        k2 = k[len("module.") :] if k.startswith("module.") else k
        if m := _SLICE.match(k2):
            out[f"features.{m.group(1)}.{m.group(2)}"] = v
        elif m := _LIN.match(k2):
            out[f"lins.{m.group(1)}.weight"] = v
        elif k2.startswith("features.") or k2.startswith("lins."):
            out[k2] = v
    return out


class LPIPS:
    """Pairwise metric: ``LPIPS(weights)(generated, reference) -> float`` (lower is better).
    Images: (H, W, 3) uint8 or float in 0..255."""

    kind = "pair"
    higher_is_better = False
    name = "lpips"

    def __init__(self, weights=None, device: str = "cpu"):
        paths = [weights] if isinstance(weights, (str, Path)) else list(weights or [])
        if not paths:
            raise InputError(NO_WEIGHTS)
        self.net = self.from_files(*paths).to(device)
        self.device = device

    @staticmethod
    def from_files(*paths) -> LPIPSNet:
        state: dict = {}
        for p in paths:
            state.update(map_keys(_read(Path(p))))
        net = LPIPSNet()
        own = {k for k in net.state_dict() if k not in ("shift", "scale")}
        missing = sorted(own - set(state))
        if missing:
            raise InputError(f"LPIPS weights incomplete: missing {', '.join(missing[:4])}"
                             f"{' ...' if len(missing) > 4 else ''}; {NO_WEIGHTS}", paths[0])  # fmt: skip
        for k in own:
            if tuple(state[k].shape) != tuple(net.state_dict()[k].shape):
                raise InputError(f"LPIPS weight {k} has shape {tuple(state[k].shape)}", paths[0])
        net.load_state_dict({k: state[k] for k in own}, strict=False)
        return net.eval()

    @torch.no_grad()
    def __call__(self, generated, reference) -> float:
        def t(a):
            a = np.asarray(a, np.float32)
            return torch.from_numpy(a.transpose(2, 0, 1)[None].copy()).to(self.device) / 127.5 - 1

        return float(self.net(t(generated), t(reference))[0])
