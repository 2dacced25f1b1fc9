"""ONNX Runtime backend (onnxruntime-gpu): provider order is a parameter.

Default order TensorRT, CUDA, CPU (rembg/ultralytics style). Providers this
build lacks are skipped with a warning; when a GPU provider is listed but
cannot start (no driver, no device) the session runs on the CPU and says so
in ``warnings``. On CUDA, inputs and outputs go through I/O binding.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from posestudio.engine.cards import ModelCard
from posestudio.errors import InputError

DEFAULT_PROVIDERS = ("TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider")
_GPU = {"TensorrtExecutionProvider", "CUDAExecutionProvider"}


def _short(name: str) -> str:
    return name.replace("ExecutionProvider", "")


class OnnxBackend:
    name = "onnx"

    def __init__(
        self, path: str | Path, providers: Sequence[str] | None = None, device: str = "auto", threads: int = 0
    ):
        import onnxruntime as ort

        self.path = Path(path)
        self.warnings: list[str] = []
        wanted = list(providers) if providers else list(DEFAULT_PROVIDERS)
        if device == "cpu":
            wanted = [p for p in wanted if p not in _GPU] or ["CPUExecutionProvider"]
        if "CPUExecutionProvider" not in wanted:
            wanted.append("CPUExecutionProvider")  # the fallback is always there
        have = set(ort.get_available_providers())
        missing = [p for p in wanted if p not in have]
        if missing and (providers or device == "cuda"):
            self.warnings.append(f"ONNX Runtime here has no {', '.join(map(_short, missing))} provider")
        use = [p for p in wanted if p in have]
        opts = ort.SessionOptions()
        opts.log_severity_level = 3  # a GPU provider failing to start is reported by us, once
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            opts.intra_op_num_threads = int(threads)
        # a desktop app shares the CPU with its own window: idle worker threads sleep, not spin
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = ort.InferenceSession(str(self.path), sess_options=opts, providers=use)
        except Exception as exc:  # noqa: BLE001 - a provider that cannot start: fall back to the CPU
            if use == ["CPUExecutionProvider"]:
                raise
            self.warnings.append(
                f"{', '.join(map(_short, use[:-1]))} could not start ({type(exc).__name__}); using CPU"
            )
            self.session = ort.InferenceSession(
                str(self.path), sess_options=opts, providers=["CPUExecutionProvider"]
            )
        active = self.session.get_providers()
        failed = [p for p in use if p not in active]
        if failed:
            self.warnings.append(
                f"{', '.join(map(_short, failed))} could not start; ONNX Runtime runs on the CPU"
            )
        self.providers = active
        self.device = "cuda" if any(p in _GPU for p in active) else "cpu"
        self.input_types = {i.name: i.type for i in self.session.get_inputs()}
        self.output_names = [o.name for o in self.session.get_outputs()]

    @classmethod
    def for_card(
        cls, card: ModelCard, device: str = "auto", providers: Sequence[str] | None = None, threads: int = 0
    ) -> OnnxBackend:
        """The cached export of ``card`` (exported on first use; fp16 on CUDA)."""
        from posestudio.engine import export

        fp16 = device == "cuda"
        path = export.onnx_path(card, fp16)
        if not path.exists():
            path = export.prebuilt_path(card, fp16) or export.prebuilt_path(card, False)
        if path is None:
            from posestudio.engine.runner import torch_available

            if not torch_available():
                raise InputError(f"no ONNX export of {card.name} ships with this build, and exporting one "
                                 "needs torch (the source install)", card.path)
            path, _ = export.export_card(card, fp16=fp16, verify=False)
        return cls(path, providers=providers, device=device, threads=threads)

    def _feed(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        feed = {}
        for k, v in inputs.items():
            if k not in self.input_types:
                continue
            dt = np.float16 if self.input_types[k] == "tensor(float16)" else np.float32
            feed[k] = np.ascontiguousarray(v, dtype=dt)
        return feed

    def run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        feed = self._feed(inputs)
        if self.device == "cuda":
            binding = self.session.io_binding()
            for k, v in feed.items():
                binding.bind_cpu_input(k, v)
            for k in self.output_names:
                binding.bind_output(k, "cuda")
            self.session.run_with_iobinding(binding)
            outs = binding.copy_outputs_to_cpu()
        else:
            outs = self.session.run(self.output_names, feed)
        return {k: np.asarray(v, dtype=np.float32) for k, v in zip(self.output_names, outs, strict=True)}
