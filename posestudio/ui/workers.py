"""The bridge between the engine's worker thread and the GUI thread.

The engine completes futures in its own thread; ``EngineBridge`` re-emits each
completion through a Qt signal, which Qt queues onto the GUI thread, so no
widget is ever touched from the worker. The engine (and with it any heavy
backend) is created on first use, never at start-up."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class EngineBridge(QObject):
    finished = Signal(object, object)  # Result, meta dict
    failed = Signal(str, object)  # message, meta
    _done = Signal(object, object)  # Future, meta (emitted from the worker thread)

    def __init__(self, device: str = "auto", backend: str = "auto", parent=None):
        super().__init__(parent)
        self.device, self.backend = device, backend
        self._engine = None
        self.pending = 0
        self._done.connect(self._on_done)

    @property
    def loaded(self) -> bool:
        return self._engine is not None

    def engine(self):
        if self._engine is None:
            from posestudio.engine import Engine

            self._engine = Engine(device=self.device, backend=self.backend)
        return self._engine

    def configure(self, device: str, backend: str) -> None:
        if (device, backend) != (self.device, self.backend):
            self.shutdown()
            self.device, self.backend = device, backend

    def available_models(self, task: str) -> list[str]:
        try:
            return [getattr(c, "name", str(c)) for c in self.engine().available_models(task)]
        except Exception:  # no engine here: the puppet warp is always offered
            return ["puppet"]

    def submit(self, request, meta: dict | None = None):
        meta = dict(meta or {})
        try:
            fut = self.engine().submit(request)
        except Exception as exc:
            self.failed.emit(" ".join(str(exc).split()) or type(exc).__name__, meta)
            return None
        self.pending += 1
        fut.add_done_callback(lambda f: self._done.emit(f, meta))
        return fut

    def _on_done(self, fut, meta) -> None:
        self.pending -= 1
        if fut.cancelled():
            return
        exc = fut.exception()
        if exc is not None:
            self.failed.emit(" ".join(str(exc).split()) or type(exc).__name__, meta)
        else:
            self.finished.emit(fut.result(), meta)

    def shutdown(self) -> None:
        if self._engine is not None:
            try:
                self._engine.shutdown()
            finally:
                self._engine = None
