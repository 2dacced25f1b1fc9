"""The engine's scheduling: latest-wins previews, cancel, batches, force_sync, OOM fallback."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from posestudio.core.pose import default_pose
from posestudio.engine import Engine, Request, Result
from posestudio.engine.runner import Runner


def _req(preview=False, angle=0.3):
    p = default_pose(48, 64)
    img = np.full((64, 48, 3), 120, np.uint8)
    return Request(source_image=img, source_pose=p, target_pose=p.rotate_limb(3, angle), preview=preview)


class _Gate:
    """A runner stand-in that blocks the first call until released and records what ran."""

    def __init__(self):
        self.release = threading.Event()
        self.started = threading.Event()
        self.ran: list[Request] = []

    def run(self, req):
        self.started.set()
        self.release.wait(10)
        self.ran.append(req)
        return Result(image=req.source_image)


def test_latest_preview_wins_and_stale_ones_are_cancelled():
    eng = Engine(backend="puppet")
    gate = _Gate()
    eng.runner = gate
    try:
        busy = eng.submit(_req())
        assert gate.started.wait(5)
        previews = [eng.submit(_req(preview=True, angle=a)) for a in (0.1, 0.2, 0.3, 0.4)]
        final = eng.submit(_req())  # a normal request is never dropped
        gate.release.set()
        busy.result(5), final.result(5), previews[-1].result(5)
        assert all(f.cancelled() for f in previews[:-1])
        assert not previews[-1].cancelled()
        assert len(gate.ran) == 3 and gate.ran[1] is not None and gate.ran[1].preview
    finally:
        gate.release.set()
        eng.shutdown()


def test_shutdown_cancels_what_has_not_started():
    eng = Engine(backend="puppet")
    gate = _Gate()
    eng.runner = gate
    first = eng.submit(_req())
    assert gate.started.wait(5)
    waiting = eng.submit(_req())
    threading.Timer(0.2, gate.release.set).start()
    eng.shutdown()
    assert waiting.cancelled() and first.done() and not first.cancelled()


def test_puppet_through_the_engine_returns_canvas_sized_layers():
    with Engine(backend="auto") as eng:
        res = eng.submit(_req()).result(30)
    assert res.image.shape == (64, 48, 3) and res.model == "puppet" and res.backend == "puppet"
    assert res.layers["flow"].shape == (64, 48, 2) and res.layers["visibility"].shape == (64, 48)


def test_force_sync_runs_in_the_callers_thread():
    eng = Engine()
    eng.force_sync(True)
    seen = []

    class R:
        def run(self, req):
            seen.append(threading.current_thread())
            return Result(image=req.source_image)

    eng.runner = R()
    fut = eng.submit(_req())
    assert fut.done() and seen == [threading.current_thread()]
    eng.shutdown()


def test_render_batch_reports_progress_and_stops_on_cancel():
    eng = Engine()
    cancel = threading.Event()
    calls = []

    def progress(done, total):
        calls.append((done, total))
        if done == 2:
            cancel.set()

    out = eng.render_batch([_req(angle=a) for a in np.linspace(0, 1, 5)], progress, cancel)
    eng.shutdown()
    assert len(out) == 2 and calls == [(1, 5), (2, 5)]
    assert all(r.image.shape == (64, 48, 3) for r in out)


def test_a_bad_request_fails_its_future_not_the_worker():
    with Engine() as eng:
        bad = eng.submit(Request(source_image=np.zeros((4, 4), np.uint8)))
        with pytest.raises(ValueError, match="uint8 HxWx3"):
            bad.result(10)
        assert eng.submit(_req()).result(30).image.shape == (64, 48, 3)


def test_cuda_out_of_memory_retries_on_the_cpu(monkeypatch):
    runner = Runner(device="cuda", backend="torch")
    devices = []

    def fake(req, card, backend, device):
        devices.append(device)
        if device == "cuda":
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return Result(image=req.source_image, device=device)

    monkeypatch.setattr(runner, "_run_model", fake)
    monkeypatch.setattr(runner, "card_for", lambda req: type("C", (), {"is_puppet": False, "name": "m"})())
    res = runner.run(_req())
    assert devices == ["cuda", "cpu"] and res.device == "cpu"
    assert "out of memory" in res.warnings[0]


def test_available_models_always_offers_the_puppet():
    eng = Engine()
    for task in ("pose", "garment", "face", "attribute", "parsing"):
        names = [c.name for c in eng.available_models(task)]
        assert names[-1] == "puppet"
    eng.shutdown()
