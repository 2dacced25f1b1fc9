"""Runtimes behind one call: ``backend.run(inputs: dict[str, ndarray]) -> dict[str, ndarray]``.

``torch_backend`` (eager, CPU/CUDA, fp16 + channels_last on CUDA),
``onnx_backend`` (ONNX Runtime, provider order a parameter, CPU fallback) and
``puppet`` (the weight-free warp). Each imports its runtime lazily."""
