"""Rigid body parts and their affine transforms (Def-GAN's deformable skips, used by
SPT's appearance generator H_A, and SPT eq. 1's pseudo-label search).

The body is split into the ten rigid sub-parts of Def-GAN (Siarohin et al. 2018):
head, torso, and the upper/lower segment of each limb (same joint sets as
``posestudio.core.skeleton.RIGID_PARTS``; nets may not import core, so the table is
repeated here and a test keeps the two equal). Each part is covered by an oriented
rectangle along its axis; the affine ``f_j`` between the same part in two poses is the
one that maps the four corners of one rectangle onto the four corners of the other
(exact for rectangles, so no least-squares solve is needed, which keeps it ONNX-friendly).

All coordinates are pixels of the full-resolution image (x right, y down).
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

# (name, part joints, axis start joints, axis end joints), COCO-18 indices.
PARTS: tuple[tuple[str, tuple[int, ...], tuple[int, ...], tuple[int, ...]], ...] = (
    ("head", (0, 14, 15, 16, 17), (1,), (0, 14, 15, 16, 17)),
    ("torso", (2, 5, 8, 11), (2, 5), (8, 11)),
    ("r_upper_arm", (2, 3), (2,), (3,)),
    ("r_forearm", (3, 4), (3,), (4,)),
    ("l_upper_arm", (5, 6), (5,), (6,)),
    ("l_forearm", (6, 7), (6,), (7,)),
    ("r_thigh", (8, 9), (8,), (9,)),
    ("r_shin", (9, 10), (9,), (10,)),
    ("l_thigh", (11, 12), (11,), (12,)),
    ("l_shin", (12, 13), (12,), (13,)),
)
N_PARTS = len(PARTS)
N_JOINTS = 18


def _group_matrix(groups: list[tuple[int, ...]]) -> torch.Tensor:
    m = torch.zeros(len(groups), N_JOINTS)
    for i, g in enumerate(groups):
        m[i, list(g)] = 1.0
    return m


_START = _group_matrix([p[2] for p in PARTS])  # (10, 18)
_END = _group_matrix([p[3] for p in PARTS])
_MEMBERS = _group_matrix([p[1] for p in PARTS])
# how far (in axis lengths) a rectangle reaches past its end joint: the top of the head
# lies beyond the face joints, hands beyond wrists, feet beyond ankles
_EXTEND = torch.tensor([0.5, 0.0, 0.0, 0.15, 0.0, 0.15, 0.0, 0.1, 0.0, 0.1])
# half-width added around the member joints, in axis lengths: limbs are about a quarter
# as wide as long, the torso's width is already spanned by shoulders and hips
_DOWN = torch.tensor([0.0, 1.0])  # axis of a zero-length part
_CORNER_SIGNS = torch.tensor([[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]])
_WIDTH = torch.tensor([0.45, 0.1, 0.25, 0.22, 0.25, 0.22, 0.25, 0.2, 0.25, 0.2])


def heatmap_keypoints(heatmaps: torch.Tensor, threshold: float = 0.1) -> tuple[torch.Tensor, torch.Tensor]:
    """Joint positions from pose heatmaps (B, 18, H, W): the arg-max pixel of each
    channel, and visibility (peak above ``threshold``; missing joints have all-zero
    channels). Returns ``xy`` (B, 18, 2) float pixels and ``visible`` (B, 18) in {0, 1}."""
    b, k, h, w = heatmaps.shape
    flat = heatmaps.reshape(b, k, h * w)
    peak, idx = flat.max(dim=2)
    x = torch.remainder(idx, w).to(heatmaps.dtype)
    y = torch.div(idx, w, rounding_mode="floor").to(heatmaps.dtype)
    return torch.stack([x, y], -1), (peak > threshold).to(heatmaps.dtype)


def _weighted_mean(xy: torch.Tensor, weights: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """xy (B,18,2), weights (B,P,18) -> mean (B,P,2), count (B,P)."""
    count = weights.sum(-1)
    mean = torch.einsum("bpk,bkd->bpd", weights, xy) / count.clamp(min=1.0).unsqueeze(-1)
    return mean, count


def part_rectangles(
    xy: torch.Tensor,
    visible: torch.Tensor,
    height: int,
    width: int,
    use: torch.Tensor | None = None,
    min_half: float = 0.035,
) -> dict[str, torch.Tensor]:
    """Oriented rectangle of every rigid part. ``use`` (B,18) optionally restricts the
    joints taken into account (joints visible in BOTH poses, so that the two rectangles
    of a pair are built from the same points). Returns center (B,P,2), axis u and its
    normal v (B,P,2), half-length/half-width (B,P) and valid (B,P): a part is valid when
    its axis start and end joints and at least two member joints are usable."""
    use = visible if use is None else use
    start_w = _START.to(xy) * use.unsqueeze(1)  # (B,P,18)
    end_w = _END.to(xy) * use.unsqueeze(1)
    mem_w = _MEMBERS.to(xy) * use.unsqueeze(1)
    start, n_start = _weighted_mean(xy, start_w)
    end, n_end = _weighted_mean(xy, end_w)
    members, n_mem = _weighted_mean(xy, mem_w)
    axis = end - start
    length = axis.norm(dim=-1)
    default_u = _DOWN.to(xy).expand_as(axis)
    u = torch.where((length > 1e-3).unsqueeze(-1), axis / length.clamp(min=1e-3).unsqueeze(-1), default_u)
    v = torch.stack([-u[..., 1], u[..., 0]], -1)
    # the rectangle spans the axis and every member joint, plus a margin
    ext = _EXTEND.to(xy)
    center = 0.5 * (start + end) + (0.5 * ext * length).unsqueeze(-1) * u
    rel = xy.unsqueeze(1) - center.unsqueeze(2)  # (B,P,18,2)
    along = (rel * u.unsqueeze(2)).sum(-1).abs() * mem_w
    across = (rel * v.unsqueeze(2)).sum(-1).abs() * mem_w
    floor = min_half * float(max(height, width))
    margin = 0.15 * length + floor * 0.5
    half_len = torch.maximum(
        torch.maximum((0.5 + 0.5 * ext) * length, along.amax(-1)) + margin, torch.full_like(length, floor)
    )
    half_wid = torch.maximum(across.amax(-1) + _WIDTH.to(xy) * length, torch.full_like(length, floor))
    valid = ((n_start > 0) & (n_end > 0) & (n_mem >= 2)).to(xy.dtype)
    return {"center": center, "u": u, "v": v, "half_len": half_len, "half_wid": half_wid, "valid": valid}


def rectangle_corners(rect: dict[str, torch.Tensor]) -> torch.Tensor:
    """The four corners (B,P,4,2) of each part rectangle."""
    c, u, v = rect["center"], rect["u"], rect["v"]
    lu = (rect["half_len"].unsqueeze(-1) * u).unsqueeze(2)
    wv = (rect["half_wid"].unsqueeze(-1) * v).unsqueeze(2)
    signs = _CORNER_SIGNS.to(c)
    return c.unsqueeze(2) + signs[:, 0:1] * lu + signs[:, 1:2] * wv


def pixel_grid(h: int, w: int, height: int, width: int, like: torch.Tensor) -> torch.Tensor:
    """Full-resolution pixel coordinates (h, w, 2) of the cell centres of an h x w map."""
    ys = (torch.arange(h).to(like) + 0.5) * (height / h) - 0.5
    xs = (torch.arange(w).to(like) + 0.5) * (width / w) - 0.5
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([gx, gy], -1)


def local_coords(points: torch.Tensor, rect: dict[str, torch.Tensor]) -> torch.Tensor:
    """points (h,w,2) pixels -> (B,P,h,w,2) rectangle coordinates in [-1,1] inside it."""
    rel = points.unsqueeze(0).unsqueeze(0) - rect["center"][:, :, None, None, :]
    a = (rel * rect["u"][:, :, None, None, :]).sum(-1) / rect["half_len"][:, :, None, None]
    b = (rel * rect["v"][:, :, None, None, :]).sum(-1) / rect["half_wid"][:, :, None, None]
    return torch.stack([a, b], -1)


def part_masks(rect: dict[str, torch.Tensor], h: int, w: int, height: int, width: int) -> torch.Tensor:
    """Binary masks B^j (B,P,h,w) of the part rectangles on an h x w grid."""
    pts = pixel_grid(h, w, height, width, rect["center"])
    ab = local_coords(pts, rect)
    inside = (ab.abs() <= 1.0).all(-1).to(pts.dtype)
    return inside * rect["valid"][:, :, None, None]


def part_affine_grids(
    target: dict[str, torch.Tensor], source: dict[str, torch.Tensor], h: int, w: int, height: int, width: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """For an h x w map in the target pose: where each target pixel of part j comes from
    in the source (the affine f_j^-1 mapping target rectangle corners to source corners),
    as a ``grid_sample`` grid (B,P,h,w,2) in normalised [-1,1] coordinates
    (align_corners=False), and the target part masks (B,P,h,w)."""
    pts = pixel_grid(h, w, height, width, target["center"])
    ab = local_coords(pts, target)
    inside = (ab.abs() <= 1.0).all(-1).to(pts.dtype)
    valid = target["valid"] * source["valid"]
    masks = inside * valid[:, :, None, None]
    a, b = ab[..., 0:1], ab[..., 1:2]
    src = (
        source["center"][:, :, None, None, :]
        + a * (source["half_len"][:, :, None, None, None] * source["u"][:, :, None, None, :])
        + b * (source["half_wid"][:, :, None, None, None] * source["v"][:, :, None, None, :])
    )
    grid = torch.stack(
        [(2.0 * src[..., 0] + 1.0) / width - 1.0, (2.0 * src[..., 1] + 1.0) / height - 1.0], -1
    )
    return grid, masks


def pair_rectangles(
    src_xy: torch.Tensor,
    src_vis: torch.Tensor,
    tgt_xy: torch.Tensor,
    tgt_vis: torch.Tensor,
    height: int,
    width: int,
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Rectangles of the same parts in two poses built from the joints visible in both."""
    both = src_vis * tgt_vis
    return (
        part_rectangles(src_xy, src_vis, height, width, use=both),
        part_rectangles(tgt_xy, tgt_vis, height, width, use=both),
    )


def deform(features: torch.Tensor, grid: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Def-GAN deformable skip: warp ``features`` (B,C,h,w) by each part's affine, keep
    each warped copy inside its target part mask, and take the element-wise max over the
    parts and the unwarped features outside all parts (the background)."""
    b, c, h, w = features.shape
    p = grid.shape[1]
    rep = features.unsqueeze(1).expand(b, p, c, h, w).reshape(b * p, c, h, w)
    warped = F.grid_sample(
        rep, grid.reshape(b * p, h, w, 2), mode="bilinear", padding_mode="zeros", align_corners=False
    )
    warped = warped.reshape(b, p, c, h, w)
    m = masks.unsqueeze(2)
    # outside a part mask a candidate must never win the max: push it far down
    candidates = warped * m - (1.0 - m) * 1e4
    union = masks.amax(1, keepdim=True)
    background = features * (1.0 - union) - union * 1e4
    out = torch.cat([candidates, background.unsqueeze(1)], 1).amax(1)
    return out
