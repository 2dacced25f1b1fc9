"""Procedural garment textures and backgrounds (numpy/OpenCV only).

A texture is an (S, S, 3) uint8 tile in a garment's own frame: the garment's
anchor (chest for tops, hip centre for bottoms) sits at the tile centre and
``S / 3`` tile pixels span one torso length, so the renderer can warp it with
the torso's similarity transform and the pattern moves with the body.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

TILE = 192  # texture tile side; one torso length = TILE / 3 pixels of the tile
KINDS = ("solid", "stripes", "checks", "dots", "gradient", "logo")
BACKGROUNDS = ("plain", "gradient", "noise")


@dataclass(frozen=True)
class TextureSpec:
    """What a garment looks like: pattern ``kind``, two colours, period (tile px), angle (deg)."""

    kind: str
    color: tuple[int, int, int]
    color2: tuple[int, int, int]
    period: float = 16.0
    angle: float = 0.0
    text: str = ""


def random_color(rng: np.random.Generator, dark: float = 0.0) -> tuple[int, int, int]:
    """A garment colour: random hue, mixed saturation, value pulled towards ``dark``."""
    h = rng.uniform(0, 180)
    s = rng.choice([rng.uniform(0, 60), rng.uniform(80, 255)])
    v = rng.uniform(50, 245) * (1 - dark) + 20 * dark
    hsv = np.array([[[h, s, v]]], dtype=np.float32).astype(np.uint8)
    return tuple(int(c) for c in cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0])  # type: ignore[return-value]


def random_texture(rng: np.random.Generator, p=(0.35, 0.2, 0.12, 0.1, 0.1, 0.13)) -> TextureSpec:
    kind = str(rng.choice(KINDS, p=np.asarray(p) / np.sum(p)))
    c1 = random_color(rng)
    c2 = random_color(rng)
    text = "".join(rng.choice(list("ABCDEFGHKMNPRSTXYZ0123456789"), size=int(rng.integers(2, 5))))
    return TextureSpec(kind, c1, c2, float(rng.uniform(7, 22)), float(rng.choice([0, 0, 90, 45, -45])), text)


def render_texture(spec: TextureSpec, size: int = TILE) -> np.ndarray:
    """The (size, size, 3) uint8 tile of ``spec``."""
    c1 = np.array(spec.color, dtype=np.float32)
    c2 = np.array(spec.color2, dtype=np.float32)
    if spec.kind in ("solid", "logo"):
        tile = np.empty((size, size, 3), np.uint8)
        tile[:] = spec.color
        if spec.kind == "logo":
            _draw_logo(tile, spec)
        return tile
    r = np.arange(size, dtype=np.float32) - size / 2
    p = np.float32(spec.period)
    if spec.kind == "stripes" and spec.angle in (0.0, 90.0):  # axis-aligned: one 1-D pattern
        line = np.mod(r, p) < p * 0.45
        w = np.broadcast_to(line[None, :] if spec.angle == 0.0 else line[:, None], (size, size))
    elif spec.kind == "gradient" and spec.angle == 0.0:
        w = np.broadcast_to(np.clip((r + size / 2) / size, 0, 1)[:, None], (size, size))
    else:
        a = np.deg2rad(spec.angle)
        ca, sa = np.float32(np.cos(a)), np.float32(np.sin(a))
        u = r[None, :] * ca + r[:, None] * sa
        v = -r[None, :] * sa + r[:, None] * ca
        if spec.kind == "stripes":
            w = np.mod(u, p) < p * 0.45
        elif spec.kind == "checks":
            w = (np.floor(u / p) + np.floor(v / p)) % 2 > 0.5
        elif spec.kind == "dots":
            du = np.mod(u, p) - p / 2
            dv = np.mod(v, p) - p / 2
            w = du * du + dv * dv < (0.28 * p) ** 2
        elif spec.kind == "gradient":
            w = np.clip((v + size / 2) / size, 0, 1)
        else:
            raise ValueError(f"unknown texture kind {spec.kind!r}")
    if w.dtype == bool:  # two-colour patterns: pick, no blending (a per-channel LUT is fastest)
        m = np.ascontiguousarray(w).view(np.uint8)
        return cv2.merge(
            [
                cv2.LUT(m, np.array([a, b] + [0] * 254, np.uint8))
                for a, b in zip(spec.color, spec.color2, strict=True)
            ]
        )
    out = c1 + w[..., None] * (c2 - c1)
    return (out + 0.5).astype(np.uint8)


def _draw_logo(tile: np.ndarray, spec: TextureSpec) -> None:
    """A small chest print: a disc or box in the second colour with short text."""
    s = tile.shape[0]
    cx, cy = s // 2, s // 2 - s // 30
    r = s // 14
    if spec.period > 14:
        cv2.circle(tile, (cx, cy), r, spec.color2, -1, cv2.LINE_AA)
        ink = spec.color
    else:
        ink = spec.color2
    scale = s / 420
    (tw, th), _ = cv2.getTextSize(spec.text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    cv2.putText(
        tile, spec.text, (cx - tw // 2, cy + th // 2), cv2.FONT_HERSHEY_SIMPLEX, scale, ink, 1, cv2.LINE_AA
    )


def render_background(
    rng: np.random.Generator, height: int, width: int, kind: str | None = None
) -> np.ndarray:
    """(H, W, 3) uint8 background: plain, vertical/horizontal gradient, or smooth noise."""
    kind = kind or str(rng.choice(BACKGROUNDS, p=(0.45, 0.35, 0.2)))
    light = rng.random() < 0.6  # studio-like light backgrounds dominate DeepFashion
    c1 = np.array(_bg_color(rng, light), np.float32)
    if kind == "plain":
        out = np.empty((height, width, 3), np.uint8)
        out[:] = c1.astype(np.uint8)
        return out
    if kind == "gradient":
        c2 = np.array(_bg_color(rng, light), np.float32)
        t = np.linspace(0, 1, height if rng.random() < 0.7 else width, dtype=np.float32)
        ramp = c1 * (1 - t[:, None]) + c2 * t[:, None]
        if len(t) == height:
            out = np.broadcast_to(ramp[:, None, :], (height, width, 3))
        else:
            out = np.broadcast_to(ramp[None, :, :], (height, width, 3))
        return np.ascontiguousarray(out + 0.5).astype(np.uint8)
    if kind == "noise":
        small = rng.normal(0, 1, (max(2, height // 16), max(2, width // 16), 3)).astype(np.float32)
        noise = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
        fine = rng.normal(0, 4, (height, width, 1)).astype(np.float32)
        return np.clip(c1 + noise * 18 + fine, 0, 255).astype(np.uint8)
    raise ValueError(f"unknown background kind {kind!r}")


def _bg_color(rng: np.random.Generator, light: bool) -> tuple[int, int, int]:
    if light:
        base = rng.uniform(180, 250)
        tint = rng.normal(0, 8, 3)
    else:
        base = rng.uniform(40, 170)
        tint = rng.normal(0, 25, 3)
    return tuple(int(v) for v in np.clip(base + tint, 0, 255))  # type: ignore[return-value]
