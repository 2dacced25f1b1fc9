"""`posestudio bench --edit TASK`: the weight-free edits timed on the bundled
real sample (DeepFashion 2_A with its parsing map and pose), scaled to HxW."""

from __future__ import annotations

from pathlib import Path

import numpy as np

EDITS = ("garment", "attribute", "face", "parsing")
SAMPLE = Path(__file__).resolve().parents[3] / "resources" / "samples" / "deepfashion_2A.psproj"


def _sample(height: int, width: int):
    import cv2

    from posestudio.core.project import load_project

    doc = load_project(SAMPLE)
    img = np.ascontiguousarray(doc.image_layer().data[..., :3])
    par = next(iter(doc.layers.of_kind("parsing"))).data
    pose = doc.source_pose().copy()
    h0, w0 = img.shape[:2]
    img = cv2.resize(img, (width, height), interpolation=cv2.INTER_CUBIC)
    par = cv2.resize(par.astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST)
    pose.xy = pose.xy * [width / w0, height / h0]
    return img, par, pose


def request(task: str, height: int = 512, width: int = 512):
    """The engine request one bench run of ``task`` makes."""
    from posestudio.core import labels
    from posestudio.engine.edit import face
    from posestudio.engine.results import Request

    img, par, pose = _sample(height, width)
    ls = labels.get("spt10")
    if task == "garment":  # long sleeves
        want = par.copy()
        want[np.isin(par, (ls.index("left arm"), ls.index("right arm")))] = ls.index("upper clothes")
        return Request(task="garment", source_image=img, source_pose=pose, target_pose=pose, source_parsing=par,
                       target_parsing=want)  # fmt: skip
    if task == "attribute":  # its own top, mirrored: a reference in another pose
        ref, rpar, rpose = img[:, ::-1].copy(), labels.mirror(par, "spt10"), pose.mirrored(width)
        return Request(task="attribute", source_image=img, source_pose=pose, target_pose=pose, source_parsing=par,
                       reference_image=ref, reference_parsing=rpar, reference_pose=rpose, region="upper clothes")
    if task == "face":
        s = min(height, width) // 2
        crop = np.ascontiguousarray(img[:s, (width - s) // 2:(width + s) // 2])
        pts = face.placed_template(s, s)
        c = pts[48:68].mean(0)  # an opened mouth
        pts[48:60, 1] = c[1] + (pts[48:60, 1] - c[1]) * 2.2
        pts[60:68, 1] = c[1] + (pts[60:68, 1] - c[1]) * 3
        from posestudio.core.face_edges import draw_face_edges

        return Request(task="face", source_image=crop, edges=draw_face_edges(pts, s, s), reference_image=crop,
                       reference_landmarks=face.placed_template(s, s))
    raise ValueError(f"unknown edit {task!r}; edits: {', '.join(EDITS)}")


def bench_edit(task: str, height: int = 512, width: int = 512, runs: int = 5, warmup: int = 1) -> dict:
    """Latency of one weight-free edit (p50/p95 ms) at ``height`` x ``width``."""
    from posestudio.engine.backends.puppet import run_puppet
    from posestudio.engine.bench import _peak_rss_mb, _summary, _timeit
    from posestudio.engine.edit.parsing import estimate

    if task == "parsing":  # a first parsing map of the photo, without its own
        img, _, pose = _sample(height, width)
        job = lambda: estimate(img, pose)  # noqa: E731
    else:
        req = request(task, height, width)
        job = lambda: run_puppet(req)  # noqa: E731
    times = _timeit(job, runs, warmup)
    return {"model": f"puppet:{task}", "backend": "puppet", "device": "cpu", "size": [height, width],
            **_summary(times, 1), "peak_rss_mb": round(_peak_rss_mb(), 1), "flops_per_frame": None}
