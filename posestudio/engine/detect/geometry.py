"""Crops and boxes shared by the detectors: rotated square regions, SSD anchors, NMS.

A region (``Roi``) is a centre, a size and a rotation in image pixels; ``crop``
samples it into a model's square input and ``Roi.to_image`` maps the model's
outputs back. Rotations follow MediaPipe's convention: the angle that turns the
line from a start point to an end point into ``target`` (90 deg = pointing up).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Roi:
    cx: float
    cy: float
    size: float  # side of the square, pixels
    angle: float = 0.0  # radians

    def matrix(self, side: int) -> np.ndarray:
        """2x3 affine: crop pixel (u, v) of a ``side``-pixel crop -> image pixel."""
        s = self.size / side
        c, n = math.cos(self.angle) * s, math.sin(self.angle) * s
        tx = self.cx - c * side / 2 + n * side / 2
        ty = self.cy - n * side / 2 - c * side / 2
        return np.array([[c, -n, tx], [n, c, ty]])

    def to_image(self, uv: np.ndarray, side: int) -> np.ndarray:
        """(K, 2) crop pixels -> image pixels."""
        m = self.matrix(side)
        return np.asarray(uv, np.float64)[:, :2] @ m[:, :2].T + m[:, 2]

    def scaled(self, factor: float, shift_y: float = 0.0) -> Roi:
        """Scaled about its centre, its centre first moved by ``shift_y`` sizes along its own y."""
        dx, dy = -math.sin(self.angle) * shift_y * self.size, math.cos(self.angle) * shift_y * self.size
        return Roi(self.cx + dx, self.cy + dy, self.size * factor, self.angle)


def angle_between(start, end, target: float) -> float:
    """MediaPipe's rotation: the angle that makes ``start -> end`` point at ``target`` radians."""
    a = target - math.atan2(-(end[1] - start[1]), end[0] - start[0])
    return (a + math.pi) % (2 * math.pi) - math.pi


def aligned_roi(center, scale_point, target: float, factor: float) -> Roi:
    """A square centred at ``center``, side 2*|scale_point-center|*factor, rotated so that
    ``center -> scale_point`` points at ``target`` (MediaPipe's alignment-points rect)."""
    d = math.dist(center, scale_point)
    return Roi(float(center[0]), float(center[1]), 2 * d * factor, angle_between(center, scale_point, target))


def crop(image: np.ndarray, roi: Roi, side: int, lo: float, hi: float) -> np.ndarray:
    """(1, side, side, 3) float32 crop of an RGB uint8 image, values scaled to [lo, hi];
    outside the image is black (``lo``)."""
    m = roi.matrix(side)
    out = cv2.warpAffine(
        image, m, (side, side), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0),
    )
    return (out.astype(np.float32) * ((hi - lo) / 255.0) + lo)[None]


def paste(mask: np.ndarray, roi: Roi, height: int, width: int) -> np.ndarray:
    """A square crop-space map (side x side) back into an HxW image (0 outside the region)."""
    side = mask.shape[0]
    m = roi.matrix(side)
    return cv2.warpAffine(
        mask.astype(np.float32), m, (width, height), flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT, borderValue=0,
    )


def ssd_anchors(side: int, strides: tuple[int, ...]) -> np.ndarray:
    """(N, 2) anchor centres in [0, 1] of MediaPipe's SSD detectors (fixed-size anchors, two
    per cell per layer; layers of equal stride share their cells)."""
    out = []
    i = 0
    while i < len(strides):
        j = i
        while j < len(strides) and strides[j] == strides[i]:
            j += 1
        n = side // strides[i]
        yy, xx = np.mgrid[0:n, 0:n]
        c = np.stack([(xx + 0.5) / n, (yy + 0.5) / n], -1).reshape(-1, 1, 2)
        out.append(np.repeat(c, 2 * (j - i), axis=1).reshape(-1, 2))
        i = j
    return np.concatenate(out)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -80, 80)))


def decode_ssd(boxes: np.ndarray, scores: np.ndarray, anchors: np.ndarray, side: int, threshold: float):
    """Raw detector outputs -> (scores (K,), boxes (K, 4) cx, cy, w, h, keypoints (K, P, 2)),
    all in [0, 1] of the detector's input, for the anchors scoring at least ``threshold``."""
    p = sigmoid(scores.reshape(-1))
    keep = np.flatnonzero(p >= threshold)
    raw = boxes.reshape(len(anchors), -1)[keep] / side
    a = anchors[keep]
    box = raw[:, :4].copy()
    box[:, :2] += a
    kps = raw[:, 4:].reshape(len(keep), (boxes.shape[-1] - 4) // 2, 2) + a[:, None]
    return p[keep], box, kps


def box_iou(a, b) -> float:
    """IoU of two (cx, cy, w, h) boxes."""
    ax0, ay0, ax1, ay1 = a[0] - a[2] / 2, a[1] - a[3] / 2, a[0] + a[2] / 2, a[1] + a[3] / 2
    bx0, by0, bx1, by1 = b[0] - b[2] / 2, b[1] - b[3] / 2, b[0] + b[2] / 2, b[1] + b[3] / 2
    inter = max(0.0, min(ax1, bx1) - max(ax0, bx0)) * max(0.0, min(ay1, by1) - max(ay0, by0))
    union = a[2] * a[3] + b[2] * b[3] - inter
    return float(inter / union) if union > 0 else 0.0


def weighted_nms(scores, boxes, kps, iou_threshold: float = 0.3):
    """MediaPipe's weighted non-maximum suppression: each cluster of overlapping detections
    becomes their score-weighted mean, scored by its best member."""
    order = np.argsort(-scores)
    scores, boxes, kps = scores[order], boxes[order], kps[order]
    x0, y0 = boxes[:, 0] - boxes[:, 2] / 2, boxes[:, 1] - boxes[:, 3] / 2
    x1, y1 = boxes[:, 0] + boxes[:, 2] / 2, boxes[:, 1] + boxes[:, 3] / 2
    area = np.maximum(x1 - x0, 0) * np.maximum(y1 - y0, 0)
    left = np.ones(len(scores), bool)
    out = []
    for i in range(len(scores)):
        if not left[i]:
            continue
        iw = np.clip(np.minimum(x1[i], x1) - np.maximum(x0[i], x0), 0, None)
        ih = np.clip(np.minimum(y1[i], y1) - np.maximum(y0[i], y0), 0, None)
        inter = iw * ih
        iou = inter / np.maximum(area[i] + area - inter, 1e-12)
        grp = left & (iou > iou_threshold)
        grp[i] = True
        w = scores[grp][:, None]
        out.append((scores[i], (boxes[grp] * w).sum(0) / w.sum(), (kps[grp] * w[:, :, None]).sum(0) / w.sum()))
        left &= ~grp
    return out
