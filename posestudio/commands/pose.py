"""`posestudio pose convert|render|heatmaps|show`: pose files from the command line."""

from __future__ import annotations

import io
from pathlib import Path

from posestudio.errors import InputError


def _size(text: str, order: str) -> tuple[int, int]:
    """Parse 'AxB' into two positive ints (order names them, e.g. 'WxH')."""
    try:
        a, b = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise InputError(f"size {text!r} is not {order} (e.g. 176x256)") from None
    if a <= 0 or b <= 0 or a > 16384 or b > 16384:
        raise InputError(f"size {text!r} must be positive and at most 16384 per side")
    from posestudio.core import limits

    limits.check_image_size(a, b, None, f"size {text}")
    return a, b


def _out(args, out: str, *inputs) -> str:
    """Refuse an output that is an input, not a regular file, or someone else's file (without --force)."""
    from posestudio.commands import outputs

    outputs.check_output(out, f"pose {args.pose_command}", inputs, args.force, flag="OUT")
    return out


def _force(p) -> None:
    p.add_argument("--force", action="store_true", help="replace OUT when it exists and was not written by "
                   "an earlier run of this command")


def add_parser(sub) -> None:
    p = sub.add_parser("pose", help="convert, render or turn into heatmaps a pose file")
    psub = p.add_subparsers(dest="pose_command", metavar="ACTION", required=True)

    c = psub.add_parser("convert", help="any pose format to any other (OpenPose JSON, COCO JSON, CSV)")
    c.add_argument("src", metavar="IN")
    c.add_argument("dst", metavar="OUT")
    c.add_argument("--name", help="row of a CSV (image name) or image of a COCO file to read")
    c.add_argument("--to", choices=["openpose", "coco", "csv"], help="output format (default: from OUT's extension)")
    c.add_argument("--canvas", metavar="WxH", help="canvas size to record when the input has none (CSV rows)")
    _force(c)
    c.set_defaults(func=_convert)

    r = psub.add_parser("render", help="draw the ControlNet/OpenPose skeleton image")
    r.add_argument("pose", metavar="POSE")
    r.add_argument("out", metavar="OUT.png")
    r.add_argument("--name", help="row of a CSV to read")
    r.add_argument("--size", metavar="WxH", help="output size (default: the pose file's canvas)")
    r.add_argument("--stick-width", type=int, default=4, help="limb half-width in output pixels (default 4)")
    _force(r)
    r.set_defaults(func=_render)

    h = psub.add_parser("heatmaps", help="the 18 Gaussian joint heatmaps the generators see, as .npy")
    h.add_argument("pose", metavar="POSE")
    h.add_argument("out", metavar="OUT.npy")
    h.add_argument("--size", metavar="HxW", required=True, help="heatmap size, rows x columns (e.g. 256x176)")
    h.add_argument("--sigma", type=float, default=6.0, help="Gaussian sigma in pixels (default 6)")
    h.add_argument("--name", help="row of a CSV to read")
    h.add_argument("--person", type=int, default=0, help="which person of the file (default 0)")
    _force(h)
    h.set_defaults(func=_heatmaps)


def _convert(args) -> int:
    from posestudio.commands import outputs
    from posestudio.core.formats import read_poses, write_poses

    _out(args, args.dst, args.src)
    poses = read_poses(args.src, name=args.name)
    if args.canvas:
        poses.width, poses.height = _size(args.canvas, "WxH")
    write_poses(args.dst, poses, fmt=args.to, name=args.name)
    outputs.record("pose convert", args.dst)
    print(f"wrote {args.dst}: {len(poses.people)} person(s)")
    return 0


def _render(args) -> int:
    from PIL import Image

    from posestudio.commands import outputs
    from posestudio.core import limits
    from posestudio.core.formats import read_poses
    from posestudio.core.formats.atomic import atomic_write_bytes
    from posestudio.core.formats.skeleton_image import render

    _out(args, args.out, args.pose)
    poses = read_poses(args.pose, name=args.name)
    if args.size:
        w, h = _size(args.size, "WxH")
    elif poses.width and poses.height:
        w, h = poses.width, poses.height
    else:
        bbox = [p.bbox() for p in poses.people if p.bbox()]
        if not bbox:
            raise InputError("no visible joint and no canvas size; pass --size WxH", args.pose)
        w = int(max(b[2] for b in bbox) + 20)
        h = int(max(b[3] for b in bbox) + 20)
    limits.check_image_size(w, h, args.pose, "the pose canvas")
    if args.stick_width < 1:
        raise InputError("--stick-width must be at least 1")
    img = render(poses.people, w, h, stick_width=args.stick_width)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    atomic_write_bytes(args.out, buf.getvalue())
    outputs.record("pose render", args.out)
    print(f"wrote {args.out} ({w}x{h})")
    return 0


def _heatmaps(args) -> int:
    import numpy as np

    from posestudio.commands import outputs
    from posestudio.commands.generate import npy_bytes
    from posestudio.core import limits
    from posestudio.core.formats import read_poses
    from posestudio.core.formats.atomic import atomic_write_bytes
    from posestudio.core.pose import heatmaps

    h, w = _size(args.size, "HxW")
    _out(args, args.out, args.pose)
    nbytes = h * w * 18 * 4
    limits.check("file_bytes", nbytes, f"heatmaps of {h}x{w} are {nbytes:,} bytes")
    if not (args.sigma > 0):
        raise InputError("--sigma must be positive")
    poses = read_poses(args.pose, name=args.name)
    if not (0 <= args.person < len(poses.people)):
        raise InputError(f"person {args.person} asked, the file has {len(poses.people)}", args.pose)
    maps = heatmaps(poses.people[args.person], h, w, sigma=args.sigma)
    out = Path(args.out)
    atomic_write_bytes(out, npy_bytes(np.asarray(maps)))
    outputs.record("pose heatmaps", out)
    print(f"wrote {out}: float32 {tuple(maps.shape)}")
    return 0
