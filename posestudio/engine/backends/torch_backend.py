"""Torch eager backend: the card's generator on CPU or CUDA (fp16 + channels_last there)."""

from __future__ import annotations

import numpy as np

from posestudio.engine.cards import ModelCard
from posestudio.errors import InputError


class TorchBackend:
    name = "torch"

    def __init__(self, card: ModelCard, device: str = "cpu", net=None):
        import torch

        from posestudio.engine import store

        if device == "cuda" and not torch.cuda.is_available():
            raise InputError("--device cuda: torch sees no GPU on this machine; use --device cpu or auto")
        self.card = card
        self.device = device
        net = store.build_model(card) if net is None else net.eval()
        self.half = device == "cuda"
        net = net.to(device)
        if self.half:
            net = net.half().to(memory_format=torch.channels_last)
        self.net = net
        self.dtype = torch.float16 if self.half else torch.float32

    def run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        import torch

        with torch.inference_mode():
            feed = {}
            for k, v in inputs.items():
                t = torch.from_numpy(np.ascontiguousarray(v)).to(self.device, self.dtype)
                if self.half and t.ndim == 4:
                    t = t.contiguous(memory_format=torch.channels_last)
                feed[k] = t
            out = self.net(**feed)
            if not isinstance(out, dict):
                out = {"image": out}
            return {k: v.float().cpu().numpy() for k, v in out.items() if torch.is_tensor(v)}
