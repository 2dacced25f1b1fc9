"""Poses and parsing maps in and out of the session's document (a mixin of
:class:`~posestudio.ui.session.Session`, which owns ``doc``, ``push``, ``pose_layer`` and
``error``)."""

from __future__ import annotations

from pathlib import Path

from posestudio.core import edits
from posestudio.core.formats.atomic import atomic_write_stream
from posestudio.core.pose import Pose
from posestudio.errors import InputError


def scale_pose(pose: Pose, sx: float, sy: float) -> Pose:
    """A pose on a picture resized by (sx, sy), mapping pixel centres as image resizing does."""
    return pose.transformed([[sx, 0, 0.5 * sx - 0.5], [0, sy, 0.5 * sy - 0.5]])


class SessionIOMixin:
    def _csv_row(self, path: Path) -> str | None:
        """The row of a pose-transfer CSV to import: the one named like the picture
        (``2_A.jpg`` for a picture layer called 2_A), the only one, or the user's pick."""
        from posestudio.core.formats import csv_keypoints

        names = list(csv_keypoints.read_all(path))
        if len(names) == 1:
            return names[0]
        image = self.doc.image_layer()
        stem = (image.name.split(" ")[0] if image is not None else "").lower()
        for n in names:
            if Path(n).stem.lower() == stem:
                return n
        return self.choose_row(names)

    def choose_row(self, names: list[str]) -> str | None:
        """Which CSV row to import when none matches the picture; the window asks the user."""
        return names[0]

    def import_poses(self, path: str | Path) -> None:
        from posestudio.core import formats

        path = Path(path)
        name = self._csv_row(path) if path.suffix.lower() == ".csv" else None
        if path.suffix.lower() == ".csv" and name is None:
            return  # the user cancelled the choice
        poses = formats.read_poses(path, name=name)
        if not poses.people:
            raise InputError("no person in this pose file", path)
        people = poses.people
        if poses.width and poses.height and (poses.width, poses.height) != self.doc.size:
            sx, sy = self.doc.width / poses.width, self.doc.height / poses.height
            people = [scale_pose(p, sx, sy) for p in people]
        layer = self.pose_layer()
        if layer is None:
            from posestudio.core.layers import PoseLayer

            self.push(edits.AddLayer(PoseLayer("Pose", people), len(self.doc.layers), f"Import {path.name}"))
            return
        self.push(edits.SetPoses(layer.id, layer.poses, people, f"Import {Path(path).name}"))

    def import_parsing(self, path: str | Path, label_set: str = "spt10") -> bool:
        """Add a label PNG (ids or palette colours of ``label_set``) as a parsing layer."""
        from posestudio.core.formats import label_png
        from posestudio.core.layers import ParsingLayer

        path = Path(path)
        try:
            found = label_png.label_set_of(path)
            label_set = found or label_set
            data = label_png.read(path, label_set)
            if data.shape != (self.doc.height, self.doc.width):
                raise InputError(f"label map is {data.shape[1]}x{data.shape[0]}, the picture "
                                 f"{self.doc.width}x{self.doc.height}", path)
        except InputError as exc:
            self.error.emit(str(exc))
            return False
        layer = ParsingLayer(f"Parsing ({path.stem})", data, label_set=label_set, opacity=0.5)
        index = max((self.doc.layers.index(l) for l in self.doc.layers if l.kind == "image"), default=-1) + 1
        return self.push(edits.AddLayer(layer, index, "Import parsing"))

    def _poses_to_export(self, path) -> list[Pose]:
        layer = self.pose_layer()
        if layer is None or not layer.poses:
            raise InputError("the document has no pose to export", path)
        return list(layer.poses)

    def export_openpose(self, path: str | Path) -> None:
        from posestudio.core import formats

        formats.write_poses(path, formats.PoseSet(self._poses_to_export(path), self.doc.width, self.doc.height),
                            fmt="openpose")

    def export_skeleton_image(self, path: str | Path) -> None:
        from PIL import Image

        from posestudio.core.formats import skeleton_image

        img = skeleton_image.render(self._poses_to_export(path), self.doc.width, self.doc.height)
        fmt = Image.registered_extensions().get(Path(path).suffix.lower(), "PNG")
        atomic_write_stream(path, lambda fh: Image.fromarray(img).save(fh, format=fmt))
