"""The real-photo record a model needs before ``auto`` may pick it (``posestudio eval --realpairs``).

On a folder in the real-pairs layout (``images/``, ``annotations.csv`` in the
pose-transfer CSV format, ``pairs.csv`` with ``from,to`` rows; e.g.
``../shared/samples/realpairs``) it measures what ``../shared/tools/realcheck.py``
measures, through the engine as the app runs it:

1. pose transfer: SSIM (skimage's defaults: the ``ssim-plain`` metric) and PSNR against
   the real target on the centre 176 columns (40..215), for the model and for the
   weight-free engine in the same run; same-facing and turning pairs separately;
2. identity and locality (:mod:`posestudio.engine.photo_checks`) on the first photos.

Research data: evaluate on it, never train shipped weights on it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from posestudio.core.pose import Pose
from posestudio.errors import InputError, describe

COLUMNS = slice(40, 216)  # the centre 176 columns of the 256-wide photos, as the papers score
FACE_JOINTS = (0, 14, 15)  # nose, eyes: a visible one means the person faces the camera


def is_realpairs(folder: str | Path) -> bool:
    f = Path(folder)
    return (f / "pairs.csv").is_file() and (f / "annotations.csv").is_file() and (f / "images").is_dir()


def load(folder: str | Path) -> tuple[dict[str, Pose], list[tuple[str, str]]]:
    """(poses by image name, (source, target) pairs) of a real-pairs folder."""
    from posestudio.core.formats import read_poses

    folder = Path(folder)
    if not is_realpairs(folder):
        raise InputError("not a real-pairs folder (needs images/, annotations.csv and pairs.csv)", folder)
    pairs = []
    for line in (folder / "pairs.csv").read_text().splitlines()[1:]:
        parts = [p.strip() for p in line.split(",")]
        if len(parts) >= 2 and parts[0]:
            pairs.append((parts[0], parts[1]))
    names = sorted({n for p in pairs for n in p})
    poses = {n: read_poses(folder / "annotations.csv", name=n).people[0] for n in names}
    return poses, pairs


def _image(folder: Path, name: str) -> np.ndarray:
    from PIL import Image

    try:
        return np.asarray(Image.open(folder / "images" / name).convert("RGB"))
    except OSError as exc:
        raise InputError(f"cannot read the photo: {describe(exc)}", folder / "images" / name) from None


def faces_camera(pose: Pose) -> bool:
    return bool(pose.visible[list(FACE_JOINTS)].any())


def _mean(rows: list[tuple[float, float]]) -> dict:
    if not rows:
        return {"ssim": None, "psnr": None, "pairs": 0}
    return {"ssim": round(float(np.mean([r[0] for r in rows])), 4),
            "psnr": round(float(np.mean([r[1] for r in rows])), 3), "pairs": len(rows)}  # fmt: skip


def evaluate(generates: dict, folder: str | Path, pairs: int = 100, photos: int = 8) -> dict:
    """Score each ``generate`` (name -> ``generate(image, source_pose, target_pose) -> image``)
    on the first ``pairs`` pairs and run identity/locality on the first ``photos`` sources
    with a visible forearm. {"pairs", "rows": {name: {ssim, psnr, same, turn, identity, locality}}}."""
    from posestudio.engine.photo_checks import forearm_bend, identity_check, locality_check
    from posestudio.training.metrics import get_metric

    folder = Path(folder)
    poses, all_pairs = load(folder)
    todo = all_pairs[: max(pairs, 1)]
    ssim, psnr = get_metric("ssim-plain"), get_metric("psnr")
    scores: dict[str, dict[str, list]] = {n: {"same": [], "turn": []} for n in generates}
    for s, t in todo:
        src, tgt = _image(folder, s), _image(folder, t)[:, COLUMNS]
        split = "same" if faces_camera(poses[s]) == faces_camera(poses[t]) else "turn"
        for name, gen in generates.items():
            out = gen(src, poses[s], poses[t])[:, COLUMNS]
            scores[name][split].append((ssim(out, tgt), psnr(out, tgt)))
    checked: list[tuple[np.ndarray, Pose]] = []
    names: list[str] = []
    for s, _ in todo:
        if len(names) >= photos or s in names:
            continue
        img = _image(folder, s)
        if forearm_bend(poses[s], *img.shape[:2]) is not None:
            names.append(s)
            checked.append((img, poses[s]))
    rows = {}
    for name, gen in generates.items():
        sc = scores[name]
        rows[name] = {**_mean(sc["same"] + sc["turn"]), "same": _mean(sc["same"]), "turn": _mean(sc["turn"]),
                      "identity": identity_check(gen, checked), "locality": locality_check(gen, checked)}  # fmt: skip
    return {"pairs": len(todo), "photos": names, "rows": rows}


def card_record(result: dict, model: str, engine: str = "puppet", data: str = "", command: str = "") -> dict:
    """The ``metrics["realpairs"]`` block of ``model``'s card from :func:`evaluate`'s result:
    the model's and the engine's scores, identity and locality (what ``auto`` checks)."""
    rows = result["rows"]
    if model not in rows or engine not in rows:
        raise InputError(f"the real-pair result lacks the {model!r} or the {engine!r} row")
    m, e = rows[model], rows[engine]
    pick = ("ssim", "psnr", "same", "turn")
    return {
        "data": data, "pairs": result["pairs"], "measure": "skimage SSIM (7x7, RGB, range 255) and PSNR on columns "
        "40..215; identity = same pose in, photo out; locality = forearm bent 35 deg, share changed by > 12 outside "
        "the forearm capsules (pass <= 2 % per photo, <= 0.5 % mean)",
        "model": {k: m[k] for k in pick}, "engine": {k: e[k] for k in pick},
        "identity": m["identity"], "locality": m["locality"],
        "engine_identity": e["identity"], "engine_locality": e["locality"], "command": command,
    }  # fmt: skip


def table(result: dict) -> str:
    """Markdown table of :func:`evaluate`'s result."""
    lines = ["| model | SSIM | PSNR | same-facing SSIM / PSNR | turning SSIM / PSNR | identity max diff | "
             "locality mean / max | passes |", "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for name, r in result["rows"].items():
        loc, idn = r["locality"], r["identity"]
        f = lambda d: f"{d['ssim']:.3f} / {d['psnr']:.2f} (n={d['pairs']})" if d["pairs"] else "-"  # noqa: E731
        lm = f"{100 * loc['mean']:.2f} % / {100 * loc['max']:.2f} %" if loc["photos"] else "-"
        ok = "identity " + ("yes" if idn["pass"] else "no") + ", locality " + ("yes" if loc["pass"] else "no")
        lines.append(f"| {name} | {r['ssim']:.3f} | {r['psnr']:.2f} | {f(r['same'])} | {f(r['turn'])} | "
                     f"{idn['max_diff']} | {lm} | {ok} |")  # fmt: skip
    lines.append(f"({result['pairs']} pairs; identity/locality on {len(result['photos'])} photos)")
    return "\n".join(lines)


def write_record(card_path: str | Path, record: dict) -> None:
    """Put ``record`` into the card's ``metrics["realpairs"]`` (atomically; weights untouched)."""
    from posestudio.engine import store
    from posestudio.engine.cards import ModelCard

    card = ModelCard.load(card_path)
    card.metrics = {**card.metrics, "realpairs": record}
    card.save(card_path)
    store.forget()


def dumps(result: dict) -> str:
    return json.dumps(result, indent=2) + "\n"
