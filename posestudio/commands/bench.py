"""`posestudio bench`: latency p50/p95, throughput, peak memory and FLOPs per frame."""

from __future__ import annotations

import json

from posestudio.errors import InputError


def add_parser(sub) -> None:
    p = sub.add_parser(
        "bench",
        help="time the puppet warp or a model: latency p50/p95, throughput, peak memory, FLOPs/frame",
        description="Time the puppet warp (default) or a model. --model NAME benches an installed model; "
        "--arch ARCH [--preset P] one built with random weights (no trained weights needed).",
    )
    p.add_argument(
        "--model", default="puppet", help="installed model name, 'puppet' (default) or 'detect' (needs --image)"
    )
    p.add_argument("--image", metavar="PHOTO", help="--model detect: a photo of one person (resized to --size)")
    p.add_argument("--arch", help="bench an arch with random weights instead of an installed model")
    p.add_argument("--preset", default="full", help="preset for --arch (default full)")
    p.add_argument("--backend", choices=["torch", "onnx", "puppet"], help="default: torch for models")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--batch", type=int, default=1)
    p.add_argument(
        "--size", metavar="HxW", help="image size (puppet: default 256x176; --arch: rebuild at it)"
    )
    p.add_argument("--runs", type=int, default=None, help="timed runs (default 20 puppet, 10 models)")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument(
        "--threads", type=int, default=0, help="CPU threads for torch / ONNX Runtime (default: theirs)"
    )
    p.add_argument("--json", metavar="OUT", help="also write the numbers as JSON")
    p.set_defaults(func=run)


def _size(text: str | None):
    if not text:
        return None, None
    try:
        h, w = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise InputError(f"--size {text!r} is not HxW (e.g. 256x176)") from None
    if not (8 <= h <= 8192 and 8 <= w <= 8192):
        raise InputError(f"--size {text!r}: each side must be 8..8192")
    return h, w


def run(args) -> int:
    from posestudio.engine import bench

    h, w = _size(args.size)
    if args.arch is None and args.model == "detect":
        if not args.image:
            raise InputError("bench --model detect needs --image PHOTO (a photo of a person)")
        from posestudio.commands.generate import read_image_any

        res = bench.bench_detect(read_image_any(args.image), h or 512, w or 512, args.runs or 10, args.warmup)
    elif args.arch is None and (args.model == "puppet" or args.backend == "puppet"):
        res = bench.bench_puppet(h or 256, w or 176, runs=args.runs or 20, warmup=args.warmup)
    else:
        if args.arch:
            card = bench.random_card(args.arch, args.preset, h, w)
        else:
            from posestudio.engine import store

            card = store.find(args.model)
            if h:
                card.resolution = (h, w)
        res = bench.bench_model(
            card,
            args.backend or "torch",
            args.device,
            args.batch,
            args.runs or 10,
            args.warmup,
            threads=args.threads,
        )
    flops = res.get("flops_per_frame")
    print(
        f"{res['model']} [{res['backend']}/{res['device']}] {res['size'][0]}x{res['size'][1]} batch {res['batch']}: "
        f"p50 {res['latency_ms_p50']:.1f} ms, p95 {res['latency_ms_p95']:.1f} ms, "
        f"{res['throughput_fps']:.2f} frames/s, peak RSS {res['peak_rss_mb']:.0f} MB"
        + (f", peak CUDA {res['peak_cuda_mb']:.0f} MB" if res.get("peak_cuda_mb") else "")
        + (f", {flops / 1e9:.2f} GFLOPs/frame" if flops else "")
    )
    if res["model"] == "detect":
        print(f"  body only p50 {res['body_only_ms_p50']:.1f} ms; found {res['people']} people, "
              f"{res['hands']} hands, {res['faces']} faces")
    for wmsg in res.get("warnings", []):
        print(f"posestudio: warning: {wmsg}")
    if args.json:
        from posestudio.core.formats.atomic import atomic_write_bytes

        atomic_write_bytes(args.json, (json.dumps(res, indent=2) + "\n").encode())
    return 0
