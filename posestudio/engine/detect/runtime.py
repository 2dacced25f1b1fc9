"""One LiteRT interpreter per model file, loaded once, run as ``run(name, x) -> outputs``."""

from __future__ import annotations

import contextlib
import os
import sys
import threading

import numpy as np

from posestudio.engine.detect.models import model_path
from posestudio.errors import InputError

_CACHE: dict[str, tuple] = {}
_LOCK = threading.Lock()


@contextlib.contextmanager
def _quiet_stderr():
    fd = 2  # the C++ library writes to the process's fd 2, whatever sys.stderr is
    try:
        sys.stderr.flush()
        saved = os.dup(fd)
    except (AttributeError, OSError, ValueError):
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def _interpreter(name: str):
    with _LOCK:
        if name not in _CACHE:
            try:
                from ai_edge_litert.interpreter import Interpreter
            except ImportError:
                raise InputError("detection needs LiteRT: pip install ai-edge-litert") from None
            threads = max(1, min(4, os.cpu_count() or 1))
            path = str(model_path(name))
            with _quiet_stderr():  # LiteRT's C++ logs "INFO: Created ... delegate" on fd 2
                it = Interpreter(model_path=path, num_threads=threads)
                it.allocate_tensors()
            inp = it.get_input_details()[0]["index"]
            outs = [d["index"] for d in it.get_output_details()]
            _CACHE[name] = (it, inp, outs, threading.Lock())
        return _CACHE[name]


def run(name: str, x: np.ndarray) -> list[np.ndarray]:
    """Run model ``name`` on one NHWC float32 batch; its outputs in the model's order."""
    it, inp, outs, lock = _interpreter(name)
    with lock:
        it.set_tensor(inp, np.ascontiguousarray(x, np.float32))
        it.invoke()
        return [it.get_tensor(i).copy() for i in outs]
