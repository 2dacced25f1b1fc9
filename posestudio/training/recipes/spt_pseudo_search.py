"""SPT's pseudo-label search (Song et al., CVPR 2019, eq. 1), run over a dataset before
training H_S (Algorithm 1, line 2).

For a source parsing S_ps we look for the parsing S_p, among other images in other
poses, that best matches it part by part once each of the ten rigid body parts is
aligned by the affine f_j between the corners of the two part rectangles:

    S_pt* = argmin_{S_p} sum_j || B_p^j * S_p - f_j(B_ps^j * S_ps) ||_2^2          (1)

Pairs whose poses are nearly the same (mean joint distance after centring below
``min_pose_distance`` of the image height) are excluded, as in the paper. It is plain
torch (no core) so it can run batched on the GPU; :mod:`.spt_pseudo_labels` runs it over a
folder once and writes the pairs.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from posestudio.nets import spt_parts


def to_one_hot(parsing: torch.Tensor, num_labels: int) -> torch.Tensor:
    """(N,H,W) integer labels or (N,L,H,W) one-hot/probabilities -> (N,L,H,W) float."""
    if parsing.dim() == 3:
        return F.one_hot(parsing.long().clamp(0, num_labels - 1), num_labels).permute(0, 3, 1, 2).float()
    return parsing.float()


def pose_distance(
    xy_a: torch.Tensor, vis_a: torch.Tensor, xy_b: torch.Tensor, vis_b: torch.Tensor
) -> torch.Tensor:
    """Mean distance (pixels) between joints visible in both poses after centring each pose
    on the mean of those joints. Broadcasts over leading dims; inf with < 3 shared joints."""
    both = vis_a * vis_b
    n = both.sum(-1)
    ca = (xy_a * both.unsqueeze(-1)).sum(-2) / n.clamp(min=1).unsqueeze(-1)
    cb = (xy_b * both.unsqueeze(-1)).sum(-2) / n.clamp(min=1).unsqueeze(-1)
    d = ((xy_a - ca.unsqueeze(-2)) - (xy_b - cb.unsqueeze(-2))).norm(dim=-1)
    mean = (d * both).sum(-1) / n.clamp(min=1)
    return torch.where(n >= 3, mean, torch.full_like(mean, float("inf")))


def part_alignment_costs(
    query: torch.Tensor,
    query_xy: torch.Tensor,
    query_vis: torch.Tensor,
    candidates: torch.Tensor,
    cand_xy: torch.Tensor,
    cand_vis: torch.Tensor,
) -> torch.Tensor:
    """Eq. 1's objective for one query (L,H,W one-hot, keypoints (18,2)/(18,)) against N
    candidates (N,L,H,W), keypoints in pixels of these maps. Returns (N,) costs: the
    per-pixel mean of the squared differences summed over the ten parts (soft maps are
    taken at their arg-max label)."""
    n, nl, h, w = candidates.shape
    q_rect = spt_parts.part_rectangles(query_xy[None], query_vis[None], h, w)
    c_rect = spt_parts.part_rectangles(cand_xy, cand_vis, h, w)
    q_masks = spt_parts.part_masks(q_rect, h, w, h, w)[0]  # (P,h,w): B_ps^j
    c_masks = spt_parts.part_masks(c_rect, h, w, h, w)  # (N,P,h,w): B_p^j
    q_expand = {k: v.expand(n, *v.shape[1:]) for k, v in q_rect.items()}
    grid, _ = spt_parts.part_affine_grids(c_rect, q_expand, h, w, h, w)  # (N,P,h,w,2)
    p = grid.shape[1]
    # For one-hot maps, ||B_c onehot(l_c) - B_w onehot(l_w)||^2 = B_c + B_w - 2 B_c B_w [l_c == l_w]
    # per pixel, so it is enough to warp (nearest) each source part's mask and label index
    # instead of its L one-hot channels.
    q_lab = query.argmax(0).to(query.dtype)
    src = torch.stack([q_masks, q_masks * 0 + q_lab], 1)  # (P,2,h,w)
    src = src.unsqueeze(0).expand(n, p, 2, h, w).reshape(n * p, 2, h, w)
    warped = F.grid_sample(src, grid.reshape(n * p, h, w, 2), mode="nearest", align_corners=False)
    warped = warped.reshape(n, p, 2, h, w)  # f_j(B_ps^j * S_ps) as (mask, label)
    w_mask, w_lab = warped[:, :, 0], warped[:, :, 1]
    c_lab = candidates.argmax(1).to(query.dtype).unsqueeze(1)  # (N,1,h,w)
    same = (w_lab == c_lab).to(query.dtype)
    per = c_masks + w_mask - 2.0 * c_masks * w_mask * same
    return per.sum(1).mean((-2, -1))


def search_pseudo_targets(
    parsing: torch.Tensor,
    xy: torch.Tensor,
    visible: torch.Tensor,
    num_labels: int = 10,
    min_pose_distance: float = 0.05,
    work_height: int | None = 64,
    candidates: int | None = 256,
    chunk: int = 64,
    device: str | torch.device | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """For every item of a set (parsing (N,H,W) labels or (N,L,H,W), keypoints (N,18,2)
    pixels, visibility (N,18)) the index of its pseudo target S_pt* (eq. 1) and the cost;
    -1 / inf where every other item is in a near-identical pose.

    ``work_height``: the search runs at this height (coarse by nature; aspect kept; None
    keeps the input size). ``candidates``: eq. 1 is evaluated only on the K items in other
    poses whose label-area histograms (the clothing type) are closest to the query's, so a
    data set of N images costs O(N K) part alignments instead of O(N^2); None = all."""
    maps = to_one_hot(parsing, num_labels)
    n, _, h, w = maps.shape
    xy = xy.float()
    visible = visible.float()
    if work_height is not None and work_height != h:
        size = (int(work_height), max(1, round(w * work_height / h)))
        sy, sx = size[0] / h, size[1] / w
        maps = F.interpolate(maps, size=size, mode="nearest")
        xy = (xy + 0.5) * torch.tensor([sx, sy]) - 0.5
        h, w = size
    if device is not None:
        maps, xy, visible = maps.to(device), xy.to(device), visible.to(device)
    hist = maps.mean((2, 3))  # (N, L) share of each label
    best = torch.full((n,), -1, dtype=torch.long)
    best_cost = torch.full((n,), float("inf"))
    for i in range(n):
        far = pose_distance(xy[i], visible[i], xy, visible) >= min_pose_distance * h
        far[i] = False
        idx = torch.nonzero(far).flatten()
        if idx.numel() == 0:
            continue
        if candidates is not None and idx.numel() > candidates:
            d = (hist[idx] - hist[i]).abs().sum(1)
            idx = idx[d.topk(candidates, largest=False).indices]
        for start in range(0, idx.numel(), chunk):
            sub = idx[start : start + chunk]
            cost = part_alignment_costs(maps[i], xy[i], visible[i], maps[sub], xy[sub], visible[sub])
            c, j = cost.min(0)
            if float(c) < float(best_cost[i]):
                best_cost[i], best[i] = float(c), int(sub[j])
    return best, best_cost
