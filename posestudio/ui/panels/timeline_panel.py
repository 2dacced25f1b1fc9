"""The timeline dock: a frame ruler with keyframe marks (click or drag to
scrub, drag a mark to move that keyframe), keyframe add/delete/copy/paste/
mirror, the interpolation of the segment under the playhead (bones, linear,
hold, ease), onion skin (the previous and next frames' skeletons, tinted and
faded), and playback at the timeline's fps (once, loop, ping-pong).

Keyframes live in ``Document.keyframes``, the other settings in
``doc.meta["timeline"]``; every change is an undoable record
(``core.edits.SetKeyframe``, ``core.keyframe_edits``). Scrubbing is view
state: it shows ``Timeline.pose_at(frame)`` in the target pose layer without
an undo step, the way a playhead does in an animation package. The playhead
itself (``ui.playhead``) keeps pose edits that are not keyed yet: they are
marked here (an orange frame field, hollow marks on the ruler) until keyed or
discarded, or keyed as they happen with Auto-key on.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QPainterPath, QPen
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGraphicsPathItem,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from posestudio.core import keyframe_edits as kf
from posestudio.core import skeleton
from posestudio.core.edits import SetKeyframe
from posestudio.core.timeline import LOOPS, MODES, frame_at_tick
from posestudio.ui.panels.frame_ruler import NEXT_TINT, PREV_TINT, UNKEYED, FrameRuler


class TimelinePanel(QWidget):
    frame_changed = Signal(int)

    def __init__(self, session, playhead, scene):
        """``scene``: the canvas scene the onion skin is drawn on."""
        super().__init__()
        self.session, self.playhead, self.scene = session, playhead, scene
        self.clipboard = None
        self._tick = 0
        self._onion: list[QGraphicsPathItem] = []
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 2, 4, 2)
        row = QHBoxLayout()
        self.prev_key = QPushButton("|◀")
        self.play = QPushButton("▶")
        self.play.setCheckable(True)
        self.next_key = QPushButton("▶|")
        for b, tip in ((self.prev_key, "Previous keyframe"), (self.play, "Play / stop"),
                       (self.next_key, "Next keyframe")):
            b.setToolTip(tip)
            b.setFixedWidth(36)
            row.addWidget(b)
        self.frame_spin = QSpinBox()
        self.frame_spin.setRange(0, 100000)
        self.frame_spin.setPrefix("frame ")
        row.addWidget(self.frame_spin)
        self.buttons = {}
        for name, tip in (("Add key", "Store the current pose as a keyframe here (K)"),
                          ("Discard", "Drop the pose edits at this frame that are not keyed yet"),
                          ("Delete key", "Delete the keyframe here"), ("Copy", "Copy the pose at this frame"),
                          ("Paste", "Paste the copied pose as a keyframe here"),
                          ("Mirror", "Mirror the keyframe here (left/right swapped)")):
            b = QPushButton(name)
            b.setToolTip(tip)
            self.buttons[name] = b
            row.addWidget(b)
        row.addWidget(QLabel("Segment"))
        self.mode = QComboBox()
        self.mode.addItems(list(MODES))
        self.mode.setToolTip("Interpolation from the keyframe at or before the playhead to the next one")
        row.addWidget(self.mode)
        row.addStretch(1)
        lay.addLayout(row)
        self.ruler = FrameRuler()
        lay.addWidget(self.ruler)
        row2 = QHBoxLayout()
        self.length = QSpinBox()
        self.length.setRange(1, 100000)
        self.length.setValue(48)
        self.length.setPrefix("length ")
        self.fps = QDoubleSpinBox()
        self.fps.setRange(1, 240)
        self.fps.setSuffix(" fps")
        self.loop = QComboBox()
        self.loop.addItems(list(LOOPS))
        self.onion = QCheckBox("Onion skin")
        self.onion_opacity = QSlider(Qt.Orientation.Horizontal)
        self.onion_opacity.setRange(5, 100)
        self.onion_opacity.setValue(40)
        self.onion_opacity.setFixedWidth(90)
        self.onion_opacity.setToolTip("Onion skin opacity (previous frame red, next frame green)")
        self.auto_key = QCheckBox("Auto-key")
        self.auto_key.setToolTip("Key every pose edit at the playhead as it is made")
        for w in (self.length, self.fps, self.loop, self.onion, self.onion_opacity, self.auto_key):
            row2.addWidget(w)
        row2.addStretch(1)
        lay.addLayout(row2)

        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick_once)
        self.ruler.scrubbed.connect(self.scrub)
        self.ruler.key_moved.connect(self.move_key)
        self.frame_spin.valueChanged.connect(self.scrub)
        self.prev_key.clicked.connect(lambda: self._jump(-1))
        self.next_key.clicked.connect(lambda: self._jump(1))
        self.play.toggled.connect(self.set_playing)
        self.buttons["Add key"].clicked.connect(self.add_key)
        self.buttons["Delete key"].clicked.connect(self.delete_key)
        self.buttons["Discard"].clicked.connect(self.playhead.discard)
        self.auto_key.toggled.connect(self.playhead.set_auto_key)
        self.playhead.changed.connect(self.refresh)
        session.undo.indexChanged.connect(lambda _i: self.refresh())
        self.buttons["Copy"].clicked.connect(self.copy_key)
        self.buttons["Paste"].clicked.connect(self.paste_key)
        self.buttons["Mirror"].clicked.connect(self.mirror_key)
        self.mode.activated.connect(lambda i: self.set_mode(self.mode.itemText(i)))
        self.length.valueChanged.connect(self._length_changed)
        self.fps.valueChanged.connect(lambda v: self._setting("fps", float(v)))
        self.loop.activated.connect(lambda i: self._setting("loop", self.loop.itemText(i)))
        self.onion.toggled.connect(lambda _on: self.update_onion())
        self.onion_opacity.valueChanged.connect(lambda _v: self.update_onion())
        session.document_replaced.connect(self.set_document)
        self._doc = None
        self.set_document(session.doc)

    # -- document --------------------------------------------------------------------------------
    @property
    def frame(self) -> int:
        return self.playhead.frame

    @property
    def doc(self):
        return self.session.doc

    def timeline(self):
        return kf.timeline_of(self.doc)

    def set_document(self, doc) -> None:
        if self._doc is not None:
            self._doc.events.disconnect(self._on_doc)
        self._doc = doc
        doc.events.connect(self._on_doc)
        self._onion = []  # the scene dropped its items with the old document
        keys = sorted(doc.keyframes)
        if keys:
            self.length.setValue(max(self.length.value(), keys[-1] + 12))
        self.refresh()

    def _on_doc(self, ev) -> None:
        if ev.type == "keyframes":
            self.refresh()

    def refresh(self) -> None:
        tl = self.timeline()
        self.ruler.keys = tl.frames_with_keys()
        self.ruler.modes = {k: tl.mode_at(k) for k in self.ruler.keys}
        self.ruler.length = max(self.length.value(), (self.ruler.keys[-1] if self.ruler.keys else 0))
        self.ruler.current = self.frame
        for w, v in ((self.fps, tl.fps), (self.frame_spin, self.frame)):
            w.blockSignals(True)
            w.setValue(v)
            w.blockSignals(False)
        self.loop.setCurrentText(tl.loop)
        start = self.segment_start()
        self.mode.setEnabled(start is not None)
        self.mode.setCurrentText(tl.mode_at(start) if start is not None else "bones")
        self.buttons["Delete key"].setEnabled(self.frame in tl.keyframes)
        self.buttons["Mirror"].setEnabled(self.frame in tl.keyframes)
        self.buttons["Paste"].setEnabled(self.clipboard is not None)
        unkeyed = self.playhead.unkeyed()
        self.buttons["Discard"].setEnabled(unkeyed)
        self.frame_spin.setStyleSheet(f"background: {UNKEYED.name()}; color: black;" if unkeyed else "")
        self.frame_spin.setToolTip("Pose edits here are not keyed yet: K keys them, Discard drops them"
                                   if unkeyed else "The frame the canvas shows")
        self.ruler.unkeyed = self.playhead.unkeyed_frames()
        self.ruler.update()
        self.update_onion()

    def segment_start(self) -> int | None:
        """The keyframe that starts the segment under the playhead (at or before it, with a next key)."""
        tl = self.timeline()
        start = self.frame if self.frame in tl.keyframes else tl.previous_key(self.frame)
        return start if start is not None and tl.next_key(start) is not None else None

    # -- scrubbing and playback --------------------------------------------------------------------
    def scrub(self, frame: int) -> None:
        """Show ``frame``: the target pose layer takes ``Timeline.pose_at(frame)`` (view state, no undo),
        or the unkeyed work kept for that frame; unkeyed work at the frame left is kept (see ``ui.playhead``)."""
        self.playhead.move_to(frame)
        self.refresh()
        self.frame_changed.emit(self.frame)

    def _jump(self, direction: int) -> None:
        tl = self.timeline()
        k = tl.previous_key(self.frame) if direction < 0 else tl.next_key(self.frame)
        if k is not None:
            self.scrub(k)

    def set_playing(self, on: bool) -> None:
        if on and self.doc.keyframes:
            self._tick = 0
            self._timer.start(max(1, int(round(1000 / self.timeline().fps))))
            self.play.setText("■")
        else:
            self._timer.stop()
            self.play.blockSignals(True)
            self.play.setChecked(False)
            self.play.blockSignals(False)
            self.play.setText("▶")

    def _tick_once(self) -> None:
        tl = self.timeline()
        a, b = tl.frame_range()
        mode = tl.loop
        frame = frame_at_tick(self._tick, a, b, mode)
        self.scrub(frame)
        self._tick += 1
        if mode == "once" and frame >= b:
            self.set_playing(False)

    # -- keyframe commands -----------------------------------------------------------------------
    def _push(self, edit) -> bool:
        return self.session.push(edit)

    def add_key(self) -> bool:
        return self.playhead.key()

    def delete_key(self) -> bool:
        if self.frame not in self.doc.keyframes:
            return False
        ok = self._push(kf.delete_keyframe(self.doc, self.frame))
        if ok:
            self.playhead.discard()  # the skeleton follows the keys that are left
        return ok

    def move_key(self, src: int, dst: int) -> bool:
        if src not in self.doc.keyframes or src == dst:
            return False
        ok = self._push(kf.MoveKeyframe.make(self.doc, src, dst))
        if ok:
            self.scrub(dst)
        return ok

    def copy_key(self) -> None:
        self.clipboard = self.timeline().pose_at(self.frame) or None
        self.refresh()

    def paste_key(self) -> bool:
        if not self.clipboard:
            return False
        ok = self._push(SetKeyframe(self.frame, self.doc.keyframes.get(self.frame), self.clipboard,
                                    text=f"Paste keyframe at {self.frame}"))
        self.scrub(self.frame)
        return ok

    def mirror_key(self) -> bool:
        poses = self.doc.keyframes.get(self.frame)
        if poses is None:
            return False
        ok = self._push(SetKeyframe(self.frame, poses, [p.mirrored(self.doc.width) for p in poses],
                                    text=f"Mirror keyframe {self.frame}"))
        self.scrub(self.frame)
        return ok

    def set_mode(self, mode: str) -> bool:
        start = self.segment_start()
        if start is None:
            return False
        return self._push(kf.SetSegmentMode.make(self.doc, start, mode))

    def _setting(self, name: str, value) -> None:
        tl = self.timeline()
        if getattr(tl, name) != value:
            self._push(kf.SetTimelineSettings.make(self.doc, f"Timeline {name}", **{name: value}))

    def _length_changed(self, _v: int) -> None:
        self.refresh()

    # -- onion skin ------------------------------------------------------------------------------
    def update_onion(self) -> None:
        scene = self.scene
        for item in self._onion:
            try:
                scene.removeItem(item)
            except RuntimeError:
                pass
        self._onion = []
        tl = self.timeline()
        if not self.onion.isChecked() or not tl.keyframes:
            return
        from posestudio.ui.canvas.skeleton_items import to_scene

        for frame, tint in ((self.frame - 1, PREV_TINT), (self.frame + 1, NEXT_TINT)):
            if frame < 0:
                continue
            path = QPainterPath()
            for pose in tl.pose_at(frame):
                for a, b in skeleton.LIMBS:
                    if pose.visible[a] and pose.visible[b]:
                        path.moveTo(to_scene(*pose.xy[a]))
                        path.lineTo(to_scene(*pose.xy[b]))
            item = QGraphicsPathItem(path)
            pen = QPen(tint, 3)
            pen.setCosmetic(True)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            item.setPen(pen)
            item.setOpacity(self.onion_opacity.value() / 100)
            item.setZValue(900)  # under the live skeletons (1000+), over the pictures
            scene.addItem(item)
            self._onion.append(item)

    def onion_items(self) -> list[QGraphicsPathItem]:
        return list(self._onion)
