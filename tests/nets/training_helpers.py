"""Helpers for the one-step training tests of the generators."""

from __future__ import annotations

import torch

from posestudio.commands.models_archs import wake_zero_parameters

__all__ = ["assert_every_parameter_trained", "wake_zero_parameters"]


def assert_every_parameter_trained(model: torch.nn.Module) -> None:
    """Every parameter has a finite gradient, and every weight a non-zero one.

    Biases directly followed by a non-affine instance norm get an exactly-cancelled
    (~0) gradient by construction, so for biases only presence is required."""
    missing = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing, f"no gradient for {missing[:5]}"
    bad = [n for n, p in model.named_parameters() if p.grad is not None and not torch.isfinite(p.grad).all()]
    assert not bad, f"non-finite gradient for {bad[:5]}"
    dead = [
        n
        for n, p in model.named_parameters()
        if p.grad is not None and not n.endswith("bias") and float(p.grad.abs().max()) == 0.0
    ]
    assert not dead, f"zero gradient for {dead[:5]}"
