"""`posestudio render`: a project's timeline as an image sequence, headless.

Renders every frame of the project's timeline through the engine (the model
named in the project's generator settings, ``--model`` to override; the
weight-free puppet warp by default) with a progress bar, then writes PNG
frames, GIF, APNG, WebP or MP4; ``openpose``/``controlnet`` write the skeleton
sequence without rendering. The first Ctrl+C stops after the current frame and
keeps every finished frame on disk (for GIF/WebP/APNG/MP4 in ``OUT.frames/``);
a second one stops at once.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from posestudio.errors import InputError

MAX_VIDEO_SIDE = 16384  # what the video encoders accept (H.264 levels, WebP)
FORMATS = ("png", "gif", "apng", "webp", "mp4", "openpose", "controlnet")


def add_parser(sub) -> None:
    p = sub.add_parser(
        "render",
        help="render a project's timeline to PNG frames, GIF, APNG, WebP, MP4 or a skeleton sequence",
        description="Render a project's keyframed timeline headless. The format follows --out's suffix "
        "(.gif .apng .webp .mp4; a folder means PNG frames) unless --format says otherwise.",
    )
    p.add_argument("project", metavar="PROJECT", help="a .psproj project with keyframes")
    p.add_argument("--out", required=True, metavar="PATH", help="output file, or folder for frames")
    p.add_argument("--format", choices=FORMATS, help="output format (default: from --out)")
    p.add_argument("--fps", type=float, help="frames per second (default: the project's timeline, else 12)")
    p.add_argument("--range", metavar="A:B", help="frames A to B inclusive (either side may be left out)")
    p.add_argument("--size", metavar="WxH", help="output size in pixels (default: the canvas size)")
    p.add_argument("--loop", type=int, metavar="N",
                   help="repeat count for GIF/WebP/APNG (0 = forever, the default); MP4 writes N copies")
    p.add_argument("--playback", choices=["once", "loop", "pingpong"],
                   help="frame order (default: the timeline's loop mode; pingpong plays back and forth)")
    p.add_argument("--model", help="model card name, 'puppet' or 'auto' (default: the project's generator)")
    p.add_argument("--backend", choices=["auto", "torch", "onnx", "puppet"], default="auto")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--batch", type=int, default=8, help="frames per engine batch (default 8)")
    p.add_argument("--template", default=None, help="frame file names, e.g. 'walk_{frame:04d}.png'")
    p.add_argument("--stats", metavar="OUT.json", help="write frames, seconds and frames per second as JSON")
    p.add_argument("--keep-frames", action="store_true", help="keep OUT.frames/ after writing a video or animation")
    p.add_argument("--force", action="store_true",
                   help="replace output files that exist and were not written by an earlier render")
    p.set_defaults(func=run)


def parse_range(text: str | None, default: tuple[int, int]) -> tuple[int, int]:
    if not text:
        return default
    m = re.fullmatch(r"\s*(-?\d*)\s*:\s*(-?\d*)\s*", text)
    if not m:
        raise InputError(f"--range must look like A:B (frame numbers), got {text!r}")
    a = int(m.group(1)) if m.group(1) not in ("", "-") else default[0]
    b = int(m.group(2)) if m.group(2) not in ("", "-") else default[1]
    if b < a:
        raise InputError(f"--range {text} is empty (the end is before the start)")
    return a, b


def parse_size(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not m or int(m.group(1)) <= 0 or int(m.group(2)) <= 0:
        raise InputError(f"--size must look like WxH with positive numbers, got {text!r}")
    w, h = int(m.group(1)), int(m.group(2))
    from posestudio.core import limits

    limits.check_image_size(w, h, None, f"--size {w}x{h}")
    if max(w, h) > MAX_VIDEO_SIDE:
        raise InputError(f"--size {w}x{h}: frames are at most {MAX_VIDEO_SIDE} pixels per side")
    return w, h


def run(args) -> int:
    import json
    import signal
    import sys
    import threading
    import time

    from tqdm import tqdm

    from posestudio.commands import outputs
    from posestudio.engine import Engine
    from posestudio.sequence import export as sx
    from posestudio.sequence.project import open_project
    from posestudio.sequence.render import DEFAULT_TEMPLATE, render_sequence

    out = Path(args.out)
    fmt = args.format or sx.format_for_path(out)
    outputs.check_output(out, "render", [args.project], args.force, folder=fmt in ("png",) + sx.SKELETON_FORMATS)
    if args.stats:
        outputs.check_output(args.stats, "render", [args.project, out], args.force, flag="--stats")
    doc, timeline = open_project(args.project)
    if args.fps is not None:
        timeline.fps = args.fps
    if args.playback:
        timeline.loop = args.playback
    timeline.start, timeline.end = parse_range(args.range, timeline.frame_range())
    size = parse_size(args.size)
    loop = 0 if args.loop is None else args.loop
    if loop < 0:
        raise InputError(f"--loop must be 0 or more, got {loop}")
    if args.batch < 1:
        raise InputError(f"--batch must be at least 1, got {args.batch}")
    order = timeline.playback()
    frames = timeline.frames()
    if fmt == "png" or fmt in sx.SKELETON_FORMATS:  # one file per frame
        from posestudio.core import limits

        limits.check("outputs", len(frames), f"--out {out} would get {len(frames):,} frame files")

    if fmt in sx.SKELETON_FORMATS:
        paths = sx.export_skeleton(out, timeline, doc.width, doc.height, fmt, frames, size, args.template)
        print(f"{out}: {len(paths)} {fmt} frames")
        return 0

    template = args.template or DEFAULT_TEMPLATE
    frames_dir = out if fmt == "png" else out.with_name(out.name + ".frames")
    cancel = threading.Event()

    def on_sigint(signum, frame):
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()
        tqdm.write("posestudio: stopping after this frame (Ctrl+C again to stop at once)", file=sys.stderr)

    eng = Engine(device=args.device, backend=args.backend)
    eng.force_sync(True)
    bar = tqdm(total=len(frames), unit="frame", desc=Path(args.project).name, file=sys.stderr)
    old_handler = signal.signal(signal.SIGINT, on_sigint) if threading.current_thread() is threading.main_thread() \
        else None
    try:
        res = render_sequence(doc, timeline, eng, frames, batch=args.batch, cancel=cancel, out_dir=frames_dir,
                              template=template, keep_images=fmt != "png", model=args.model, size=size,
                              progress=lambda done, total: bar.update(done - bar.n))
    except ValueError as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(str(exc), args.project) from None
    finally:
        if old_handler is not None:
            signal.signal(signal.SIGINT, old_handler)
        bar.close()
        eng.shutdown()
    for w in res.warnings:
        print(f"posestudio: warning: {w}", file=sys.stderr)
    if res.cancelled:
        print(f"posestudio: interrupted after {len(res.frames)} of {len(frames)} frames; "
              f"the finished frames are in {frames_dir}", file=sys.stderr)
        return 130
    t0 = time.perf_counter()
    if fmt != "png":
        by_frame = dict(zip(res.frames, res.images, strict=True))
        sx.export_images(out, [by_frame[f] for f in order], fmt, fps=timeline.fps, loop=loop)
        if not args.keep_frames:
            shutil.rmtree(frames_dir, ignore_errors=True)
    encode = time.perf_counter() - t0
    rate = len(res.frames) / res.seconds if res.seconds > 0 else 0.0
    if args.stats:
        stats = {"project": str(args.project), "format": fmt, "frames": len(res.frames),
                 "size": list(size or (doc.width, doc.height)), "render_seconds": round(res.seconds, 4),
                 "render_fps": round(rate, 3), "encode_seconds": round(encode, 4), "model": res.model,
                 "backend": res.backend, "device": res.device, "batch": args.batch}
        from posestudio.core.formats.atomic import atomic_write_bytes

        atomic_write_bytes(args.stats, (json.dumps(stats, indent=1) + "\n").encode())
    outputs.record("render", out if out.is_file() else None, args.stats)
    print(f"{out}: {len(order)} frames at {timeline.fps:g} fps ({fmt}); rendered {len(res.frames)} frames "
          f"in {res.seconds:.2f} s ({rate:.1f} frames/s, {res.model} on {res.backend}/{res.device})")
    return 0
