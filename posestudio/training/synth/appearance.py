"""A mannequin's appearance: body proportions, skin, hair, face colours, garments.

Everything that stays the same when one character changes pose. Lengths are in
torso units (one unit = neck to hip centre), so the same character can be drawn
at any size. ``random_appearance(rng)`` samples one character.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posestudio.training.synth.textures import TextureSpec, random_color, random_texture

HAIR_STYLES = ("buzz", "short", "bob", "long", "ponytail", "bun")
SLEEVES = ("none", "short", "long")
BOTTOMS = ("pants", "shorts", "skirt")

# Skin tones from light to deep (RGB); a character's skin is a jittered pick.
_SKIN = np.array([(255, 224, 196), (241, 194, 160), (224, 172, 128), (198, 134, 96),
                  (160, 102, 70), (120, 74, 48), (88, 54, 36)], dtype=np.float64)  # fmt: skip
_HAIR = np.array([(20, 16, 14), (50, 34, 24), (92, 60, 36), (150, 100, 50), (210, 170, 100),
                  (160, 60, 30), (120, 120, 120), (230, 225, 215)], dtype=np.float64)  # fmt: skip


@dataclass(frozen=True)
class Proportions:
    """Bone lengths and limb widths in torso units."""

    shoulder: float = 0.44  # half shoulder width
    hip: float = 0.30  # half hip width
    upper_arm: float = 0.60
    forearm: float = 0.52
    thigh: float = 0.86
    shin: float = 0.84
    neck: float = 0.34  # neck joint to head centre
    head_rx: float = 0.21
    head_ry: float = 0.27
    arm_w: float = 0.19
    forearm_w: float = 0.15
    thigh_w: float = 0.31
    shin_w: float = 0.20
    waist: float = 0.85  # waist width relative to shoulders


@dataclass(frozen=True)
class Appearance:
    """One character. Colours are RGB tuples; textures are garment patterns."""

    body: Proportions
    skin: tuple[int, int, int]
    hair_color: tuple[int, int, int]
    hair_style: str
    eye_color: tuple[int, int, int]
    lip_color: tuple[int, int, int]
    top: TextureSpec
    sleeves: str
    sleeve_len: float  # fraction of the upper arm a short sleeve covers
    top_len: float  # where the top ends, fraction of neck -> hip (about 0.85 .. 1.15)
    bottom_kind: str
    bottom: TextureSpec
    bottom_len: float  # shorts: fraction of thigh; skirt: fraction of thigh + shin
    skirt_flare: float
    tucked: bool
    shoe_color: tuple[int, int, int]
    hair_texture: TextureSpec | None = None  # strands: fine low-contrast stripes along the head axis


def _jitter(rng, base: np.ndarray, amount: float) -> tuple[int, int, int]:
    return tuple(int(v) for v in np.clip(base + rng.normal(0, amount, 3), 0, 255))  # type: ignore[return-value]


def random_proportions(rng: np.random.Generator) -> Proportions:
    u = rng.uniform
    build = u(-1, 1)  # slim .. broad
    return Proportions(
        shoulder=u(0.38, 0.48) + 0.03 * build,
        hip=u(0.26, 0.35),
        upper_arm=u(0.55, 0.66),
        forearm=u(0.48, 0.56),
        thigh=u(0.80, 0.92),
        shin=u(0.78, 0.90),
        neck=u(0.30, 0.37),
        head_rx=u(0.18, 0.23),
        head_ry=u(0.24, 0.29),
        arm_w=u(0.16, 0.21) + 0.02 * build,
        forearm_w=u(0.12, 0.16) + 0.01 * build,
        thigh_w=u(0.27, 0.34) + 0.02 * build,
        shin_w=u(0.17, 0.22),
        waist=u(0.72, 0.95),
    )


def _strands(rng: np.random.Generator, color: tuple[int, int, int]) -> TextureSpec:
    c = np.asarray(color, np.float64)
    dark = tuple(int(v) for v in np.clip(c * rng.uniform(0.72, 0.85), 0, 255))
    return TextureSpec("stripes", color, dark, float(rng.uniform(4.0, 7.0)), 0.0)  # type: ignore[arg-type]


def random_appearance(rng: np.random.Generator) -> Appearance:
    """Sample a character: proportions, colours, hair style, top, bottom, shoes."""
    k = rng.uniform(0, len(_SKIN) - 1)
    i = int(k)
    skin = _SKIN[i] * (1 - (k - i)) + _SKIN[min(i + 1, len(_SKIN) - 1)] * (k - i)
    hair = _HAIR[int(rng.integers(len(_HAIR)))]
    bottom_kind = str(rng.choice(BOTTOMS, p=(0.55, 0.15, 0.3)))
    if bottom_kind == "skirt":
        bottom_len = rng.uniform(0.35, 0.8)
    elif bottom_kind == "shorts":
        bottom_len = rng.uniform(0.35, 0.75)
    else:
        bottom_len = 1.0
    top = random_texture(rng)
    bottom = random_texture(rng, p=(0.6, 0.12, 0.1, 0.05, 0.13, 0.0))
    if rng.random() < 0.5:  # jeans-like bottoms are common
        bottom = TextureSpec("gradient" if rng.random() < 0.5 else "solid", _jitter(rng, np.array([40, 60, 110]), 20),
                             _jitter(rng, np.array([70, 95, 150]), 20), 16.0, 0.0)  # fmt: skip
    hair_color = _jitter(rng, hair, 10)
    return Appearance(
        body=random_proportions(rng),
        skin=_jitter(rng, skin, 6),
        hair_color=hair_color,
        hair_style=str(rng.choice(HAIR_STYLES)),
        eye_color=_jitter(rng, np.array([40, 30, 25]), 15),
        lip_color=_jitter(rng, skin * np.array([0.85, 0.55, 0.55]), 10),
        top=top,
        sleeves=str(rng.choice(SLEEVES, p=(0.3, 0.35, 0.35))),
        sleeve_len=float(rng.uniform(0.35, 0.8)),
        top_len=float(rng.uniform(0.88, 1.12)),
        bottom_kind=bottom_kind,
        bottom=bottom,
        bottom_len=float(bottom_len),
        skirt_flare=float(rng.uniform(0.05, 0.45)),
        tucked=bool(rng.random() < 0.35),
        shoe_color=random_color(rng, dark=float(rng.uniform(0.3, 1.0))),
        hair_texture=_strands(rng, hair_color),
    )
