"""Pose and face-edge detection with MediaPipe (the optional ``detect`` extra).

MediaPipe's BlazePose gives 33 body landmarks; they are mapped to COCO-18 (the
neck is the shoulders' midpoint, as OpenPose's COCO model defines it). Face
Mesh's 468 landmarks are mapped to the 68 iBUG points and drawn with the rule of
the synthetic training faces (:mod:`posestudio.core.face_edges`) into a face
edge map (white lines on black), the input of the face-colorization model.

MediaPipe 0.10.x wheels up to 0.10.21 carry the pose and face models
(``mp.solutions``) but pin protobuf<5 (onnx needs >= 6.31) and, from 0.10.15,
numpy<2; 0.10.30 and later carry none, so with them a model file
(``pose_landmarker*.task``, ``face_landmarker.task``) must be given: nothing is
downloaded at run time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from posestudio.core.face_edges import draw_face_edges, mediapipe_to_ibug68
from posestudio.core.pose import Pose
from posestudio.errors import InputError

INSTALL_HINT = "pose detection needs MediaPipe: pip install 'posestudio[detect]'"

# COCO-18 joint -> BlazePose landmark index (None: the neck, the shoulders' midpoint).
COCO18_FROM_BLAZEPOSE: tuple[int | None, ...] = (
    0, None,      # nose, neck
    12, 14, 16,   # right shoulder, elbow, wrist
    11, 13, 15,   # left shoulder, elbow, wrist
    24, 26, 28,   # right hip, knee, ankle
    23, 25, 27,   # left hip, knee, ankle
    5, 2, 8, 7,   # right eye, left eye, right ear, left ear
)  # fmt: skip


def import_mediapipe():
    try:
        import mediapipe as mp
    except ImportError:
        raise InputError(INSTALL_HINT) from None
    return mp


def blazepose_to_coco18(xyv: np.ndarray, width: int, height: int, min_visibility: float = 0.5) -> Pose:
    """(33, 3) BlazePose landmarks (x, y normalised to [0, 1], visibility) -> a COCO-18
    Pose in pixels. A joint is visible when its landmark's visibility reaches
    ``min_visibility`` and it lies inside the image; the neck when both shoulders are."""
    xyv = np.asarray(xyv, np.float64)
    if xyv.shape[0] < 33 or xyv.shape[1] < 3:
        raise ValueError(f"expected 33 BlazePose landmarks (x, y, visibility), got {xyv.shape}")
    px = xyv[:, :2] * [width, height]
    ok = (
        (xyv[:, 2] >= min_visibility)
        & (px[:, 0] >= 0)
        & (px[:, 0] < width)
        & (px[:, 1] >= 0)
        & (px[:, 1] < height)
    )
    xy = np.zeros((18, 2))
    vis = np.zeros(18, bool)
    for j, k in enumerate(COCO18_FROM_BLAZEPOSE):
        if k is None:
            xy[j] = (px[11] + px[12]) / 2
            vis[j] = ok[11] and ok[12]
        else:
            xy[j], vis[j] = px[k], ok[k]
    return Pose(xy, vis)


def face_edges(points: np.ndarray, height: int, width: int, line_width: int | None = None) -> np.ndarray:
    """uint8 HxW face edge map of MediaPipe Face Mesh landmarks ``points`` (468 or 478,
    pixels): mapped to the 68 iBUG points (:func:`core.face_edges.mediapipe_to_ibug68`)
    and drawn with the synthetic faces' rule (:func:`core.face_edges.draw_face_edges`)."""
    return draw_face_edges(mediapipe_to_ibug68(points), height, width, line_width)


def bundled_models(mp) -> bool:
    """Whether this MediaPipe carries its own pose and face models (``mp.solutions`` with
    the BlazePose-full and Face Mesh ``.tflite`` files: wheels 0.10.x up to 0.10.21)."""
    if not hasattr(mp, "solutions"):
        return False
    root = Path(mp.__file__).resolve().parent / "modules"
    return (root / "pose_landmark" / "pose_landmark_full.tflite").is_file() and (
        root / "face_landmark" / "face_landmark.tflite"
    ).is_file()


def no_model_message(mp, what: str) -> str:
    """The one line saying that this MediaPipe has no bundled ``what`` ("pose"/"face") model."""
    task = "pose_landmarker_full.task" if what == "pose" else "face_landmarker.task"
    return (
        f"MediaPipe {getattr(mp, '__version__', '?')} carries no {what} model: pass --{what}-model {task} "
        "(MediaPipe's landmarker model file; nothing is downloaded)"
    )


def check_models(mp, pose_model=None, face_model=None, faces: bool = False) -> None:
    """Before any work: InputError (one line) when a model is needed and neither bundled
    nor given, or when a given model file does not exist."""
    for f in (pose_model, face_model if faces else None):
        if f is not None and not Path(f).is_file():
            raise InputError("no such MediaPipe model file", f)
    if bundled_models(mp):
        return
    if pose_model is None:
        raise InputError(no_model_message(mp, "pose"))
    if faces and face_model is None:
        raise InputError(no_model_message(mp, "face"))


def detect_pose(image: np.ndarray, model_file: str | Path | None = None) -> Pose | None:
    """COCO-18 pose of the most prominent person in ``image`` (uint8 HxWx3 RGB), or None."""
    mp = import_mediapipe()
    h, w = image.shape[:2]
    if model_file is None and bundled_models(mp):
        with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1) as det:
            res = det.process(np.ascontiguousarray(image))
        if res.pose_landmarks is None:
            return None
        lm = res.pose_landmarks.landmark
        return blazepose_to_coco18(np.array([[p.x, p.y, p.visibility] for p in lm]), w, h)
    if model_file is None:
        raise InputError(no_model_message(mp, "pose"))
    from mediapipe.tasks.python import BaseOptions, vision

    opts = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(model_file)), num_poses=1
    )
    with vision.PoseLandmarker.create_from_options(opts) as det:
        res = det.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(image)))
    if not res.pose_landmarks:
        return None
    lm = res.pose_landmarks[0]
    return blazepose_to_coco18(np.array([[p.x, p.y, p.visibility or 0.0] for p in lm]), w, h)


def detect_face_edges(image: np.ndarray, model_file: str | Path | None = None) -> np.ndarray | None:
    """Face edge map (uint8 HxW) of the first face found, or None."""
    mp = import_mediapipe()
    h, w = image.shape[:2]
    if model_file is None and bundled_models(mp):
        fm = mp.solutions.face_mesh
        with fm.FaceMesh(static_image_mode=True, max_num_faces=1, refine_landmarks=False) as det:
            res = det.process(np.ascontiguousarray(image))
        if not res.multi_face_landmarks:
            return None
        pts = np.array([[p.x * w, p.y * h] for p in res.multi_face_landmarks[0].landmark])
        return face_edges(pts, h, w)
    if model_file is None:
        raise InputError(no_model_message(mp, "face"))
    from mediapipe.tasks.python import BaseOptions, vision

    opts = vision.FaceLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(model_file)), num_faces=1
    )
    with vision.FaceLandmarker.create_from_options(opts) as det:
        res = det.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(image)))
    if not res.face_landmarks:
        return None
    pts = np.array([[p.x * w, p.y * h] for p in res.face_landmarks[0]])
    return face_edges(pts, h, w)
