"""The timeline: keyframed poses of several people, interpolated per segment.

Pure data (numpy only). A ``Timeline`` holds ``keyframes`` (frame -> the poses
of every person at that frame), an interpolation mode per segment keyed by the
segment's start keyframe, the playback rate, the frame range and the loop mode.
``pose_at(frame)`` gives the poses to render at any frame; at a keyframe it
gives exactly that keyframe's poses (copies).

Interpolation modes (between keyframes ``a`` < ``b``, ``t = (f - a) / (b - a)``):

- ``bones`` (default): :func:`posestudio.core.pose.interpolate` in bones mode
  (root in a straight line, each bone turned about its parent by the shortest
  angle, bone length blended) so limbs never shrink mid-way;
- ``linear``: every joint on a straight line;
- ``hold``: the start keyframe's poses until the next keyframe (stepped);
- ``ease``: bones mode with ``t`` replaced by ``smoothstep(t) = 3t^2 - 2t^3``
  (slow out of ``a``, slow into ``b``).

A person present in only one keyframe of a segment holds that keyframe's pose
for the whole segment. When a person turns round between two keyframes (back
view to front view: the left/right joints change sides, :func:`turned`), the
segment interpolates towards the end key with its sides swapped, so every
point moves the short way and the body keeps its width, and the labels change
sides half-way; a bone-by-bone turn would spin the shoulders and hips through
180 degrees and fold the skeleton into a stick. Frames before the first / after the last keyframe hold
the first / last keyframe.

Integration with the document: ``Document.keyframes`` stays the keyframe store;
the other settings (modes, fps, range, loop) travel in ``settings_json()``,
which the project file keeps under its top-level ``"timeline"`` key
(``to_json()`` without keyframes). ``Timeline.from_document(doc)`` reads both.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping

import numpy as np

from posestudio.core import limits, wholebody
from posestudio.core.pose import Pose, interpolate
from posestudio.errors import InputError, describe

FORMAT = "posestudio-timeline"
VERSION = 1
MODES = ("bones", "linear", "hold", "ease")
LOOPS = ("once", "loop", "pingpong")
DEFAULT_FPS = 12.0
MIN_FPS = 0.01  # one frame per 100 s; below that frame durations overflow the encoders


def smoothstep(t: float) -> float:
    """``3t^2 - 2t^3`` on [0, 1]: zero slope at both ends (ease in and out)."""
    t = min(1.0, max(0.0, float(t)))
    return t * t * (3.0 - 2.0 * t)


def frame_sequence(start: int, end: int, mode: str = "once", cycles: int = 1) -> list[int]:
    """The frames to show, in order, for playing ``start..end`` (inclusive) ``cycles`` times.

    ``once`` plays the range once whatever ``cycles`` says; ``loop`` repeats
    ``start..end``; ``pingpong`` goes ``start..end`` then back ``end-1..start+1``
    so that repeating the list plays smoothly without doubled end frames."""
    if mode not in LOOPS:
        raise ValueError(f"unknown loop mode {mode!r}; modes: {', '.join(LOOPS)}")
    if end < start:
        raise ValueError(f"frame range {start}:{end} is empty")
    forward = list(range(start, end + 1))
    if mode == "once":
        return forward
    one = forward + (forward[-2:0:-1] if mode == "pingpong" else [])
    return one * max(1, int(cycles))


def frame_at_tick(tick: int, start: int, end: int, mode: str = "loop") -> int:
    """The frame shown at playback tick ``tick`` (0, 1, 2 ...) for an endless player;
    ``once`` stops on ``end``."""
    n = end - start + 1
    if n <= 0:
        raise ValueError(f"frame range {start}:{end} is empty")
    tick = max(0, int(tick))
    if mode == "once":
        return min(start + tick, end)
    if mode == "loop" or n == 1:
        return start + tick % n
    period = 2 * (n - 1)
    k = tick % period
    return start + (k if k < n else period - k)


def _facing(pose: Pose) -> float:
    """The sign of the body's facing in the picture: + when the right shoulder (or hip)
    is on the picture's left of the torso's axis as seen walking down it, - when on its
    right, 0 when unknown. An in-plane rotation keeps it; a turn round flips it."""
    xy, vis = pose.xy, pose.visible
    down = None
    if vis[1] and (vis[8] or vis[11]):
        hips = [xy[j] for j in (8, 11) if vis[j]]
        down = np.mean(hips, axis=0) - xy[1]
    for r, left in ((2, 5), (8, 11)):
        if vis[r] and vis[left]:
            across = xy[r] - xy[left]
            d = down if down is not None else np.array([0.0, 1.0])
            cross = float(across[0] * d[1] - across[1] * d[0])
            if abs(cross) > 1e-6:
                return math.copysign(1.0, cross)
    return 0.0


def turned(a: Pose, b: Pose) -> bool:
    """True when the person faces the other way in ``b`` than in ``a`` (left and right
    joints changed sides: a back view keyed against a front view)."""
    fa, fb = _facing(a), _facing(b)
    return fa != 0 and fb != 0 and fa != fb


def interpolate_turn(a: Pose, b: Pose, t: float, mode: str = "bones") -> Pose:
    """``a`` to ``b`` where the person turns round: towards ``b`` with its sides swapped
    (every point the short way), labels changing sides half-way."""
    pose = interpolate(a, b.swapped_sides(), t, mode=mode)
    return pose.swapped_sides() if t >= 0.5 else pose


def _pose_json(pose: Pose) -> dict:
    # Full float precision: a keyframe must come back exactly.
    return {"xy": [[float(x), float(y)] for x, y in pose.xy], "visible": [bool(v) for v in pose.visible],
            **wholebody.to_json(pose.hands, pose.face)}  # fmt: skip


def _pose_from_json(obj) -> Pose:
    return Pose(np.asarray(obj["xy"], dtype=np.float64), np.asarray(obj["visible"], dtype=bool),
                *wholebody.from_json(obj))  # fmt: skip


class Timeline:
    """Keyframes + per-segment interpolation + fps, frame range and loop mode.

    ``start``/``end`` (inclusive) default to the first/last keyframe when None."""

    def __init__(self, keyframes: Mapping[int, list[Pose]] | None = None, interpolation: Mapping[int, str] | None = None,
                 fps: float = DEFAULT_FPS, start: int | None = None, end: int | None = None, loop: str = "once"):
        self.keyframes: dict[int, list[Pose]] = {}
        for f, poses in (keyframes or {}).items():
            self.set_keyframe(int(f), poses)
        self.interpolation: dict[int, str] = {}
        for f, mode in (interpolation or {}).items():
            self.set_interpolation(int(f), mode)
        self.fps = fps
        self.start, self.end = start, end
        self.loop = loop

    # -- settings --------------------------------------------------------------------
    @property
    def fps(self) -> float:
        return self._fps

    @fps.setter
    def fps(self, value: float) -> None:
        v = float(value)
        if not math.isfinite(v) or v < MIN_FPS or v > 240:
            raise InputError(f"frames per second must be in [{MIN_FPS}, 240], got {value!r}")
        self._fps = v

    @property
    def loop(self) -> str:
        return self._loop

    @loop.setter
    def loop(self, value: str) -> None:
        if value not in LOOPS:
            raise InputError(f"unknown loop mode {value!r}; modes: {', '.join(LOOPS)}")
        self._loop = value

    def frame_range(self) -> tuple[int, int]:
        """(first, last) frame, inclusive: the set range, else the keyframes' span, else (0, 0)."""
        keys = self.frames_with_keys()
        first = self.start if self.start is not None else (keys[0] if keys else 0)
        last = self.end if self.end is not None else (keys[-1] if keys else first)
        if last < first:
            raise InputError(f"frame range {first}:{last} is empty")
        limits.check_frames(int(last) - int(first) + 1, f"frame range {first}:{last}")
        return int(first), int(last)

    def frames(self) -> list[int]:
        """Every frame of the range once, in order."""
        a, b = self.frame_range()
        return list(range(a, b + 1))

    def playback(self, cycles: int = 1) -> list[int]:
        """The range in playback order for the loop mode (see :func:`frame_sequence`)."""
        a, b = self.frame_range()
        return frame_sequence(a, b, self.loop, cycles)

    # -- keyframes --------------------------------------------------------------------
    def frames_with_keys(self) -> list[int]:
        return sorted(self.keyframes)

    def __len__(self) -> int:
        return len(self.keyframes)

    def set_keyframe(self, frame: int, poses: list[Pose] | Pose) -> None:
        """Add or replace the keyframe at ``frame`` (the poses are copied)."""
        if isinstance(poses, Pose):
            poses = [poses]
        if not all(isinstance(p, Pose) for p in poses):
            raise TypeError("a keyframe is a list of Pose")
        self.keyframes[int(frame)] = [p.copy() for p in poses]

    def delete_keyframe(self, frame: int) -> list[Pose]:
        """Remove the keyframe at ``frame`` (and its segment's mode); returns its poses."""
        if frame not in self.keyframes:
            raise KeyError(f"no keyframe at frame {frame}")
        self.interpolation.pop(frame, None)
        return self.keyframes.pop(frame)

    def move_keyframe(self, src: int, dst: int, replace: bool = False) -> None:
        """Move the keyframe (and the mode of the segment it starts) from ``src`` to ``dst``."""
        if src not in self.keyframes:
            raise KeyError(f"no keyframe at frame {src}")
        if src == dst:
            return
        if dst in self.keyframes and not replace:
            raise ValueError(f"frame {dst} already has a keyframe")
        mode = self.interpolation.pop(src, None)
        self.interpolation.pop(dst, None)
        self.keyframes[dst] = self.keyframes.pop(src)
        if mode is not None:
            self.interpolation[dst] = mode

    def copy_keyframe(self, src: int, dst: int) -> None:
        """Put a copy of the keyframe at ``src`` at ``dst`` (replacing what is there)."""
        if src not in self.keyframes:
            raise KeyError(f"no keyframe at frame {src}")
        self.set_keyframe(dst, self.keyframes[src])
        if src in self.interpolation:
            self.interpolation[dst] = self.interpolation[src]

    def mirror_keyframe(self, frame: int, width: float, dst: int | None = None) -> None:
        """Mirror every pose of the keyframe at ``frame`` in a canvas ``width`` pixels
        wide (``Pose.mirrored``: flips x and swaps left/right joints), in place or into ``dst``."""
        if frame not in self.keyframes:
            raise KeyError(f"no keyframe at frame {frame}")
        self.set_keyframe(frame if dst is None else dst, [p.mirrored(width) for p in self.keyframes[frame]])

    def previous_key(self, frame: int) -> int | None:
        """The last keyframe before ``frame`` (the timeline's "previous key" button), or None."""
        before = [k for k in self.keyframes if k < frame]
        return max(before) if before else None

    def next_key(self, frame: int) -> int | None:
        """The first keyframe after ``frame``, or None."""
        after = [k for k in self.keyframes if k > frame]
        return min(after) if after else None

    def set_interpolation(self, frame: int, mode: str) -> None:
        """Mode of the segment that starts at keyframe ``frame`` (need not exist yet)."""
        if mode not in MODES:
            raise InputError(f"unknown interpolation mode {mode!r}; modes: {', '.join(MODES)}")
        self.interpolation[int(frame)] = mode

    def mode_at(self, frame: int) -> str:
        """The interpolation mode of the segment that starts at keyframe ``frame``."""
        return self.interpolation.get(frame, "bones")

    # -- evaluation ----------------------------------------------------------------------
    def segment(self, frame: int) -> tuple[int, int] | None:
        """The keyframes (a, b) with a < frame < b, or None when ``frame`` is on or outside the keys."""
        keys = self.frames_with_keys()
        if not keys or frame <= keys[0] or frame >= keys[-1] or frame in self.keyframes:
            return None
        i = int(np.searchsorted(keys, frame))
        return keys[i - 1], keys[i]

    def pose_at(self, frame: int) -> list[Pose]:
        """The poses of every person at ``frame`` (copies; empty list without keyframes)."""
        keys = self.frames_with_keys()
        if not keys:
            return []
        if frame in self.keyframes:
            return [p.copy() for p in self.keyframes[frame]]
        seg = self.segment(frame)
        if seg is None:  # before the first or after the last keyframe: hold it
            return [p.copy() for p in self.keyframes[keys[0] if frame < keys[0] else keys[-1]]]
        a, b = seg
        mode = self.mode_at(a)
        pa, pb = self.keyframes[a], self.keyframes[b]
        if mode == "hold":
            return [p.copy() for p in pa]
        t = (frame - a) / (b - a)
        if mode == "ease":
            t, mode = smoothstep(t), "bones"
        out = []
        for i in range(max(len(pa), len(pb))):
            if i < len(pa) and i < len(pb):
                between = interpolate_turn if turned(pa[i], pb[i]) else interpolate
                out.append(between(pa[i], pb[i], t, mode=mode))
            else:  # present in one keyframe only: holds it
                out.append((pa[i] if i < len(pa) else pb[i]).copy())
        return out

    def __iter__(self) -> Iterator[tuple[int, list[Pose]]]:
        for f in self.frames():
            yield f, self.pose_at(f)

    # -- JSON ----------------------------------------------------------------------------
    def settings_json(self) -> dict:
        """Everything but the keyframes (what the project stores beside ``Document.keyframes``)."""
        return {"format": FORMAT, "version": VERSION, "fps": self.fps, "start": self.start, "end": self.end,
                "loop": self.loop,
                "interpolation": {str(k): v for k, v in sorted(self.interpolation.items())}}

    def to_json(self) -> dict:
        """A versioned plain dict (JSON-safe); keyframe poses at full precision."""
        return {**self.settings_json(),
                "keyframes": {str(k): [_pose_json(p) for p in v] for k, v in sorted(self.keyframes.items())}}

    @classmethod
    def from_json(cls, obj, keyframes: Mapping[int, list[Pose]] | None = None, path=None) -> Timeline:
        """Read :meth:`to_json` output. ``keyframes`` (e.g. the document's) replaces
        the dict's own keyframes when given. Bad content raises ``InputError``."""
        if not isinstance(obj, dict):
            raise InputError("timeline entry is not a JSON object", path)
        if obj.get("format", FORMAT) != FORMAT:
            raise InputError(f"timeline entry has format {obj.get('format')!r}, expected {FORMAT!r}", path)
        version = obj.get("version", VERSION)
        if not isinstance(version, int) or version < 1:
            raise InputError(f"timeline has an invalid version {version!r}", path)
        if version > VERSION:
            raise InputError(f"timeline was saved by a newer PoseStudio (version {version}, this reads "
                             f"up to {VERSION})", path)
        try:
            if keyframes is None:
                keyframes = {int(k): [_pose_from_json(p) for p in v] for k, v in obj.get("keyframes", {}).items()}
            interp = {int(k): str(v) for k, v in (obj.get("interpolation") or {}).items()}
            start, end = obj.get("start"), obj.get("end")
            return cls(keyframes, interp, fps=obj.get("fps", DEFAULT_FPS),
                       start=None if start is None else int(start), end=None if end is None else int(end),
                       loop=str(obj.get("loop", "once")))
        except InputError as exc:
            raise InputError(exc.problem, path) from None
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"timeline entry is inconsistent: {describe(exc)}", path) from None

    @classmethod
    def from_document(cls, doc, settings: dict | None = None) -> Timeline:
        """The timeline of a ``Document``: its ``keyframes`` plus ``settings`` (the
        project's ``"timeline"`` entry; else ``doc.meta["timeline"]``; else defaults)."""
        if settings is None:
            settings = doc.meta.get("timeline") or {}
        return cls.from_json(settings, keyframes=doc.keyframes)

    def __repr__(self) -> str:
        return f"<Timeline keys={self.frames_with_keys()} fps={self.fps:g} loop={self.loop}>"
