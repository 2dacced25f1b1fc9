"""Each pose-transfer arch exports to ONNX (opset 17, dynamic batch) and ONNX
Runtime on CPU matches torch within 1e-3 on every output, at a batch size other
than the one exported with."""

from __future__ import annotations

import onnx
import pytest

from posestudio.commands.models_archs import export_onnx, onnx_max_abs_diff, wake_zero_parameters
from posestudio.nets.registry import build


@pytest.mark.parametrize("arch", ["pona", "structflow", "attnflow", "refine-pose", "refine-garment", "refine-face"])
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


def test_onnx_of_the_authors_weights_reproduces_the_parity_vector(parity_dir, tmp_path):
    """What the engine ships: the ONNX graph of an imported checkpoint gives the
    authors' output (case0) within 1e-3."""
    import json

    import numpy as np
    import onnxruntime as ort
    from PIL import Image

    from posestudio.core.pose import Pose, heatmaps
    from posestudio.nets.official import load_pona_checkpoint

    cfg, sd = load_pona_checkpoint(parity_dir / "netG_pona_ngf16_random.pth")
    model = build("pona", preset=None, **cfg)
    model.load_state_dict(sd)
    path = export_onnx(model.eval(), tmp_path / "pona16.onnx")
    case = parity_dir / "case0"

    def pose(name):
        kp = np.asarray(json.loads((case / name).read_text())["people"][0]["pose_keypoints_2d"]).reshape(
            18, 3
        )
        return Pose(kp[:, :2], kp[:, 2] > 0)

    rgb = np.asarray(Image.open(case / "source.png").convert("RGB"), dtype=np.float32)
    feed = {
        "source_image": (rgb / 255 * 2 - 1).transpose(2, 0, 1)[None].astype(np.float32),
        "source_heatmaps": heatmaps(pose("source_pose.json"), 256, 176)[None],
        "target_heatmaps": heatmaps(pose("target_pose.json"), 256, 176)[None],
    }
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    image = sess.run(["image"], feed)[0]
    assert np.abs(image - np.load(case / "expected.npy")).max() < 1e-3
