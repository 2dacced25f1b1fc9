"""Every SPT / SCM-Net inference path exports to ONNX (opset 17) and ONNX Runtime on the
CPU matches torch within 1e-3 (tiny presets, small images)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from posestudio.nets import registry, scmnet
from tests.nets.test_spt_data import synthetic_pair

H, W = 64, 48


class Positional(nn.Module):
    """forward(*tensors) -> tuple, in the declared input/output order (what export needs)."""

    def __init__(self, model: nn.Module, names: list[str], outputs: tuple[str, ...]):
        super().__init__()
        self.model, self.names, self.outs = model, names, outputs

    def forward(self, *args):
        out = self.model(**dict(zip(self.names, args, strict=True)))
        return tuple(out[k] for k in self.outs)


def _inputs(model, names) -> dict[str, torch.Tensor]:
    """Example inputs with real pose heatmaps (so the part transforms are not trivial)."""
    pair = synthetic_pair(H, W, batch=1)
    ex = {}
    g = torch.Generator().manual_seed(5)
    for n in names:
        spec = model.INPUTS[n] if hasattr(model, "INPUTS") else None
        if n in pair and (spec is None or pair[n].shape[1] == spec.channels):
            ex[n] = pair[n]
        elif n in ("reference_image",):
            ex[n] = torch.rand(1, 3, H, W, generator=g) * 2 - 1
        elif spec is not None and spec.kind == "parsing":
            idx = torch.randint(0, spec.channels, (1, H // 4, W // 4), generator=g)
            idx = idx.repeat_interleave(4, 1).repeat_interleave(4, 2)
            ex[n] = nn.functional.one_hot(idx, spec.channels).permute(0, 3, 1, 2).float()
        elif n == "edges":
            ex[n] = (torch.rand(1, 1, H, W, generator=g) > 0.9).float()
        else:
            raise AssertionError(n)
    return ex


def _check(model: nn.Module, names: list[str], outputs: tuple[str, ...], tmp_path, inputs=None):
    import onnxruntime as ort

    model.eval()
    inputs = inputs or _inputs(model, names)
    wrapped = Positional(model, names, outputs).eval()
    args = tuple(inputs[n] for n in names)
    path = tmp_path / "model.onnx"
    torch.onnx.export(
        wrapped,
        args,
        str(path),
        input_names=names,
        output_names=list(outputs),
        opset_version=17,
        dynamo=False,
        dynamic_axes={n: {0: "batch"} for n in [*names, *outputs]},
    )
    with torch.no_grad():
        ref = wrapped(*args)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = sess.run(list(outputs), {n: inputs[n].numpy() for n in names})
    for name, r, o in zip(outputs, ref, got, strict=True):
        assert o.shape == tuple(r.shape), name
        err = np.abs(o - r.numpy()).max()
        assert err < 1e-3, f"{name}: max |onnx - torch| = {err:.2e}"
    # the graph must not have baked the example pose in, and takes any batch size: run a
    # batch of [original, poses swapped] (or [original, flipped]) and compare again
    other = {n: inputs[n].flip(-1) for n in names}
    if "source_heatmaps" in inputs and "target_heatmaps" in inputs:
        other = dict(
            inputs, source_heatmaps=inputs["target_heatmaps"], target_heatmaps=inputs["source_heatmaps"]
        )
    batch = {n: torch.cat([inputs[n], other[n]]) for n in names}
    with torch.no_grad():
        ref2 = wrapped(*(batch[n] for n in names))
    got2 = sess.run(list(outputs), {n: batch[n].numpy() for n in names})
    for name, r, o in zip(outputs, ref2, got2, strict=True):
        assert o.shape[0] == 2 and np.abs(o - r.numpy()).max() < 1e-3, name
    assert not np.allclose(got2[0][1], got[0][0])


@pytest.mark.parametrize("arch", ["spt-parsing", "spt-appearance", "scmnet", "scmnet-face"])
def test_onnx_matches_torch(arch, tmp_path):
    torch.manual_seed(0)
    model = registry.build(arch, "tiny", height=H, width=W)
    _check(model, list(model.inputs), model.outputs, tmp_path)


def test_onnx_scmnet_attribute_editor(tmp_path):
    """Attribute editing exported as one graph, the swapped regions fixed at export."""
    torch.manual_seed(0)
    model = registry.build("scmnet", "tiny", height=H, width=W).eval()
    editor = scmnet.AttributeEditor(model, (3, 4))
    names = list(editor.INPUTS)
    pair = synthetic_pair(H, W, batch=1)
    inputs = _inputs(editor, names)
    inputs["target_heatmaps"] = pair["source_heatmaps"]
    _check(editor, names, editor.OUTPUTS, tmp_path, inputs)
