"""Prior refiners: a small U-Net that corrects the engine's weight-free answer.

The papers' flow-based generators (structure-aware flow, attention combined with flow)
warp the source and let a generator fill in, with an attention/occlusion mask choosing
between the warped pixels and the generated ones. A refiner does the same with the flow
given instead of learned: its ``prior_image`` input is the puppet warp of the engine
(ten rigid parts moved by per-part affines, background inpainted, garment labels refilled
from the nearest source pixel), and the net only learns a correction ``D`` of it::

    out = clamp(prior + D, -1, 1)

The head that makes ``D`` starts at zero, so an untrained refiner returns the prior exactly
and training moves it only where the data say the prior is wrong. (A gated form,
``prior + sigmoid(a) * (C - prior)`` with the gate starting shut, trained far slower: the
gate scales the content's gradient down to nothing.) Trained on the
procedural data (``posestudio train refine-pose|refine-garment|refine-face``), which is
what makes a small net trainable on a laptop CPU in under an hour.

Three archs share the body and differ in what they see:

- ``refine-pose`` (task pose): prior, the prior's visibility (where the warp shows the moved
  body rather than its background fill), source image, source and target heatmaps;
- ``refine-garment`` (task garment): prior, source image, the artist's target parsing
  (SPT-10) and the target heatmaps;
- ``refine-face`` (task face): prior (the face crop), the edge map and the reference face.

Outputs: ``image`` and ``repaint`` (mean ``|D|`` over the colour channels, 1 channel:
where and how much the net changed the warp).
Plain convs, instance norm and nearest upsampling only: exports to ONNX opset 17.
"""

from __future__ import annotations

import torch
from torch import nn

from posestudio.nets.registry import Generator, InputSpec, register
from posestudio.nets.spt_blocks import Decoder, Encoder, check_divisible, level_channels

PAPER = (
    "warp prior + learned correction, after the flow-based papers (structure-aware part flow; attention "
    "combined with flow); the prior is the engine's puppet warp"
)

_PRESETS = {
    "small": {"height": 128, "width": 88, "ch": 16, "max_ch": 64, "depth": 3, "n_res": 1},
    "tiny": {"height": 128, "width": 88, "ch": 8, "max_ch": 32, "depth": 3, "n_res": 1},
    "full": {"height": 256, "width": 176, "ch": 32, "max_ch": 128, "depth": 4, "n_res": 2},
}
_FACE_PRESETS = {k: {**v, "width": v["height"]} for k, v in _PRESETS.items()}

PRIOR = InputSpec(3, "prior")
IMAGE = InputSpec(3, "image")
HEATMAPS = InputSpec(18, "heatmaps")


class PriorRefiner(Generator):
    """out = clamp(prior + D, -1, 1), D from a U-Net over all inputs (head zero at start)."""

    OUTPUTS = ("image", "repaint")
    INPUTS: dict[str, InputSpec] = {}

    def __init__(self, height=128, width=88, ch=16, max_ch=64, depth=3, n_res=1, **config):
        super().__init__(height, width, ch=ch, max_ch=max_ch, depth=depth, n_res=n_res, **config)
        check_divisible(self.height, self.width, 2**depth, self.arch or "refine")
        chans = level_channels(ch, depth, max_ch)
        cin = sum(s.channels for s in self.INPUTS.values())
        self.enc = Encoder(cin, chans)
        self.dec = Decoder(chans[-1], chans, chans, n_res, 3)
        nn.init.zeros_(self.dec.head.weight)  # start as the identity on the prior
        nn.init.zeros_(self.dec.head.bias)

    def forward(self, **inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        x = torch.cat([inputs[k] for k in self.INPUTS], 1)
        feats = self.enc(x)
        delta = self.dec(feats[-1], feats)
        image = torch.clamp(inputs["prior_image"] + delta, -1.0, 1.0)
        return {"image": image, "repaint": delta.abs().mean(1, keepdim=True)}


@register("refine-pose", tasks=("pose",), presets=_PRESETS, paper=PAPER)
class PoseRefiner(PriorRefiner):
    INPUTS = {
        "prior_image": PRIOR,
        "prior_visibility": InputSpec(1, "prior_visibility"),
        "source_image": IMAGE,
        "source_heatmaps": HEATMAPS,
        "target_heatmaps": HEATMAPS,
    }


@register("refine-garment", tasks=("garment",), presets=_PRESETS, paper=PAPER)
class GarmentRefiner(PriorRefiner):
    INPUTS = {
        "prior_image": PRIOR,
        "source_image": IMAGE,
        "target_parsing": InputSpec(10, "parsing", "spt10"),
        "target_heatmaps": HEATMAPS,
    }


@register("refine-face", tasks=("face",), presets=_FACE_PRESETS, paper=PAPER)
class FaceRefiner(PriorRefiner):
    INPUTS = {
        "prior_image": PRIOR,
        "edges": InputSpec(1, "edges"),
        "reference_image": IMAGE,
    }
