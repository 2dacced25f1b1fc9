"""Several processes / GPUs under ``torchrun`` with no code change.

``torchrun --nproc_per_node N -m posestudio train ...`` sets ``WORLD_SIZE``, ``RANK`` and
``LOCAL_RANK``; :func:`setup` then joins the process group (gloo on CPU, nccl on CUDA),
pins each rank to its GPU and makes all ranks start from rank 0's parameters.

Data parallelism: every rank reads its own shard (``DistributedSampler``) and the
gradients of every optimiser are averaged over the ranks before the optimiser steps —
the arithmetic of ``DistributedDataParallel`` (one all-reduce of the flattened
gradients, divided by the world size). We do this at the optimiser rather than by
wrapping modules in ``DistributedDataParallel`` because the recipes call sub-modules
(SPT's ``H_S.logits``, SCM-Net's ``style_codes``, AttnFlow's ``deform``) and run each
discriminator several times per backward, which DDP's reducer does not allow. Ranks
therefore hold identical parameters after every step (tests/training/test_ddp.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass
class DistInfo:
    world: int = 1
    rank: int = 0
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world > 1

    @property
    def main(self) -> bool:
        return self.rank == 0


def setup(device: str) -> tuple[DistInfo, torch.device]:
    """Join the process group when launched by torchrun; returns (info, this rank's device)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    info = DistInfo(world, int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0")))
    if device == "cuda":
        if not torch.cuda.is_available():
            from posestudio.errors import InputError

            raise InputError("--device cuda: no CUDA device is available")
        torch.cuda.set_device(info.local_rank)
        dev = torch.device("cuda", info.local_rank)
    else:
        dev = torch.device("cpu")
    if info.enabled and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if dev.type == "cuda" else "gloo")
    return info, dev


def teardown() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def broadcast_modules(info: DistInfo, *modules: torch.nn.Module) -> None:
    """Copy rank 0's parameters and buffers to every rank."""
    if not info.enabled:
        return
    with torch.no_grad():
        for m in modules:
            for t in [*m.parameters(), *m.buffers()]:
                dist.broadcast(t.data, 0)


def average_gradients(info: DistInfo, optimizer: torch.optim.Optimizer) -> None:
    """All-reduce (mean) the gradients of ``optimizer``'s parameters in one flat buffer."""
    if not info.enabled:
        return
    grads = [p.grad for g in optimizer.param_groups for p in g["params"] if p.grad is not None]
    if not grads:
        return
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    flat.div_(info.world)
    off = 0
    for g in grads:
        n = g.numel()
        g.copy_(flat[off : off + n].view_as(g))
        off += n


def attach(info: DistInfo, optimizer: torch.optim.Optimizer) -> torch.optim.Optimizer:
    """Make ``optimizer.step()`` average the gradients over the ranks first (a step
    pre-hook), so that training code that calls ``step`` itself (the nets' SPT and
    SCM-Net trainers) needs no change. :func:`step` skips the hook's work when it has
    averaged already (the mixed-precision path averages before the scaler's inf check)."""
    if not info.enabled:
        return optimizer

    def hook(opt, args, kwargs):
        if getattr(opt, "_posestudio_averaged", False):
            opt._posestudio_averaged = False
            return
        average_gradients(info, opt)

    optimizer.register_step_pre_hook(hook)
    return optimizer


def all_mean(info: DistInfo, values: dict[str, float], device=None) -> dict[str, float]:
    """Mean of scalar logs over the ranks (for stats.jsonl)."""
    if not info.enabled or not values:
        return values
    keys = sorted(values)
    t = torch.tensor([float(values[k]) for k in keys], dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return {k: float(v) / info.world for k, v in zip(keys, t.tolist(), strict=True)}


def parameter_checksum(*modules: torch.nn.Module) -> str:
    """sha256 of all parameters' bytes (float32, CPU): equal on every rank after a step."""
    import hashlib

    h = hashlib.sha256()
    for m in modules:
        for name, p in sorted(m.named_parameters()):
            h.update(name.encode())
            h.update(p.detach().float().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()
