"""`posestudio detect IMAGE --out POSE.json [--matte MATTE.png] [--face-edges EDGES.png]`:
everyone's whole-body pose (COCO-18 body, hands, face) and matte from the bundled models;
`posestudio detect --install-models` fetches those models (the install step runs it)."""

from __future__ import annotations

from posestudio.errors import InputError


def add_parser(sub) -> None:
    p = sub.add_parser(
        "detect",
        help="detect people's pose (body, hands, face) and matte in an image",
        description="Detect everyone's pose in an image with the bundled MediaPipe models (BlazePose, "
        "face mesh, iris, hands; run by LiteRT) and write it as OpenPose JSON: COCO-18 body (the neck is "
        "the shoulders' midpoint), 21 points per hand, 70 face points. --install-models fetches the "
        "models from the package registry (the install step does this).",
    )
    p.add_argument("image", metavar="IMAGE", nargs="?")
    p.add_argument("--out", metavar="POSE.json", help="pose file (.json OpenPose, .csv: body only)")
    p.add_argument("--matte", metavar="MATTE.png", help="also write the people's soft matte (8-bit gray)")
    p.add_argument("--face-edges", metavar="EDGES.png", help="also write the face edge map (first face)")
    p.add_argument("--body-only", action="store_true", help="skip hands and face (faster)")
    p.add_argument("--force", action="store_true",
                   help="replace existing output files that an earlier `posestudio detect` did not write")
    p.add_argument(
        "--evaluate", metavar="FOLDER", help="score detection instead: PCKh per joint on a pose-transfer folder "
        "(annotations.csv + images/) and matte IoU on NAME.jpg + NAME_parsing.png pairs in it",
    )
    p.add_argument(
        "--install-models", action="store_true", help="fetch the detection models (MediaPipe 0.10.14 wheel)"
    )
    p.set_defaults(func=run)


def run(args) -> int:
    from posestudio.engine import detect

    if args.install_models:
        if detect.installed():
            print(f"{detect.models_dir()}: detection models already installed")
        else:
            print(f"{detect.install_models()}: detection models installed")
        if args.image is None:
            return 0
    if args.evaluate:
        return evaluate(args.evaluate)
    if args.image is None or args.out is None:
        raise InputError("give an IMAGE and --out POSE.json (or --install-models)")
    if not detect.installed():
        raise InputError(detect.INSTALL_HINT)
    import numpy as np

    from posestudio.commands import outputs
    from posestudio.commands.generate import read_image_any
    from posestudio.core.formats import PoseSet, write_poses
    from posestudio.sequence.render import write_png

    written = [outputs.check_output(args.out, "detect", [args.image], args.force)]
    for flag, path in (("--matte", args.matte), ("--face-edges", args.face_edges)):
        if path:
            written.append(outputs.check_output(path, "detect", [args.image, *written], args.force, flag=flag))
    img = read_image_any(args.image)
    try:
        people = detect.detect_people(img, hands=not args.body_only, face=not args.body_only)
    except InputError as exc:
        raise InputError(exc.problem, args.image) from None
    if not people:
        raise InputError("no person found", args.image)
    h, w = people[0].matte.shape
    write_poses(args.out, PoseSet([detect.whole_body_pose(p) for p in people], w, h))
    for i, p in enumerate(people):
        hands = sum(x is not None for x in p.hands)
        face = "a face" if p.face is not None else "no face"
        print(f"{args.out}: person {i + 1}: {int(p.pose.visible.sum())} of 18 joints, {hands} hands, {face}")
    if args.matte:
        matte = detect.people_matte(people, h, w)
        write_png(args.matte, (matte * 255).round().astype(np.uint8))
        print(f"{args.matte}: matte")
    if args.face_edges:
        face = next((p for p in people if p.mesh is not None), None)
        if face is None:
            raise InputError("no face found", args.image)
        write_png(args.face_edges, detect.face_edges(face.mesh, h, w))
        print(f"{args.face_edges}: face edges")
    outputs.record("detect", *written)
    return 0


def evaluate(folder: str) -> int:
    from pathlib import Path

    from posestudio.engine import detect
    from posestudio.training.detect_eval import matte_iou, pckh_per_joint

    if not detect.installed():
        raise InputError(detect.INSTALL_HINT)
    if not Path(folder).is_dir():
        raise InputError("no such folder", folder)
    if (Path(folder) / "annotations.csv").is_file():
        r = pckh_per_joint(folder)
        print(f"PCKh@0.5 over {r['images']} images ({r['nobody_found']} with nobody found): {r['overall']:.3f}")
        for j, (v, n) in r["per_joint"].items():
            print(f"  {j:11s} {'-' if v is None else f'{v:.3f}'} ({n} annotated)")
    ious = matte_iou(folder)
    for name, v in ious.items():
        print(f"matte IoU {name}: {v:.3f}")
    if ious:
        print(f"matte IoU mean: {sum(ious.values()) / len(ious):.3f}, min {min(ious.values()):.3f}")
    return 0
