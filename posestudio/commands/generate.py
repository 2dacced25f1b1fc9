"""`posestudio generate`: one image from a source image, its pose and a target pose.

Runs the same engine as the window: a trained model by card name, or the
weight-free puppet warp. ``--raw-out`` saves the model's raw output in [-1, 1]
(1, 3, h, w) before it is pasted back into the canvas.
"""

from __future__ import annotations

from pathlib import Path

from posestudio.errors import InputError

TASKS = ("pose", "garment", "face", "attribute", "parsing")


def add_parser(sub) -> None:
    p = sub.add_parser(
        "generate",
        help="generate one image (pose transfer, garment edit, face, parsing) with a model or the puppet warp",
        description="Generate one image. Poses are read from OpenPose JSON, COCO JSON or the pose-transfer CSV "
        "(pick a CSV row with --source-name/--target-name). Keypoints are in the source image's pixels.",
    )
    p.add_argument("--task", choices=TASKS, default="pose")
    p.add_argument(
        "--model", default="auto", help="model card name, 'puppet', or 'auto' (best installed, else puppet)"
    )
    p.add_argument("--source", required=True, metavar="IMG", help="source image (any size, RGB)")
    p.add_argument("--source-pose", metavar="POSE", help="source pose file")
    p.add_argument(
        "--source-name", metavar="NAME", help="row of a CSV / image of a COCO file for the source pose"
    )
    p.add_argument("--target-pose", metavar="POSE", help="target pose file (default: the source pose file, row --target-name)")
    p.add_argument(
        "--target-name", metavar="NAME", help="row of a CSV / image of a COCO file for the target pose"
    )
    p.add_argument("--source-parsing", metavar="PNG", help="source parsing map (index PNG)")
    p.add_argument("--label-set", default="spt10", help="label set of the parsing maps (default spt10)")
    p.add_argument("--target-parsing", metavar="PNG", help="edited / target parsing map (garment task)")
    p.add_argument("--reference", metavar="IMG", help="reference image (texture transfer, face colours)")
    p.add_argument("--reference-parsing", metavar="PNG", help="parsing map of the reference image")
    p.add_argument("--reference-pose", metavar="POSE", help="pose file of the reference person (attribute task)")
    p.add_argument("--reference-name", metavar="NAME", help="row of a CSV / image of a COCO file for the reference pose")
    p.add_argument("--edges", metavar="PNG", help="face edge map (face task)")
    p.add_argument("--region", metavar="NAME", help="label name of the region to edit (e.g. 'upper clothes')")
    p.add_argument("--out", required=True, metavar="OUT.png", help="generated image at the source's size")
    p.add_argument(
        "--raw-out", metavar="OUT.npy", help="the model's raw output (1,3,h,w) in [-1,1], before paste-back"
    )
    p.add_argument(
        "--layers-dir", metavar="DIR", help="also write the layers (flow .npy, visibility/parsing .png)"
    )
    p.add_argument("--backend", choices=["auto", "torch", "onnx", "puppet"], default="auto")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--force", action="store_true",
                   help="replace output files that exist and were not written by an earlier generate")
    p.set_defaults(func=run)


def read_image(path: str | Path):
    """A picture as uint8 RGB through the project's one image reader (size limits, bombs, damage)."""
    from posestudio.core.project import read_image as read_any

    arr = read_any(path)
    return arr[:, :, :3] if arr.shape[2] == 4 else arr


def read_edges(path: str | Path):
    """A face edge map as uint8 grey (0..255)."""
    import numpy as np

    rgb = read_image(path)
    return np.ascontiguousarray(rgb.max(axis=2))


def fit_engine(src, sp, tp, args):
    """Shrink a photo bigger than the engine's working size (limits ``engine_pixels``), with
    its poses, and say so; returns the image, the poses and a resizer for the maps of that size."""
    import sys

    import cv2
    import numpy as np

    from posestudio.core import limits

    h, w = src.shape[:2]
    s = limits.engine_scale(w, h)
    if s >= 1.0:
        return src, sp, tp, lambda m, smooth=False: m
    nw, nh = max(1, round(w * s)), max(1, round(h * s))
    print(f"posestudio: note: {args.source} is {w}x{h}; generating at {nw}x{nh} (the engine works on at most "
          f"{limits.limit('engine_pixels'):,} pixels; raise it with {limits.LIMITS['engine_pixels'].env}=N)",
          file=sys.stderr)
    scale = np.array([[nw / w, 0, 0], [0, nh / h, 0]])

    def maps(m, smooth=False):
        if m is None or m.shape[:2] != (h, w):
            return m
        return cv2.resize(m, (nw, nh), interpolation=cv2.INTER_AREA if smooth else cv2.INTER_NEAREST)

    def pose(p):
        return None if p is None else p.transformed(scale)

    return cv2.resize(src, (nw, nh), interpolation=cv2.INTER_AREA), pose(sp), pose(tp), maps


def image_bytes(img, path: Path, flag: str = "--out") -> bytes:
    """``img`` encoded in the format of ``path``'s extension (checked before any work is done)."""
    import io

    from PIL import Image

    fmt = Image.registered_extensions().get(path.suffix.lower())
    if fmt is None or fmt not in Image.SAVE:
        raise InputError(f"{flag}: cannot write images with the extension {path.suffix or '(none)'!r}; "
                         "use .png, .jpg, .webp, .tif or .bmp", path)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format=fmt)
    return buf.getvalue()


def read_image_any(path: str | Path):
    """The image as the file holds it (PIL: gray, 16-bit, alpha kept), for readers that convert
    it themselves; the same one-line errors as :func:`read_image`."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", path)
    try:
        with Image.open(path) as im:
            im.load()
            return im.copy()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise InputError(f"not a readable image ({exc.__class__.__name__})", path) from None


def read_pose(path: str, name: str | None):
    from posestudio.core.formats import read_poses

    ps = read_poses(path, name=name)
    if not ps.people:
        raise InputError("the pose file has no person", path)
    return ps.people[0]


def reference_parsing(args, ref, label_png):
    """The reference's parsing map, checked against the reference image's size."""
    if not args.reference_parsing:
        return None
    m = label_png.read(args.reference_parsing, args.label_set)
    if ref is not None and m.shape != ref.shape[:2]:
        raise InputError(f"parsing map is {m.shape[1]}x{m.shape[0]}, the reference {ref.shape[1]}x{ref.shape[0]}",
                         args.reference_parsing)  # fmt: skip
    if args.task == "attribute" and not m.any():
        raise InputError("the reference parsing map shows no person", args.reference_parsing)
    return m


def run(args) -> int:
    import numpy as np

    from posestudio.commands import outputs
    from posestudio.core.formats import label_png
    from posestudio.core.formats.atomic import atomic_write_bytes
    from posestudio.engine import Engine, Request

    inputs = [args.source, args.source_pose, args.target_pose, args.source_parsing, args.target_parsing,
              args.reference, args.reference_parsing, args.edges]
    out = outputs.check_output(args.out, "generate", inputs, args.force)
    image_bytes(np.zeros((1, 1, 3), np.uint8), out)  # an unknown extension fails now, not after the work
    if args.raw_out:
        outputs.check_output(args.raw_out, "generate", inputs + [out], args.force, flag="--raw-out")
    if args.layers_dir:
        outputs.check_output(args.layers_dir, "generate", inputs + [out], args.force, folder=True,
                             flag="--layers-dir")
    src = read_image(args.source)
    sp = read_pose(args.source_pose, args.source_name) if args.source_pose else None
    if args.target_pose or (args.target_name and args.source_pose):
        # --target-name alone picks another row of the source's pose file
        tp = read_pose(args.target_pose or args.source_pose, args.target_name)
    else:
        tp = sp
    if args.task in ("pose", "parsing") and (sp is None or tp is None):
        raise InputError(f"--task {args.task} needs --source-pose and --target-pose")

    def parsing(path):
        if path is None:
            return None
        m = label_png.read(path, args.label_set)
        if m.shape != src.shape[:2]:
            raise InputError(
                f"parsing map is {m.shape[1]}x{m.shape[0]}, the source {src.shape[1]}x{src.shape[0]}", path
            )
        return m

    src, sp, tp, maps = fit_engine(src, sp, tp, args)
    ref = read_image(args.reference) if args.reference else None
    req = Request(
        task=args.task, model=args.model, source_image=src, source_pose=sp, target_pose=tp,
        source_parsing=maps(parsing(args.source_parsing)), label_set=args.label_set,
        target_parsing=maps(parsing(args.target_parsing)),
        reference_image=ref,
        reference_parsing=reference_parsing(args, ref, label_png),
        reference_pose=read_pose(args.reference_pose, args.reference_name) if args.reference_pose else None,
        edges=maps(read_edges(args.edges), smooth=True) if args.edges else None,
        region=args.region,
    )  # fmt: skip
    eng = Engine(device=args.device, backend=args.backend)
    eng.force_sync(True)
    try:
        try:
            res = eng.submit(req).result()
        except ValueError as exc:
            if isinstance(exc, InputError):
                raise
            raise InputError(str(exc)) from None
    finally:
        eng.shutdown()
    if res.errors:  # an edit that cannot be done is no success, whatever else was done
        raise InputError(res.errors[0], args.target_parsing)
    written = [out]
    atomic_write_bytes(out, image_bytes(res.image, out))
    if args.raw_out:
        if res.raw is None:
            raise InputError(f"--raw-out: model {res.model!r} has no raw network output (puppet warp)")
        atomic_write_bytes(args.raw_out, npy_bytes(res.raw.astype(np.float32)))
        written.append(args.raw_out)
    if args.layers_dir:
        d = Path(args.layers_dir)
        for k, v in res.layers.items():
            names = [f"{k}.npy"] + ([f"{k}.png"] if k == "parsing" or (v.ndim == 2 and v.dtype.kind == "f") else [])
            for n in names:
                outputs.check_output(d / n, "generate", inputs, args.force, flag="--layers-dir")
            if k == "parsing":
                label_png.write(d / "parsing.png", v, args.label_set)
            elif v.ndim == 2 and v.dtype.kind == "f":
                atomic_write_bytes(d / f"{k}.png", image_bytes(
                    np.clip(np.rint(v * 255), 0, 255).astype(np.uint8), d / f"{k}.png"))
            atomic_write_bytes(d / f"{k}.npy", npy_bytes(v))
            written += [d / n for n in names]
    outputs.record("generate", *written)
    for w in res.warnings:
        print(f"posestudio: warning: {w}")
    print(f"{out}: {res.model} on {res.backend}/{res.device} in {res.seconds * 1000:.0f} ms")
    return 0


def npy_bytes(arr) -> bytes:
    import io

    import numpy as np

    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()
