"""Any image + pose -> the tensors a generator expects, and its output -> back into the canvas.

The person is cropped from the canvas around both poses (source and target
live in the same canvas), scaled to the model's aspect and resolution; poses
are mapped into that crop (keypoints stay in source pixels everywhere else)
and turned into Gaussian heatmaps (``core.pose.heatmaps``, sigma 6 at 256
rows as PATN/PoNA use), parsing maps are converted into the model's label set
(``core.labels.convert``) and one-hot encoded. When the canvas already has
the model's size the mapping is the identity: no crop, no resampling (so the
PoNA parity vectors hold bit for bit). The generated crop is pasted back into
the full canvas with a feathered edge.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from posestudio.core import labels
from posestudio.core.pose import Pose, body_mask, heatmaps
from posestudio.engine.results import Request

# a pixel the engine moved by more than this (any channel) is one it changed; smaller
# differences are resampling and feathering, not a change of the picture
CHANGED_LEVEL = 12


@dataclass
class Frame:
    """The mapping canvas -> model input: ``matrix`` (2x3) takes canvas pixels to model pixels."""

    matrix: np.ndarray
    model_size: tuple[int, int]  # (h, w)
    canvas_size: tuple[int, int]  # (H, W)

    @property
    def identity(self) -> bool:
        return self.model_size == self.canvas_size and np.allclose(self.matrix, [[1, 0, 0], [0, 1, 0]])

    @property
    def scale(self) -> float:
        return float(self.matrix[0, 0])

    def pose(self, pose: Pose) -> Pose:
        return pose if self.identity else pose.transformed(self.matrix)


def frame_for(model_size: tuple[int, int], canvas_size: tuple[int, int], poses: list[Pose | None]) -> Frame:
    """The crop of the canvas the model sees: identity when the sizes agree; else a box
    around the visible joints of ``poses`` with room for hair and feet, at the model's
    aspect; a figure taller than 3/4 of the canvas keeps the full canvas height."""
    h, w = model_size
    H, W = canvas_size
    if (h, w) == (H, W):
        return Frame(np.array([[1.0, 0, 0], [0, 1.0, 0]]), (h, w), (H, W))
    pts = [p.xy[p.visible] for p in poses if p is not None and p.visible.any()]
    aspect = w / h
    if pts:
        allp = np.concatenate(pts)
        x0, y0 = allp.min(0)
        x1, y1 = allp.max(0)
        bh = max(y1 - y0, (x1 - x0) / aspect, 8.0)
        y0, y1 = y0 - 0.25 * bh, y1 + 0.15 * bh
        cx = (x0 + x1) / 2
        bh = y1 - y0
        if 0.75 * H < bh <= 1.1 * H:  # a figure that fills the canvas: take its full height
            y0, bh = 0.0, float(H)
        bw = max(bh * aspect, (x1 - x0) * 1.2)
        bh = bw / aspect
    else:  # letterbox the whole canvas
        bw, bh = (W, W / aspect) if W / H > aspect else (H * aspect, H)
        cx, y0 = W / 2, (H - bh) / 2
    s = h / bh
    x0 = cx - bw / 2
    m = np.array([[s, 0.0, -s * x0], [0.0, s, -s * y0]])
    return Frame(m, (h, w), (H, W))


def _warp(arr: np.ndarray, frame: Frame, nearest: bool = False) -> np.ndarray:
    if frame.identity:
        return arr
    h, w = frame.model_size
    interp = cv2.INTER_NEAREST if nearest else (cv2.INTER_AREA if frame.scale < 1 else cv2.INTER_LINEAR)
    if interp == cv2.INTER_AREA:
        # warpAffine has no area filter: pre-shrink by the scale, then place
        s = frame.scale
        small = cv2.resize(arr, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
        m = frame.matrix.copy()
        m[:, :2] = np.eye(2)
        m[:, 2] = frame.matrix[:, 2]
        return cv2.warpAffine(small, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    border = cv2.BORDER_CONSTANT if nearest else cv2.BORDER_REPLICATE
    return cv2.warpAffine(arr, frame.matrix, (w, h), flags=interp, borderMode=border, borderValue=0)


def image_tensor(img: np.ndarray) -> np.ndarray:
    """uint8 HxWx3 RGB -> float32 (1, 3, H, W) in [-1, 1] (x / 255 * 2 - 1)."""
    return (np.asarray(img, np.float32).transpose(2, 0, 1)[None] / 255.0 * 2.0 - 1.0).astype(np.float32)


def tensor_image(t: np.ndarray) -> np.ndarray:
    """float (1, 3, H, W) in [-1, 1] -> uint8 HxWx3: round((y + 1) / 2 * 255)."""
    x = np.asarray(t, np.float32)[0].transpose(1, 2, 0)
    return np.clip(np.rint((x + 1.0) / 2.0 * 255.0), 0, 255).astype(np.uint8)


def _role(name: str) -> str:
    for role in ("target", "reference", "source"):
        if name.startswith(role) or name.startswith(role[:3] + "_"):
            return role
    return "source"


def prepare_inputs(specs: dict, req: Request, frame: Frame, extras: dict | None = None) -> dict[str, np.ndarray]:
    """float32 (1, C, h, w) arrays for each named input in ``specs`` (name ->
    InputSpec or dict with channels/kind/label_set). The role (source, target,
    reference) is the name's prefix, the content its kind; ``prior`` is the weight-free
    engine's answer to the whole request (what the refiner archs correct) and
    ``prior_visibility`` its visibility layer (1 where the warped body shows, 0 where the
    background fill does). The runner passes that answer in ``extras["prior"]``; without
    it the engine runs here."""
    h, w = frame.model_size
    sigma = 6.0 * h / 256.0
    poses = {"source": req.source_pose, "target": req.target_pose}
    out: dict[str, np.ndarray] = {}
    prior = (extras or {}).get("prior")  # the weight-free answer, made once when a model asks for it
    for name, spec in specs.items():
        kind = spec["kind"] if isinstance(spec, dict) else spec.kind
        ch = int(spec["channels"] if isinstance(spec, dict) else spec.channels)
        lset = (spec.get("label_set") if isinstance(spec, dict) else spec.label_set) or req.label_set
        role = _role(name)
        if kind == "image":
            img = req.reference_image if role == "reference" else req.source_image
            if img is None:
                raise ValueError(f"the model needs {name!r} (an image) and the request has none")
            if role == "reference" and img.shape[:2] != frame.canvas_size:
                img = cv2.resize(img, frame.canvas_size[::-1], interpolation=cv2.INTER_AREA)
            out[name] = image_tensor(_warp(img, frame))
        elif kind in ("prior", "prior_visibility"):
            if prior is None:
                from posestudio.engine.backends.puppet import run_puppet

                prior = run_puppet(req)
                if extras is not None:
                    extras["prior"] = prior  # the full-size answer, for paste_correction
            if kind == "prior":
                out[name] = image_tensor(_warp(prior.image, frame))
            else:
                vis = prior.layers["visibility"].astype(np.float32)
                out[name] = _warp(vis, frame)[None, None].astype(np.float32)
        elif kind == "heatmaps":
            if ch == 36:  # PATN/PoNA pose input: cat(source, target)
                hm = [heatmaps(frame.pose(poses[r]), h, w, sigma) for r in ("source", "target")]
                out[name] = np.concatenate(hm)[None]
            else:
                pose = poses.get(role) or req.source_pose
                if pose is None:
                    raise ValueError(f"the model needs {name!r} and the request has no {role} pose")
                out[name] = heatmaps(frame.pose(pose), h, w, sigma)[None]
        elif kind == "parsing":
            par = {"source": req.source_parsing, "target": req.target_parsing,
                   "reference": req.reference_parsing}[role]  # fmt: skip
            if par is None:
                raise ValueError(f"the model needs {name!r} (a parsing map) and the request has none")
            if role == "reference" and par.shape != frame.canvas_size:
                par = cv2.resize(
                    par.astype(np.uint8), frame.canvas_size[::-1], interpolation=cv2.INTER_NEAREST
                )
            par = labels.convert(np.asarray(par), req.label_set, lset)
            par = _warp(par.astype(np.uint8), frame, nearest=True)
            oh = labels.one_hot(par, lset)
            if oh.shape[0] != ch:
                raise ValueError(f"{name!r}: label set {lset} has {oh.shape[0]} labels, the model wants {ch}")
            out[name] = oh[None]
        elif kind == "mask":
            if "region" in name and req.region is not None and req.source_parsing is not None:
                lab = labels.get(req.label_set).index(req.region)
                m = (np.asarray(req.source_parsing) == lab).astype(np.uint8)
                m = _warp(m, frame, nearest=True)
            else:
                pose = poses.get(role) or req.source_pose
                m = body_mask(frame.pose(pose), h, w) if pose is not None else np.ones((h, w), np.uint8)
            out[name] = m.astype(np.float32)[None, None]
        elif kind == "edges":
            e = req.edges
            if e is None:
                raise ValueError(f"the model needs {name!r} (an edge map) and the request has none")
            e = np.asarray(e)
            if e.ndim == 3:
                e = e.mean(2)
            e = e.astype(np.float32) / (255.0 if e.max() > 1 else 1.0)
            out[name] = _warp(e, frame)[None, None].astype(np.float32)
        else:
            raise ValueError(f"input {name!r} has a kind the engine cannot prepare: {kind!r}")
    return out


def feather_mask(frame: Frame, width: float | None = None) -> np.ndarray:
    """float32 HxW alpha of the model's crop in the canvas: 1 inside, ramping to 0
    over ``width`` canvas pixels at crop edges that lie inside the canvas."""
    H, W = frame.canvas_size
    h, w = frame.model_size
    if frame.identity:
        return np.ones((H, W), np.float32)
    width = width or max(2.0, 0.04 * min(h, w) / frame.scale)
    box = np.ones((h, w), np.float32)
    box = cv2.warpAffine(
        box, frame.matrix, (W, H), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderValue=0
    )
    inside = (box > 0.5).astype(np.uint8)
    padded = cv2.copyMakeBorder(inside, 1, 1, 1, 1, cv2.BORDER_REPLICATE)  # canvas edges are not crop edges
    dist = cv2.distanceTransform(padded, cv2.DIST_L2, 3)[1:-1, 1:-1]
    return np.clip(dist / width, 0, 1).astype(np.float32)


def paste_back(model_image: np.ndarray, frame: Frame, canvas: np.ndarray) -> np.ndarray:
    """The model's uint8 hxwx3 output placed into ``canvas`` (uint8 HxWx3) with a feathered edge."""
    if frame.identity:
        return np.ascontiguousarray(model_image)
    H, W = frame.canvas_size
    back = cv2.warpAffine(
        model_image, frame.matrix, (W, H), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )  # fmt: skip
    a = feather_mask(frame)[..., None]
    return np.clip(np.rint(a * back + (1 - a) * canvas.astype(np.float32)), 0, 255).astype(np.uint8)


def paste_correction(model_image: np.ndarray, model_prior: np.ndarray, frame: Frame, prior: np.ndarray) -> np.ndarray:
    """A refiner's output at the canvas size without losing the canvas resolution: its
    correction (model output - model-size prior, float (1, 3, h, w) in [-1, 1]) is
    resampled into the canvas and added to the full-size ``prior`` (uint8 HxWx3). With an
    identity frame this is the model's own image."""
    delta = (np.asarray(model_image, np.float32) - np.asarray(model_prior, np.float32))[0].transpose(1, 2, 0)
    delta = paste_layer(np.ascontiguousarray(delta * 127.5), frame)
    return np.clip(np.rint(prior.astype(np.float32) + delta), 0, 255).astype(np.uint8)


def confine_to_changes(refined: np.ndarray, engine: np.ndarray, source: np.ndarray,
                       grow: float | None = None) -> np.ndarray:
    """A refiner's answer kept only near what the engine changed: ``engine`` + the
    refiner's correction inside the pixels the engine changed (by more than CHANGED_LEVEL)
    grown by ``grow`` canvas pixels (default 0.8 % of the longer side, at least 2) and
    ramped to 0 over as many again. Everywhere else the engine's own pixels come back bit
    for bit, so a refiner cannot paint halos or grey faces across the photo."""
    src, eng = np.asarray(source), np.asarray(engine)
    changed = (np.abs(eng.astype(np.int16) - src.astype(np.int16)) > CHANGED_LEVEL).any(-1)
    if not changed.any():
        return eng.copy()
    H, W = changed.shape
    grow = grow if grow is not None else max(2.0, 0.008 * max(H, W))
    dist = cv2.distanceTransform((~changed).astype(np.uint8), cv2.DIST_L2, 5)
    alpha = np.clip(1.0 - (dist - grow) / grow, 0.0, 1.0)[..., None]
    out = eng.astype(np.float32) + alpha * (np.asarray(refined, np.float32) - eng.astype(np.float32))
    out = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    keep = alpha[..., 0] == 0
    out[keep] = eng[keep]
    return out


def paste_layer(layer: np.ndarray, frame: Frame, nearest: bool = False) -> np.ndarray:
    """A model-space layer (h x w [x C]) resampled into the canvas (zeros outside the crop)."""
    if frame.identity:
        return layer
    H, W = frame.canvas_size
    flags = (cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR) | cv2.WARP_INVERSE_MAP
    return cv2.warpAffine(layer, frame.matrix, (W, H), flags=flags, borderValue=0)
