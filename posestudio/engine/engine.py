"""The engine: one worker thread that runs generation requests in order.

Live previews are latest-wins per channel (``Request.channel``, one per panel):
submitting a preview cancels the older previews of its channel that have not
started yet, so dragging a joint never queues up
stale frames (napari's worker pattern). Batches (sequences) run with progress
and a cancel flag. ``force_sync(True)`` runs submissions in the caller's
thread, for tests. Torch is imported only when a trained model first runs.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future

from posestudio.engine.cards import ModelCard
from posestudio.engine.results import Request, Result

BACKENDS = ("auto", "torch", "onnx", "puppet")
DEVICES = ("auto", "cpu", "cuda")


class Engine:
    """``Engine(device="auto"|"cpu"|"cuda", backend="auto"|"torch"|"onnx"|"puppet")``."""

    def __init__(self, device: str = "auto", backend: str = "auto", providers: Sequence[str] | None = None):
        if device not in DEVICES:
            raise ValueError(f"unknown device {device!r}; devices: {', '.join(DEVICES)}")
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}; backends: {', '.join(BACKENDS)}")
        from posestudio.engine.runner import Runner

        self.runner = Runner(device=device, backend=backend, providers=providers)
        self._queue: collections.deque[tuple[Request | Callable, Future]] = collections.deque()
        self._cond = threading.Condition()
        self._sync = False
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="posestudio-engine", daemon=True)
        self._thread.start()

    # -- public API --------------------------------------------------------------
    def force_sync(self, on: bool = True) -> None:
        """Run every later ``submit`` at once in the caller's thread (tests, scripts)."""
        self._sync = bool(on)

    def submit(self, req: Request) -> Future:
        """Queue ``req``; the Future gives a :class:`Result` (or the error that stopped it).
        A preview request cancels the previews of its channel still waiting before it."""
        fut: Future = Future()
        if self._sync:
            self._execute(req, fut)
            return fut
        with self._cond:
            if self._closed:
                raise RuntimeError("the engine is shut down")
            if req.preview:
                kept = collections.deque()
                for item in self._queue:
                    old, f = item
                    if isinstance(old, Request) and old.preview and old.channel == req.channel:
                        f.cancel()
                    else:
                        kept.append(item)
                self._queue = kept
            self._queue.append((req, fut))
            self._cond.notify()
        return fut

    def run(self, req: Request) -> Result:
        """Run ``req`` and wait for its result."""
        return self.submit(req).result()

    def render_batch(
        self,
        requests: Sequence[Request],
        progress: Callable[[int, int], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> list[Result]:
        """Run ``requests`` in order (a sequence export) and return their results.
        ``progress(done, total)`` is called after each; when ``cancel`` is set the
        batch stops before the next request and returns the results made so far."""
        total = len(requests)

        def job() -> list[Result]:
            out: list[Result] = []
            for i, req in enumerate(requests):
                if cancel is not None and cancel.is_set():
                    break
                out.append(self.runner.run(req))
                if progress is not None:
                    progress(i + 1, total)
            return out

        fut: Future = Future()
        if self._sync or threading.current_thread() is self._thread:
            self._execute(job, fut)
        else:
            with self._cond:
                if self._closed:
                    raise RuntimeError("the engine is shut down")
                self._queue.append((job, fut))
                self._cond.notify()
        return fut.result()

    def detect(self, image, hands: bool = True, face: bool = True) -> Future:
        """Find the people in ``image`` on the worker (after the requests queued before it):
        a Future of :func:`posestudio.engine.detect.detect_people`'s list."""
        from posestudio.engine.detect import detect_people

        fut: Future = Future()
        job = lambda: detect_people(image, hands=hands, face=face)  # noqa: E731
        if self._sync:
            self._execute(job, fut)
            return fut
        with self._cond:
            if self._closed:
                raise RuntimeError("the engine is shut down")
            self._queue.append((job, fut))
            self._cond.notify()
        return fut

    def available_models(self, task: str) -> list[ModelCard]:
        """Installed models for ``task`` (verified cards first), the puppet warp last."""
        return self.runner.available_models(task)

    def pending(self) -> int:
        with self._cond:
            return len(self._queue)

    def shutdown(self, wait: bool = True) -> None:
        """Cancel what has not started, finish what has, stop the worker."""
        with self._cond:
            self._closed = True
            for _, f in self._queue:
                f.cancel()
            self._queue.clear()
            self._cond.notify_all()
        if wait and threading.current_thread() is not self._thread:
            self._thread.join(timeout=30)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown()

    # -- worker ----------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if self._closed and not self._queue:
                    return
                item, fut = self._queue.popleft()
            self._execute(item, fut)

    def _execute(self, item, fut: Future) -> None:
        if not fut.set_running_or_notify_cancel():
            return  # cancelled while waiting
        try:
            if isinstance(item, Request):
                t0 = time.perf_counter()
                res = self.runner.run(item)
                res.seconds = res.seconds or (time.perf_counter() - t0)
            else:
                res = item()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller through the Future
            fut.set_exception(exc)
        else:
            fut.set_result(res)
