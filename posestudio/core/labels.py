"""Human-parsing label sets, their palettes, conversions and left/right swaps.

A parsing map is an integer image plus the name of its label set. Conversions
between sets are explicit tables; where the target set splits a label by body
side and the source does not (a LIP glove is "left" or "right" arm only by
where it is), the table says so with :class:`Nearest`: each pixel takes the
nearest of the named target labels already present. Nothing is guessed silently.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from posestudio.errors import InputError


@dataclass(frozen=True)
class LabelSet:
    name: str
    title: str
    names: tuple[str, ...]
    palette: tuple[tuple[int, int, int], ...]
    lr_pairs: tuple[tuple[int, int], ...] = ()

    def __len__(self) -> int:
        return len(self.names)

    def index(self, name: str) -> int:
        return self.names.index(name)

    def swap_table(self) -> np.ndarray:
        """Lookup table mapping every label to its mirror-side label."""
        lut = np.arange(len(self.names), dtype=np.int64)
        for a, b in self.lr_pairs:
            lut[a], lut[b] = b, a
        return lut

    def palette_array(self) -> np.ndarray:
        return np.asarray(self.palette, dtype=np.uint8)


def _pal(*rgb_hex: str) -> tuple[tuple[int, int, int], ...]:
    return tuple(tuple(int(h[i : i + 2], 16) for i in (0, 2, 4)) for h in rgb_hex)  # type: ignore[misc]


# Palettes: distinct, readable colours; LIP/CIHP/ATR use the colours their
# datasets' visualisers made familiar to artists (background black).
SPT10 = LabelSet(
    "spt10",
    "SPT (10 labels)",
    ("background", "face", "hair", "upper clothes", "pants", "skirt",
     "left arm", "right arm", "left leg", "right leg"),
    _pal("000000", "ffaa55", "800000", "ff5500", "0055ff", "00ffff",
         "aaff55", "55ffaa", "ffff00", "ffaa00"),
    ((6, 7), (8, 9)),
)  # fmt: skip

LIP20 = LabelSet(
    "lip20",
    "LIP (20 labels)",
    ("background", "hat", "hair", "glove", "sunglasses", "upper clothes", "dress", "coat",
     "socks", "pants", "jumpsuits", "scarf", "skirt", "face", "left arm", "right arm",
     "left leg", "right leg", "left shoe", "right shoe"),
    _pal("000000", "800000", "ff0000", "005500", "aa0033", "ff5500", "000055", "0077dd",
         "555500", "005555", "553300", "345680", "008000", "0000ff", "33aadd", "00ffff",
         "55ffaa", "aaff55", "ffff00", "ffaa00"),
    ((14, 15), (16, 17), (18, 19)),
)  # fmt: skip

CIHP20 = LabelSet(
    "cihp20",
    "CIHP (20 labels)",
    ("background", "hat", "hair", "glove", "sunglasses", "upper clothes", "dress", "coat",
     "socks", "pants", "torso skin", "scarf", "skirt", "face", "left arm", "right arm",
     "left leg", "right leg", "left shoe", "right shoe"),
    LIP20.palette,
    ((14, 15), (16, 17), (18, 19)),
)  # fmt: skip

ATR18 = LabelSet(
    "atr18",
    "ATR (18 labels)",
    ("background", "hat", "hair", "sunglasses", "upper clothes", "skirt", "pants", "dress",
     "belt", "left shoe", "right shoe", "face", "left leg", "right leg", "left arm",
     "right arm", "bag", "scarf"),
    _pal("000000", "800000", "ff0000", "aa0033", "ff5500", "33aadd", "005555", "000055",
         "aa5500", "ffff00", "ffaa00", "00ff00", "55aaff", "0055ff", "aaff55", "55ffaa",
         "aa00ff", "0000ff"),
    ((9, 10), (12, 13), (14, 15)),
)  # fmt: skip

# The 8-region merge of ADGAN/CASD used by SCM-Net's decomposed style encoder.
SCM8 = LabelSet(
    "scm8",
    "8 regions (ADGAN/SCM-Net)",
    ("background", "hair", "face", "upper clothes", "lower clothes", "arms", "legs", "shoes"),
    _pal("000000", "800000", "ffaa55", "ff5500", "0055ff", "aaff55", "ffff00", "aa00ff"),
)

# Face regions of SCM-Net's edge colorization (scmnet-face, label_set="face8"); a
# CelebAMask-HQ map merges into it by name (docs/ARCHS_PARSING.md).
FACE8 = LabelSet(
    "face8",
    "Face (8 regions)",
    ("background", "hair", "skin", "eyebrows", "eyes", "nose", "mouth", "neck"),
    _pal("000000", "800000", "ffcc99", "663300", "3366ff", "ff9966", "cc0033", "cc9966"),
)

LABEL_SETS: dict[str, LabelSet] = {s.name: s for s in (SPT10, LIP20, ATR18, CIHP20, SCM8, FACE8)}
ALIASES = {"spt": "spt10", "spt-10": "spt10", "lip": "lip20", "atr": "atr18", "cihp": "cihp20",
           "8": "scm8", "adgan8": "scm8", "scm-8": "scm8"}  # fmt: skip


def get(name: str) -> LabelSet:
    key = ALIASES.get(name.lower(), name.lower())
    if key not in LABEL_SETS:
        raise InputError(f"unknown label set {name!r}; known: {', '.join(LABEL_SETS)}")
    return LABEL_SETS[key]


@dataclass(frozen=True)
class Nearest:
    """Conversion entry: each pixel takes the nearest of ``labels`` in the converted map
    (falling back to ``labels[0]`` when none of them is present)."""

    labels: tuple[int, ...]


def _table(src: LabelSet, dst: LabelSet, spec: dict[str, str | tuple[str, ...]]) -> tuple:
    out = []
    for name in src.names:
        target = spec[name]
        out.append(Nearest(tuple(dst.index(t) for t in target)) if isinstance(target, tuple) else dst.index(target))
    return tuple(out)


_BOTH_ARMS, _BOTH_LEGS = ("left arm", "right arm"), ("left leg", "right leg")

_LIP_TO_SPT = {
    "background": "background", "hat": "hair", "hair": "hair", "glove": _BOTH_ARMS,
    "sunglasses": "face", "upper clothes": "upper clothes", "dress": "upper clothes",
    "coat": "upper clothes", "socks": _BOTH_LEGS, "pants": "pants", "jumpsuits": "upper clothes",
    "torso skin": "upper clothes", "scarf": "upper clothes", "skirt": "skirt", "face": "face",
    "left arm": "left arm", "right arm": "right arm", "left leg": "left leg", "right leg": "right leg",
    "left shoe": "left leg", "right shoe": "right leg",
}  # fmt: skip
_ATR_TO_SPT = {**_LIP_TO_SPT, "belt": "upper clothes", "bag": "background"}

_LIP_TO_8 = {
    "background": "background", "hat": "hair", "hair": "hair", "glove": "arms",
    "sunglasses": "face", "upper clothes": "upper clothes", "dress": "upper clothes",
    "coat": "upper clothes", "socks": "legs", "pants": "lower clothes", "jumpsuits": "upper clothes",
    "torso skin": "upper clothes", "scarf": "upper clothes", "skirt": "lower clothes", "face": "face",
    "left arm": "arms", "right arm": "arms", "left leg": "legs", "right leg": "legs",
    "left shoe": "shoes", "right shoe": "shoes", "belt": "upper clothes", "bag": "background",
}  # fmt: skip
_SPT_TO_8 = {
    "background": "background", "face": "face", "hair": "hair", "upper clothes": "upper clothes",
    "pants": "lower clothes", "skirt": "lower clothes", "left arm": "arms", "right arm": "arms",
    "left leg": "legs", "right leg": "legs",
}  # fmt: skip
_SPT_TO_LIP = {
    "background": "background", "face": "face", "hair": "hair", "upper clothes": "upper clothes",
    "pants": "pants", "skirt": "skirt", "left arm": "left arm", "right arm": "right arm",
    "left leg": "left leg", "right leg": "right leg",
}  # fmt: skip
_SPT_TO_ATR = _SPT_TO_LIP
_8_TO_SPT = {
    "background": "background", "hair": "hair", "face": "face", "upper clothes": "upper clothes",
    "lower clothes": "pants", "arms": _BOTH_ARMS, "legs": _BOTH_LEGS, "shoes": _BOTH_LEGS,
}  # fmt: skip

# (src, dst) -> per-source-label target (int or Nearest). Pairs not listed go through SPT-10.
CONVERSIONS: dict[tuple[str, str], tuple] = {
    ("lip20", "spt10"): _table(LIP20, SPT10, _LIP_TO_SPT),
    ("cihp20", "spt10"): _table(CIHP20, SPT10, _LIP_TO_SPT),
    ("atr18", "spt10"): _table(ATR18, SPT10, _ATR_TO_SPT),
    ("lip20", "scm8"): _table(LIP20, SCM8, _LIP_TO_8),
    ("cihp20", "scm8"): _table(CIHP20, SCM8, _LIP_TO_8),
    ("atr18", "scm8"): _table(ATR18, SCM8, _LIP_TO_8),
    ("spt10", "scm8"): _table(SPT10, SCM8, _SPT_TO_8),
    ("spt10", "lip20"): _table(SPT10, LIP20, _SPT_TO_LIP),
    ("spt10", "cihp20"): _table(SPT10, CIHP20, _SPT_TO_LIP),
    ("spt10", "atr18"): _table(SPT10, ATR18, _SPT_TO_ATR),
    ("scm8", "spt10"): _table(SCM8, SPT10, _8_TO_SPT),
}


def _apply(label_map: np.ndarray, table: tuple) -> np.ndarray:
    lut = np.array([t if isinstance(t, int) else -1 for t in table], dtype=np.int64)
    out = lut[label_map]
    for src, t in enumerate(table):
        if not isinstance(t, Nearest):
            continue
        todo = label_map == src
        if not todo.any():
            continue
        best_d = np.full(label_map.shape, np.inf, dtype=np.float32)
        choice = np.full(label_map.shape, t.labels[0], dtype=np.int64)
        for lab in t.labels:
            present = out == lab
            if not present.any():
                continue
            dist = cv2.distanceTransform((~present).astype(np.uint8), cv2.DIST_L2, 3)
            closer = dist < best_d
            best_d[closer], choice[closer] = dist[closer], lab
        out[todo] = choice[todo]
    return out


def convert(label_map: np.ndarray, src: str, dst: str) -> np.ndarray:
    """Convert an integer label map from set ``src`` to set ``dst`` (uint8 result)."""
    s, d = get(src), get(dst)
    arr = np.asarray(label_map)
    if arr.ndim != 2:
        raise InputError(f"a label map must be 2-D, got shape {arr.shape}")
    if arr.size and (arr.min() < 0 or arr.max() >= len(s)):
        raise InputError(f"label map has values up to {int(arr.max())}, but {s.title} has {len(s)} labels")
    arr = arr.astype(np.int64)
    if s.name == d.name:
        return arr.astype(np.uint8)
    if (s.name, d.name) in CONVERSIONS:
        return _apply(arr, CONVERSIONS[(s.name, d.name)]).astype(np.uint8)
    if s.name != "spt10" and d.name != "spt10":
        return convert(convert(arr, s.name, "spt10"), "spt10", d.name)
    raise InputError(f"no conversion from {s.title} to {d.title}")


def mirror(label_map: np.ndarray, label_set: str) -> np.ndarray:
    """Flip a label map horizontally and swap left/right labels."""
    lut = get(label_set).swap_table()
    return lut[np.asarray(label_map)[:, ::-1]].astype(np.asarray(label_map).dtype)


def colorize(label_map: np.ndarray, label_set: str) -> np.ndarray:
    """RGB preview (H, W, 3) uint8 of a label map."""
    pal = get(label_set).palette_array()
    return pal[np.clip(np.asarray(label_map), 0, len(pal) - 1)]


def one_hot(label_map: np.ndarray, label_set: str) -> np.ndarray:
    """(C, H, W) float32 one-hot encoding in the set's label order."""
    n = len(get(label_set))
    arr = np.asarray(label_map).astype(np.int64)
    return (np.arange(n)[:, None, None] == arr[None]).astype(np.float32)
