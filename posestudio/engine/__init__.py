"""Inference: model cards and the user's model store, input preparation, the
torch / ONNX Runtime / puppet backends and the one-worker engine the window and
the CLI share. Importing this package (or :mod:`posestudio.engine.puppet`)
does not import torch: the backends import it when they first run."""

from posestudio.engine.engine import Engine
from posestudio.engine.results import Request, Result

__all__ = ["Engine", "Request", "Result"]
