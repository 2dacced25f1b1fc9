"""``RUN/material.json``: the frames a personal model learns from, and what was left out.

For each picture of the source (:mod:`.source`): detection (:func:`engine.detect.detect_people`)
gives the most prominent person's whole-body pose and matte, and
:func:`engine.edit.parsing.estimate` a first parsing map (SPT-10). A picture without a
person, or whose body joints the detector is unsure of (mean confidence below
``MIN_CONFIDENCE``), is left out and listed with the reason. Every ``1/holdout`` frame
(evenly spaced, at least one) is held out: never trained on, scored at the end.

The file (written atomically; docs/PERSONAL.md, "Run folder contract")::

    {"source": str, "frames": [{"file": "frames/000000.png", "pose": {...project pose codec...},
      "matte": "mattes/000000.png", "parsing": "parsing/000000.png" | null, "holdout": bool,
      "origin": "frame 17" | "IMG_0001.jpg"}],
     "left_out": [{"what": ..., "why": ...}], "notes": [str]}

An existing ``material.json`` (poses corrected by the artist in the window) is read back
as it is: nothing is detected again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from posestudio.core.pose import Pose
from posestudio.errors import InputError, describe

MATERIAL = "material.json"
MIN_CONFIDENCE = 0.4
HOLDOUT_SHARE = 0.1
MIN_FRAMES = 3  # two to train on (a pair) and one held out
FEW_FRAMES = 20  # below this the run says the material is thin
BODY_JOINTS = tuple(range(1, 14))  # neck to ankles: the joints a pose stands on


@dataclass
class Frame:
    file: str
    pose: Pose
    matte: str
    parsing: str | None
    holdout: bool
    origin: str = ""


@dataclass
class Material:
    source: str
    frames: list[Frame]
    left_out: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    root: Path | None = None  # the run folder the relative paths start from

    @property
    def train_frames(self) -> list[int]:
        return [i for i, f in enumerate(self.frames) if not f.holdout]

    @property
    def holdout_frames(self) -> list[int]:
        return [i for i, f in enumerate(self.frames) if f.holdout]

    def image(self, i: int) -> np.ndarray:
        from posestudio.core.project import read_image

        return np.ascontiguousarray(read_image(self.root / self.frames[i].file)[:, :, :3])

    def parsing(self, i: int) -> np.ndarray | None:
        from posestudio.core.formats import label_png

        p = self.frames[i].parsing
        return None if p is None else label_png.read(self.root / p, "spt10")

    def to_json(self) -> dict:
        from posestudio.core.project import pose_to_json

        return {"source": self.source,
                "frames": [{"file": f.file, "pose": pose_to_json(f.pose), "matte": f.matte, "parsing": f.parsing,
                            "holdout": f.holdout, "origin": f.origin} for f in self.frames],
                "left_out": self.left_out, "notes": self.notes}  # fmt: skip

    def save(self, run_dir: str | Path) -> Path:
        from posestudio.core.formats import atomic_write_text

        path = Path(run_dir) / MATERIAL
        atomic_write_text(path, json.dumps(self.to_json(), indent=1) + "\n")
        return path


def load(run_dir: str | Path) -> Material:
    """``RUN/material.json`` as written here or corrected in the window; checked for what
    training needs (files present, at least one held-out and two training frames)."""
    from posestudio.core.formats import load_json
    from posestudio.core.project import pose_from_json

    run_dir = Path(run_dir)
    path = run_dir / MATERIAL
    data = load_json(path, what="material file")
    try:
        frames = [Frame(str(f["file"]), pose_from_json(f["pose"]), str(f.get("matte") or ""),
                        None if f.get("parsing") is None else str(f["parsing"]), bool(f["holdout"]),
                        str(f.get("origin", ""))) for f in data["frames"]]  # fmt: skip
        mat = Material(str(data.get("source", "")), frames, list(data.get("left_out", [])),
                       [str(n) for n in data.get("notes", [])], run_dir)  # fmt: skip
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise InputError(f"malformed material file: {describe(exc)}", path) from None
    for f in mat.frames:
        for rel in (f.file, f.parsing):
            if rel is None:
                continue
            p = (run_dir / rel).resolve()
            if run_dir.resolve() not in p.parents or not p.is_file():
                raise InputError(f"material frame file {rel!r} is missing or outside the run folder", path)
    check_enough(mat, path)
    return mat


def check_enough(mat: Material, path) -> None:
    n = len(mat.frames)
    if n < MIN_FRAMES:
        why = "; ".join(f"{d['what']}: {d['why']}" for d in mat.left_out[:3])
        raise InputError(f"only {n} usable picture(s) of the character: at least {MIN_FRAMES} are needed (two to "
                         f"train on, one held out to check the model)" + (f"; left out: {why}" if why else ""), path)
    if not mat.holdout_frames or len(mat.train_frames) < 2:
        raise InputError("the material needs at least one held-out frame and two frames to train on", path)


def holdout_indices(n: int, share: float = HOLDOUT_SHARE, count: int | None = None) -> list[int]:
    """Evenly spaced held-out frames: ``count`` or ``round(share * n)``, at least 1, leaving 2 to train."""
    k = int(count) if count is not None else int(round(share * n))
    k = max(1, min(k, n - 2))
    return sorted({min(n - 1, int((j + 0.5) * n / k)) for j in range(k)})


def pose_confidence(confidence: np.ndarray) -> float:
    return float(np.mean(np.asarray(confidence)[list(BODY_JOINTS)]))


def _png(path: Path, image: np.ndarray) -> None:
    from posestudio.core.formats.atomic import atomic_write_bytes

    arr = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    ok, buf = cv2.imencode(".png", arr)
    if not ok:
        raise InputError("could not encode the picture as PNG", path)
    atomic_write_bytes(path, buf.tobytes())


def prepare(source: str | Path, run_dir: str | Path, holdout: int | None = None, share: float = HOLDOUT_SHARE,
            max_frames: int | None = None, say: Callable[[str, int, int], None] | None = None,
            stop: Callable[[], bool] | None = None) -> Material:  # fmt: skip
    """Read ``source``, detect, estimate parsing, choose the held-out frames and write
    ``RUN/material.json`` (+ frames/, mattes/, parsing/). ``say(message, done, total)``
    reports progress; ``stop()`` true cancels (InterruptedError)."""
    from posestudio.core.formats import label_png
    from posestudio.engine.detect import detect_people, installed, whole_body_pose
    from posestudio.engine.edit.parsing import estimate
    from posestudio.training.personal.source import MAX_FRAMES, pictures

    run_dir = Path(run_dir)
    if not installed():
        from posestudio.engine.detect import INSTALL_HINT

        raise InputError(f"the person detector is not installed: {INSTALL_HINT}")
    for sub in ("frames", "mattes", "parsing"):
        (run_dir / sub).mkdir(parents=True, exist_ok=True)
    kept: list[Frame] = []
    left_out: list[dict] = []
    crowded: list[str] = []  # pictures with more than one person: the most prominent is used
    seen = 0
    pics = pictures(source, max_frames or MAX_FRAMES)
    for pic in pics:
        if stop is not None and stop():
            raise InterruptedError("cancelled while preparing the material")
        seen += 1
        if say is not None:
            say(f"detecting the person in {pic.label}", seen, max_frames or MAX_FRAMES)
        if pic.image is None:
            left_out.append({"what": pic.label, "why": f"unreadable: {pic.problem}"})
            continue
        people = detect_people(pic.image, hands=True, face=True, max_people=2)
        if not people:
            left_out.append({"what": pic.label, "why": "no person"})
            continue
        person = people[0]
        conf = pose_confidence(person.confidence)
        if conf < MIN_CONFIDENCE:
            left_out.append({"what": pic.label, "why": f"pose confidence {conf:.2f} < {MIN_CONFIDENCE}"})
            continue
        k = len(kept)
        name = f"{k:06d}.png"
        pose = whole_body_pose(person)
        matte = person.matte > 0.5
        _png(run_dir / "frames" / name, pic.image)
        _png(run_dir / "mattes" / name, (np.clip(person.matte, 0, 1) * 255).round().astype(np.uint8))
        label_png.write(run_dir / "parsing" / name, estimate(pic.image, pose, "spt10", matte=matte), "spt10")
        kept.append(Frame(f"frames/{name}", pose, f"mattes/{name}", f"parsing/{name}", False, pic.label))
        if len(people) > 1:
            crowded.append(pic.label)
    for i in holdout_indices(len(kept), share, holdout) if len(kept) >= MIN_FRAMES else []:
        kept[i].holdout = True
    mat = Material(str(source), kept, left_out, [], run_dir)
    mat.notes = material_notes(mat, seen)
    if crowded:
        mat.notes.append(f"{len(crowded)} picture(s) show more than one person (e.g. {crowded[0]}): the most "
                         "prominent one is used; check the poses")
    if not kept:
        raise InputError(f"no person found in any of the {seen} picture(s)"
                         + (f" ({left_out[0]['what']}: {left_out[0]['why']})" if left_out else ""), source)
    check_enough(mat, source)
    mat.save(run_dir)
    return mat


def material_notes(mat: Material, seen: int) -> list[str]:
    n, h = len(mat.frames), len(mat.holdout_frames)
    notes = [f"{n} of {seen} picture(s) used: {n - h} to train on, {h} held out"]
    if n < FEW_FRAMES:
        notes.append(f"little material: {n} frames (a personal model wants {FEW_FRAMES} or more; a short video "
                     "of the character turning and moving gives them); the held-out check says whether it helped")
    return notes
