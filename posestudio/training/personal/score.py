"""The held-out check: the personal model against the weight-free engine on frames it never saw.

Each held-out frame is posed from training frames of the same material
(:func:`.pairs.holdout_pairs`), once by the personal model and once by the engine, both
through the engine's runner as the app runs them; scored with the metrics the real-pair
record uses (``ssim-plain``: scikit-image's SSIM, and ``psnr``; :mod:`training.metrics`)
on the whole frame. Identity and locality (:mod:`engine.photo_checks`) run on the
held-out frames. ``wins``: better in both SSIM and PSNR, passes identity, and changes
no more outside the bent forearm than the engine does (or passes locality outright).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from posestudio.training.personal.material import Material
from posestudio.training.personal.pairs import holdout_pairs

SCORE = "score.json"


def _request(mat: Material, s: int, t: int):
    from posestudio.engine.results import Request

    return Request(task="pose", model="puppet", source_image=mat.image(s), source_pose=mat.frames[s].pose,
                   target_pose=mat.frames[t].pose, source_parsing=mat.parsing(s), label_set="spt10")  # fmt: skip


def generators(card, device: str = "cpu") -> dict:
    """{"personal": generate, "engine": generate} (``photo_checks.Generate``) for ``card``."""
    from posestudio.engine.results import Request
    from posestudio.engine.runner import Runner

    runner = Runner(device=device)

    def make(use_card):
        def generate(image, source_pose, target_pose, parsing=None):
            req = Request(task="pose", model="puppet" if use_card is None else use_card.name, source_image=image,
                          source_pose=source_pose, target_pose=target_pose, source_parsing=parsing)  # fmt: skip
            return runner.run(req, card=use_card).image

        return generate

    return {"personal": make(card), "engine": make(None)}


def wins(record: dict) -> bool:
    """The verdict from a score record (also what :func:`engine.cards.personal_verdict` recomputes)."""
    from posestudio.engine.cards import personal_wins

    return personal_wins(record)


def score(mat: Material, card, device: str = "cpu", say=None) -> dict:
    """The ``score.json`` record of ``card`` (the run's model card) on ``mat``'s held-out frames."""
    from posestudio.engine.photo_checks import identity_check, locality_check
    from posestudio.training.metrics import get_metric

    ssim, psnr = get_metric("ssim-plain"), get_metric("psnr")
    gens = generators(card, device)
    pairs = holdout_pairs(mat)
    rows: dict[str, list[tuple[float, float]]] = {name: [] for name in gens}
    for k, (s, t) in enumerate(pairs):
        if say is not None:
            say(f"held-out check: pair {k + 1} of {len(pairs)}", k, len(pairs))
        src, parsing, truth = mat.image(s), mat.parsing(s), mat.image(t)
        for name, gen in gens.items():
            out = gen(src, mat.frames[s].pose, mat.frames[t].pose, parsing)
            rows[name].append((ssim(out, truth), psnr(out, truth)))
    photos = [(mat.image(t), mat.frames[t].pose) for t in mat.holdout_frames]
    parsings = {id(img): mat.parsing(t) for (img, _), t in zip(photos, mat.holdout_frames, strict=True)}

    def with_parsing(gen):  # the checks pass (image, pose, pose): the frame's own parsing map goes along
        return lambda img, sp, tp: gen(img, sp, tp, parsings.get(id(img)))

    checks = {name: (identity_check(with_parsing(gen), photos), locality_check(with_parsing(gen), photos))
              for name, gen in gens.items()}  # fmt: skip

    def mean(name):
        r = rows[name]
        return {"ssim": round(float(np.mean([v[0] for v in r])), 4), "psnr": round(float(np.mean([v[1] for v in r])), 3)}

    record = {
        "personal": mean("personal"), "engine": mean("engine"),
        "identity": bool(checks["personal"][0]["pass"]), "identity_detail": checks["personal"][0],
        "locality": checks["personal"][1], "engine_locality": checks["engine"][1],
        "frames": len(mat.holdout_frames), "pairs": len(pairs),
        "measure": "skimage SSIM (7x7, RGB, range 255) and PSNR on the whole frame, each held-out frame posed from "
                   f"{len(pairs) // max(1, len(mat.holdout_frames))} training frame(s); identity and locality as "
                   "engine.photo_checks on the held-out frames",
    }  # fmt: skip
    record["wins"] = wins(record)
    return record


def write(run_dir: str | Path, record: dict) -> Path:
    import json

    from posestudio.core.formats import atomic_write_text

    path = Path(run_dir) / SCORE
    atomic_write_text(path, json.dumps(record, indent=2) + "\n")
    return path
