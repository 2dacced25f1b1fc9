"""Open a ``.psproj`` for sequence work: the document and its timeline.

Until the project format stores the timeline itself, the timeline's settings
(interpolation modes, fps, range, loop; see ``Timeline.settings_json``) are
read from the top-level ``"timeline"`` key of ``project.json`` when present,
else from ``meta["timeline"]`` (which ``save_project`` already keeps); the
keyframes are always the document's ``keyframes``. A document without
keyframes animates its target pose layer as one keyframe at frame 0.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from posestudio.core.project import load_project
from posestudio.core.timeline import Timeline
from posestudio.errors import InputError

TIMELINE_KEY = "timeline"


def timeline_settings(path: str | Path) -> dict | None:
    """The project's top-level ``"timeline"`` entry, or None. (``load_project`` has
    already validated the zip and its JSON.)"""
    with zipfile.ZipFile(path) as z:
        manifest = json.loads(z.read("project.json").decode("utf-8"))
    entry = manifest.get(TIMELINE_KEY)
    return entry if isinstance(entry, dict) else None


def open_project(path: str | Path):
    """``(Document, Timeline)`` of a project file; problems are one ``InputError`` line."""
    path = Path(path)
    doc = load_project(path)
    settings = timeline_settings(path) or doc.meta.get(TIMELINE_KEY) or {}
    keyframes = doc.keyframes
    if not keyframes:
        layer = doc.pose_layer()
        if layer is None or not layer.poses:
            raise InputError("the project has no keyframes and no pose to animate", path)
        keyframes = {0: layer.poses}
    timeline = Timeline.from_json(settings, keyframes=keyframes, path=path)
    return doc, timeline
