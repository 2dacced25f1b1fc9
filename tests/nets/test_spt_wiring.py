"""Paper 002 (SPT) pinned where it is wired: H_S and H_A forward passes on a real
DeepFashion pair, intermediate tensors recorded by hooks and checked against Sec. 3.2-3.3
(H_A's skips are Def-GAN deformable skips: every encoder level warped part by part from the
source pose to the target pose)."""

from __future__ import annotations

import pytest
import torch

from posestudio.nets import spt_parts
from posestudio.nets.registry import build
from tests.nets.wiring_helpers import close, real_pair, recording

H, W = 64, 48


@pytest.fixture(scope="module")
def pair(samples_dir):
    return real_pair(samples_dir, H, W, parsing="spt10")


def test_h_a_skips_are_the_source_features_warped_from_source_to_target_pose(pair):
    torch.manual_seed(0)
    net = build("spt-appearance", "tiny", height=H, width=W).eval()
    with torch.no_grad(), recording(net, "enc_a", "enc_s", "gen") as seen:
        out = net(pair["source_image"], pair["source_parsing"], pair["source_heatmaps"],
                  pair["target_parsing"], pair["target_heatmaps"])  # fmt: skip
    (x_a,), fa = seen["enc_a"]
    assert close(x_a, torch.cat([pair["source_image"], pair["source_parsing"], pair["source_heatmaps"]], 1))
    (x_s,), fs = seen["enc_s"]
    assert close(x_s, torch.cat([pair["target_parsing"], pair["target_heatmaps"]], 1))
    sxy, svis = spt_parts.heatmap_keypoints(pair["source_heatmaps"])
    txy, tvis = spt_parts.heatmap_keypoints(pair["target_heatmaps"])
    src_rect, tgt_rect = spt_parts.pair_rectangles(sxy, svis, txy, tvis, H, W)
    bottom, skips = seen["gen"][0]
    assert len(skips) == len(fa) == len(fs)
    for k, (a, b) in enumerate(zip(fa, fs, strict=True)):
        h, w = a.shape[-2:]
        grid, masks = spt_parts.part_affine_grids(tgt_rect, src_rect, h, w, H, W)
        assert masks.sum() > 0
        assert close(skips[k], torch.cat([spt_parts.deform(a, grid, masks), b], 1), 1e-4)
        # neither the plain features nor the reversed warp (target -> source) would do
        assert not close(skips[k][:, : a.shape[1]], a, 1e-3)
        rgrid, rmasks = spt_parts.part_affine_grids(src_rect, tgt_rect, h, w, H, W)
        assert not close(skips[k][:, : a.shape[1]], spt_parts.deform(a, rgrid, rmasks), 1e-3)
    assert close(bottom, skips[-1])
    assert out["image"].abs().max() <= 1
    grid, masks = spt_parts.part_affine_grids(tgt_rect, src_rect, H, W, H, W)
    union = masks.amax(1, keepdim=True)
    warped = spt_parts.deform(pair["source_image"], grid, masks) * union - (1 - union)
    assert close(out["warped_source"], warped, 1e-4)


def test_deform_keeps_each_part_inside_its_mask_and_the_background_outside():
    """Def-GAN's skip: max over the parts' warped copies inside their masks, the unwarped
    features outside every part."""
    g = torch.Generator().manual_seed(0)
    feat = torch.rand(1, 2, 6, 5, generator=g)
    # one part: shift by one pixel right on the normalised grid; mask = left three columns
    ys, xs = torch.meshgrid(torch.arange(6.0), torch.arange(5.0), indexing="ij")
    src_x = xs + 1
    grid = torch.stack([(2 * src_x + 1) / 5 - 1, (2 * ys + 1) / 6 - 1], -1)[None, None]
    mask = (xs < 3).float()[None, None]
    out = spt_parts.deform(feat, grid, mask)
    assert torch.allclose(out[..., :3], feat[..., 1:4])
    assert torch.allclose(out[..., 3:], feat[..., 3:])


def test_h_s_generator_takes_both_encoders_at_every_level_and_a_softmax(pair):
    torch.manual_seed(0)
    net = build("spt-parsing", "tiny", height=H, width=W).eval()
    with torch.no_grad(), recording(net, "enc_s", "enc_p", "gen") as seen:
        out = net(pair["source_parsing"], pair["source_heatmaps"], pair["source_mask"],
                  pair["target_heatmaps"], pair["target_mask"])  # fmt: skip
    (x_s,), fs = seen["enc_s"]
    assert close(x_s, torch.cat([pair["source_parsing"], pair["source_heatmaps"], pair["source_mask"]], 1))
    (x_p,), fp = seen["enc_p"]
    assert close(x_p, torch.cat([pair["target_heatmaps"], pair["target_mask"]], 1))
    bottom, skips = seen["gen"][0]
    for k in range(len(fs)):
        assert close(skips[k], torch.cat([fs[k], fp[k]], 1))
    assert close(bottom, skips[-1])
    assert close(out["parsing"], torch.softmax(seen["gen"][1], 1))
