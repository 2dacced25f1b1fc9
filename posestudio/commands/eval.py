"""`posestudio eval RUN_OR_MODEL --data synth|PATH`: a paper-style metric table (mean over
pairs) for a training run's EMA weights and/or installed models, the puppet warp and the
untouched source, plus the same numbers as JSON."""

from __future__ import annotations

import json


def add_parser(sub) -> None:
    p = sub.add_parser(
        "eval",
        help="score a training run or installed models on pose-transfer pairs (SSIM, PSNR, LPIPS, FID, ...)",
        description="Generate each evaluation pair with every row (a run folder, installed models, the puppet, "
        "the source baseline) and print the metrics' means as a table and JSON.",
    )
    p.add_argument(
        "target",
        nargs="?",
        metavar="RUN_OR_MODEL",
        help="a run folder (posestudio train --out) or a model name",
    )
    p.add_argument("--model", action="append", default=[], metavar="NAME",
                   help="also evaluate this installed model or 'puppet' through the engine (repeatable)")  # fmt: skip
    p.add_argument("--baseline", action="append", default=[], choices=["source"],
                   help="'source': a row scoring the untouched source image")  # fmt: skip
    p.add_argument("--task", choices=["pose", "garment", "face"],
                   help="what the engine rows are asked (default: the run's or the model's task, else pose); "
                   "garment gives the true target parsing, face the reference face and the target's edges")  # fmt: skip
    p.add_argument("--data", default="synth", help="'synth' or a folder in the pose-transfer layout "
                   "(with --realpairs: a real-pairs folder, e.g. ../shared/samples/realpairs)")  # fmt: skip
    p.add_argument("--realpairs", action="store_true",
                   help="the real-photo check auto relies on: models vs the weight-free engine on real pairs "
                   "(SSIM/PSNR on columns 40..215, same-facing vs turning), plus identity and locality")  # fmt: skip
    p.add_argument("--photos", type=int, default=8, help="--realpairs: photos for identity/locality (default 8)")
    p.add_argument("--record", action="store_true",
                   help="--realpairs: write the result into the model's card (metrics.realpairs); weights untouched")  # fmt: skip
    p.add_argument("--pairs", type=int, help="number of pairs (default 50; --realpairs: 100)")
    p.add_argument(
        "--seed", type=int, default=1, help="seed of the synthetic pairs (default 1, not the training seed 0)"
    )
    p.add_argument("--size", metavar="HxW", help="image size (default: the run's, else 256x176)")
    p.add_argument("--metrics", default="ssim,psnr", help="comma-separated: ssim, ssim-gfla, psnr, mask-ssim, "
                   "mask-psnr, lpips, fid, is")  # fmt: skip
    p.add_argument("--lpips-weights", metavar="PATH", help="LPIPS-AlexNet weights file (for lpips)")
    p.add_argument("--inception-weights", metavar="PATH", help="FID Inception weights file (for fid, is)")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--json", metavar="OUT", help="write the results as JSON here")
    p.add_argument("--grid", metavar="PNG", help="write a sample grid of the first pairs: source | each row | truth")
    p.add_argument("--grid-pairs", type=int, default=6, help="pairs in the --grid (default 6)")
    p.add_argument("--force", action="store_true",
                   help="replace --json/--grid files that an earlier `posestudio eval` did not write")  # fmt: skip
    p.set_defaults(func=run)


def _check_outputs(args) -> list:
    """--json and --grid may be written (checked before the long work starts, not after)."""
    from posestudio.commands import outputs

    inputs = [args.data, args.target]
    outs = [(args.json, "--json"), (args.grid, "--grid")]
    for path, flag in outs:
        if path:
            outputs.check_output(path, "eval", inputs, args.force, flag=flag)
    return [path for path, _ in outs if path]


def run(args) -> int:
    from posestudio.commands import outputs

    written = _check_outputs(args)
    code = run_realpairs(args) if args.realpairs else _run_pairs(args)
    outputs.record("eval", *written)
    return code


def _run_pairs(args) -> int:
    args.pairs = args.pairs or 50
    from posestudio.errors import InputError
    from posestudio.training import evaluate as ev
    from posestudio.training.config import parse_size
    from posestudio.training.data import make_dataset

    rows, engine_names = [], list(args.model)
    run_row = None
    if args.target:
        if ev.is_run_dir(args.target):
            run_row = ev.RunRow(args.target, args.device)
            rows.append(run_row)
        else:
            engine_names.insert(0, args.target)
    if not rows and not engine_names and not args.baseline:
        raise InputError("eval needs a run folder, a model name, --model NAME or --baseline source")
    size = parse_size(args.size) or (run_row.size if run_row else (256, 176))
    task = args.task or (run_row.task if run_row else _model_task(engine_names))
    kind = run_row.data_kind if run_row else ("faces" if task == "face" else "pairs")
    label_set = run_row.label_set if run_row else "spt10"
    if kind == "faces" and run_row is not None and run_row.arch == "scmnet-face" and (engine_names or args.baseline):
        raise InputError("scmnet-face runs are evaluated alone (their rows take a face parsing map)")
    dataset = make_dataset(args.data, kind, size, args.seed, label_set, length=max(args.pairs, 1))
    if engine_names:
        from posestudio.engine import Engine

        engine = Engine(device=args.device)
        engine.force_sync(True)
        rows += [ev.EngineRow(engine, n, label_set, task) for n in engine_names]
    if "source" in args.baseline:
        rows.append(ev.SourceRow())
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()]
    kw = {"lpips": {"weights": args.lpips_weights, "device": args.device},
          "fid": {"inception_weights": args.inception_weights, "device": args.device},
          "is": {"inception_weights": args.inception_weights, "device": args.device}}  # fmt: skip
    try:
        result = ev.evaluate(rows, dataset, args.pairs, metrics, kw, grid=args.grid, grid_pairs=args.grid_pairs)
    finally:
        if engine_names:
            engine.shutdown()
    result.update(data=args.data, seed=args.seed, size=list(size))
    if run_row is not None and run_row.cfg.dropped_losses:  # the scores beside what the run lacked
        result["dropped_losses"] = {run_row.name: list(run_row.cfg.dropped_losses)}
    print(ev.table(result))
    for name, lost in result.get("dropped_losses", {}).items():
        print(f"{name}: trained without VGG-19 weights; losses dropped: {'; '.join(lost)}")
    print(json.dumps(result))
    if args.json:
        ev.write_json(result, args.json)
    return 0


def run_realpairs(args) -> int:
    """Installed models (and always the weight-free engine) on real pairs; --record puts the
    result in each model's card, where ``auto`` reads it."""
    from posestudio.core.formats.atomic import atomic_write_bytes
    from posestudio.engine import store
    from posestudio.engine.photo_checks import engine_generate
    from posestudio.engine.runner import Runner
    from posestudio.errors import InputError
    from posestudio.training import realpairs

    names = [n for n in dict.fromkeys([*([args.target] if args.target else []), *args.model]) if n != "puppet"]
    cards = {n: store.find(n) for n in names}
    for n, c in cards.items():
        if not c.serves("pose"):
            raise InputError(f"model {n!r} serves {c.task!r}: the real pairs are a pose-transfer protocol", c.path)
    runner = Runner(device=args.device)
    gens = {n: engine_generate(n, runner) for n in names}
    gens["puppet"] = engine_generate("puppet", runner)
    result = realpairs.evaluate(gens, args.data, args.pairs or 100, args.photos)
    result.update(realpairs=True, data=str(args.data))
    command = (f"posestudio eval {' '.join(names)} --realpairs --data {args.data} --pairs {result['pairs']} "
               f"--photos {args.photos} --device {args.device}")  # fmt: skip
    result["records"] = {n: realpairs.card_record(result, n, data=str(args.data), command=command) for n in names}
    print(realpairs.table(result))
    if args.json:
        atomic_write_bytes(args.json, realpairs.dumps(result).encode())
    if args.record:
        for n, c in cards.items():
            if c.path is None:
                raise InputError(f"model {n!r} has no card file to record into")
            realpairs.write_record(c.path, result["records"][n])
            print(f"recorded the real-pair result in {c.path}")
    return 0


def _model_task(names: list[str]) -> str:
    """The task of the first installed model named (not the puppet), else ``pose``."""
    from posestudio.engine import store
    from posestudio.errors import InputError

    for n in names:
        if n in ("puppet", "auto", ""):
            continue
        try:
            return store.find(n).task
        except InputError:
            return "pose"
    return "pose"
