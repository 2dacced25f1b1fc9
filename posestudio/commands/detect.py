"""`posestudio detect IMAGE --out POSE.json`: COCO-18 pose (and face edges) with MediaPipe."""

from __future__ import annotations

from posestudio.errors import InputError


def add_parser(sub) -> None:
    p = sub.add_parser(
        "detect",
        help="detect the pose (COCO-18) and face edges in an image (needs posestudio[detect])",
        description="Detect a person's pose with MediaPipe and write it as OpenPose JSON (COCO-18; the neck "
        "is the shoulders' midpoint). Needs the optional extra: pip install 'posestudio[detect]'.",
    )
    p.add_argument("image", metavar="IMAGE")
    p.add_argument("--out", required=True, metavar="POSE.json", help="pose file (.json OpenPose, .csv)")
    p.add_argument("--edges-out", metavar="EDGES.png", help="also write the face edge map")
    p.add_argument(
        "--pose-model", metavar="FILE.task", help="MediaPipe pose landmarker model (newer MediaPipe)"
    )
    p.add_argument(
        "--face-model", metavar="FILE.task", help="MediaPipe face landmarker model (newer MediaPipe)"
    )
    p.set_defaults(func=run)


def run(args) -> int:
    from posestudio.commands.generate import read_image
    from posestudio.core.formats import PoseSet, write_poses
    from posestudio.engine import detect

    mp = detect.import_mediapipe()  # the one-line install hint, before reading anything
    # no bundled models and no model file given: one line, before reading the image
    detect.check_models(mp, args.pose_model, args.face_model, faces=bool(args.edges_out))
    img = read_image(args.image)
    pose = detect.detect_pose(img, args.pose_model)
    if pose is None:
        raise InputError("no person found", args.image)
    h, w = img.shape[:2]
    write_poses(args.out, PoseSet([pose], w, h))
    print(f"{args.out}: {int(pose.visible.sum())} of 18 joints")
    if args.edges_out:
        from PIL import Image

        edges = detect.detect_face_edges(img, args.face_model)
        if edges is None:
            raise InputError("no face found", args.image)
        Image.fromarray(edges).save(args.edges_out)
        print(f"{args.edges_out}: face edges")
    return 0
