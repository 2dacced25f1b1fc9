"""Each pose-transfer arch exports to ONNX (opset 17, dynamic batch) and ONNX
Runtime on CPU matches torch within 1e-3 on every output, at a batch size other
than the one exported with."""

from __future__ import annotations

import onnx
import pytest

from posestudio.commands.models_archs import export_onnx, onnx_max_abs_diff, wake_zero_parameters
from posestudio.nets.registry import build


@pytest.mark.parametrize("arch", ["pona", "structflow", "attnflow"])
def test_onnx_matches_torch(arch, tmp_path):
    model = build(arch, "tiny").eval()
    wake_zero_parameters(model)  # exercise attention gates and non-zero flows
    path = export_onnx(model, tmp_path / f"{arch}.onnx", batch=1)
    graph = onnx.load(str(path))
    assert graph.opset_import[0].version == 17
    assert [i.name for i in graph.graph.input] == list(model.inputs)
    assert [o.name for o in graph.graph.output] == list(model.outputs)
    assert graph.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    diffs = onnx_max_abs_diff(model, path, batch=3)
    assert set(diffs) == set(model.outputs)
    assert max(diffs.values()) < 1e-3, diffs
