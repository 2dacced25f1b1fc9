"""The registry interface of the SPT and SCM-Net archs that the engine relies on."""

from __future__ import annotations

import pytest
import torch

from posestudio.nets import registry

EXPECTED = {
    "spt-parsing": (
        ("parsing",),
        {
            "source_parsing": (10, "parsing", "spt10"),
            "source_heatmaps": (18, "heatmaps", None),
            "source_mask": (1, "mask", None),
            "target_heatmaps": (18, "heatmaps", None),
            "target_mask": (1, "mask", None),
        },
        ("parsing",),
    ),
    "spt-appearance": (
        ("pose", "garment"),
        {
            "source_image": (3, "image", None),
            "source_parsing": (10, "parsing", "spt10"),
            "source_heatmaps": (18, "heatmaps", None),
            "target_parsing": (10, "parsing", "spt10"),
            "target_heatmaps": (18, "heatmaps", None),
        },
        ("image", "warped_source"),
    ),
    "scmnet": (
        ("pose", "attribute"),
        {
            "source_image": (3, "image", None),
            "source_parsing": (8, "parsing", "scm8"),
            "target_heatmaps": (18, "heatmaps", None),
        },
        ("image", "correlation"),
    ),
    "scmnet-face": (
        ("face",),
        {
            "edges": (1, "edges", None),
            "reference_image": (3, "image", None),
            "reference_parsing": (8, "parsing", "scm8"),
        },
        ("image", "correlation"),
    ),
}


@pytest.mark.parametrize("arch", list(EXPECTED))
def test_registry_interface(arch):
    tasks, inputs, outputs = EXPECTED[arch]
    info = registry.arch_info(arch)
    assert info.tasks == tasks
    assert set(info.presets) == {"full", "small", "tiny"}
    for preset in info.presets:
        cfg = registry.preset_config(arch, preset)
        assert (cfg["height"], cfg["width"]) == (256, 176)
    model = registry.build(arch, "tiny", height=32, width=32)
    assert {n: (s.channels, s.kind, s.label_set) for n, s in model.inputs.items()} == inputs
    assert model.outputs == outputs
    with torch.no_grad():
        out = model.eval()(**model.example_inputs(batch=2))
    assert tuple(out) == outputs
    for name, t in out.items():
        assert t.shape[0] == 2 and torch.isfinite(t).all(), name


def test_bad_size_is_a_clear_error():
    with pytest.raises(ValueError, match="divisible"):
        registry.build("spt-appearance", "full", height=250, width=176)
    with pytest.raises(ValueError, match="divisible"):
        registry.build("scmnet", "tiny", height=256, width=100)
