"""Parameter counts and FLOPs per frame of the SPT and SCM-Net generators.

    python -m posestudio.nets.spt_scmnet_cost [--preset full] [--json out.json]

FLOPs are counted by ``torch.utils.flop_counter.FlopCounterMode`` (a multiply-add counts
as 2 FLOPs; convs, matmuls and bmm only: norms, activations and grid sampling are not
counted) for one frame at the preset's resolution.
"""

from __future__ import annotations

import argparse
import json

import torch
from torch.utils.flop_counter import FlopCounterMode

from posestudio.nets import registry, scmnet

ARCHS = ("spt-parsing", "spt-appearance", "scmnet", "scmnet-face")


def cost(arch: str, preset: str = "full") -> dict:
    model = registry.build(arch, preset).eval()
    inputs = model.example_inputs(1)
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(**inputs)
    row = {
        "arch": arch,
        "preset": preset,
        "height": model.height,
        "width": model.width,
        "params": model.num_parameters(),
        "gflops": counter.get_total_flops() / 1e9,
    }
    if arch == "scmnet":
        editor = scmnet.AttributeEditor(model, (3,))
        ex = {
            "source_image": inputs["source_image"],
            "source_parsing": inputs["source_parsing"],
            "reference_image": inputs["source_image"].flip(-1),
            "reference_parsing": inputs["source_parsing"].flip(-1),
            "target_heatmaps": inputs["target_heatmaps"],
        }
        counter = FlopCounterMode(display=False)
        with torch.no_grad(), counter:
            editor(**ex)
        row["attribute_edit_gflops"] = counter.get_total_flops() / 1e9
    return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="full")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    rows = [cost(a, args.preset) for a in ARCHS]
    print("| arch | preset | input | parameters | GFLOPs / frame |")
    print("|---|---|---|---|---|")
    for r in rows:
        extra = f" (attribute edit: {r['attribute_edit_gflops']:.1f})" if "attribute_edit_gflops" in r else ""
        print(
            f"| {r['arch']} | {r['preset']} | {r['height']}x{r['width']} | "
            f"{r['params'] / 1e6:.2f} M | {r['gflops']:.1f}{extra} |"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
