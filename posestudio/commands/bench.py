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
    p.add_argument("--edit", choices=["garment", "attribute", "face", "parsing"],
                   help="time a weight-free edit on the bundled real sample (default size 512x512)")
    p.add_argument("--live-preview", action="store_true",
                   help="the weight-free engine's update after one joint move, at 512x512 and 1024x1024 "
                   "(--size N[,N...] for others); per-source preparation reported apart when the engine separates it")  # fmt: skip
    p.add_argument("--cold-start", action="store_true",
                   help="click to result on a cold app: a fresh `posestudio generate --model puppet` process, "
                   "launch to exit (--size N, default 512), and whether it imported torch")  # fmt: skip
    p.add_argument("--json", metavar="OUT", help="also write the numbers as JSON")
    p.add_argument("--force", action="store_true", help="replace a --json file an earlier `posestudio bench` did not write")
    p.set_defaults(func=run)


def _write_json(args, data) -> None:
    from posestudio.commands import outputs
    from posestudio.core.formats.atomic import atomic_write_bytes

    atomic_write_bytes(args.json, (json.dumps(data, indent=2) + "\n").encode())
    outputs.record("bench", args.json)


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


def _squares(text: str | None, default: list[int]) -> list[int]:
    if not text:
        return default
    out = []
    for part in text.split(","):
        h, w = _size(part if "x" in part.lower() else f"{part}x{part}")
        if h != w:
            raise InputError(f"--size {part!r}: the interactive rows use square images (e.g. 512 or 512x512)")
        out.append(h)
    return out


def run_interactive(args) -> int:
    from posestudio.engine import bench

    rows = []
    if args.live_preview:
        for n in _squares(args.size, [512, 1024]):
            rows.append(bench.bench_live_preview(n, runs=args.runs or 10, warmup=args.warmup))
    if args.cold_start:
        for n in _squares(args.size, [512]) if not args.live_preview else [512]:
            rows.append(bench.bench_cold_start(n, runs=args.runs or 3))
    for r in rows:
        n = r["size"][0]
        if r["scenario"] == "live-preview":
            prep = f"per-source preparation {r['prepare_ms']:.1f} ms apart"
            print(f"live preview, puppet {n}x{n}, one joint moved: p50 {r['latency_ms_p50']:.1f} ms, "
                  f"p95 {r['latency_ms_p95']:.1f} ms; {prep}")  # fmt: skip
        else:
            print(f"cold start, generate --model puppet {n}x{n}: p50 {r['latency_ms_p50'] / 1000:.2f} s, "
                  f"min {r['latency_ms_min'] / 1000:.2f} s (launch to PNG); imports torch: {r['imports_torch']}")  # fmt: skip
    if args.json:
        _write_json(args, rows)
    return 0


def run(args) -> int:
    from posestudio.commands import outputs
    from posestudio.engine import bench

    if args.json:  # checked before the timing runs, not after
        outputs.check_output(args.json, "bench", [args.image], args.force, flag="--json")
    if args.live_preview or args.cold_start:
        return run_interactive(args)
    h, w = _size(args.size)
    if args.edit:
        from posestudio.engine.edit.bench import bench_edit

        res = bench_edit(args.edit, h or 512, w or 512, runs=args.runs or 5, warmup=args.warmup)
    elif args.arch is None and args.model == "detect":
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
        _write_json(args, res)
    return 0
