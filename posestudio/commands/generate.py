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
    p.set_defaults(func=run)


def read_image(path: str | Path):
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", path)
    try:
        with Image.open(path) as im:
            return np.array(im.convert("RGB"))
    except (UnidentifiedImageError, OSError) as exc:
        raise InputError(f"not a readable image ({exc.__class__.__name__})", path) from None


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


def run(args) -> int:
    import numpy as np
    from PIL import Image

    from posestudio.core.formats import label_png
    from posestudio.engine import Engine, Request

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

    req = Request(
        task=args.task, model=args.model, source_image=src, source_pose=sp, target_pose=tp,
        source_parsing=parsing(args.source_parsing), label_set=args.label_set,
        target_parsing=parsing(args.target_parsing),
        reference_image=read_image(args.reference) if args.reference else None,
        reference_parsing=label_png.read(args.reference_parsing, args.label_set) if args.reference_parsing else None,
        edges=np.array(Image.open(args.edges).convert("L")) if args.edges else None,
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
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(res.image).save(out)
    if args.raw_out:
        if res.raw is None:
            raise InputError(f"--raw-out: model {res.model!r} has no raw network output (puppet warp)")
        np.save(args.raw_out, res.raw.astype(np.float32))
    if args.layers_dir:
        d = Path(args.layers_dir)
        d.mkdir(parents=True, exist_ok=True)
        for k, v in res.layers.items():
            if k == "parsing":
                label_png.write(d / "parsing.png", v, args.label_set)
            elif v.ndim == 2 and v.dtype.kind == "f":
                Image.fromarray(np.clip(np.rint(v * 255), 0, 255).astype(np.uint8)).save(d / f"{k}.png")
            np.save(d / f"{k}.npy", v)
    for w in res.warnings:
        print(f"posestudio: warning: {w}")
    print(f"{out}: {res.model} on {res.backend}/{res.device} in {res.seconds * 1000:.0f} ms")
    return 0
