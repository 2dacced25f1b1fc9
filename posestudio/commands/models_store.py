"""`posestudio models list|import|export-onnx|verify|remove`: the user's model store."""

from __future__ import annotations

import json

from posestudio.errors import InputError


def add_subparsers(msub) -> None:
    p = msub.add_parser("list", help="installed models (with --archs: the generator archs)")
    p.add_argument(
        "--archs", action="store_true", help="list the generator archs instead of installed models"
    )
    p.add_argument("--task", help="only models for this task")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run_list)

    p = msub.add_parser(
        "import",
        help="add a model: a training run, the authors' PoNA checkpoint (.pth) or our safetensors",
        usage="posestudio models import RUN_DIR_OR_CARD.json [--name NAME] [--force]\n"
        "       posestudio models import ARCH PATH [--name NAME] [--preset P] [--task T] [--force]",
        description="Convert weights into the user's model folder (safetensors + model card). A `posestudio "
        "train` run folder (or its model.card.json) imports with the exact config it was trained with; ARCH "
        "'pona' reads the PoNA authors' generator .pth (torch.load weights_only); any arch reads our "
        ".safetensors built from --preset.",
    )
    p.add_argument(
        "arch", metavar="RUN_DIR_OR_CARD|ARCH", help="a training run / model card, or the weights' arch"
    )
    p.add_argument("path", metavar="PATH", nargs="?", help="with ARCH: .pth (official PoNA) or .safetensors")
    p.add_argument("--name", help="model name (default: the file name)")
    p.add_argument("--preset", default="small", help="for .safetensors: the preset it was built from")
    p.add_argument("--task", help="task the model serves (default: the arch's first)")
    p.add_argument("--force", action="store_true", help="replace a model of the same name")
    p.add_argument("--into", metavar="DIR", help="run folders: install here instead of the user's model folder "
                   "(models/ to ship a default)")  # fmt: skip
    p.add_argument("--eval-json", metavar="FILE", action="append", default=[],
                   help="run folders: put this `posestudio eval --json` result (the model's, the puppet's and the "
                   "source's SSIM/PSNR; from `eval --realpairs`: the real-photo record auto needs) in the card's "
                   "metrics (repeatable)")  # fmt: skip
    p.add_argument("--description", help="run folders: the card's one-line description")
    p.add_argument("--licence", help="run folders: the card's licence")
    p.set_defaults(func=run_import)

    p = msub.add_parser("export-onnx", help="export a model to ONNX (cached) and check it against torch")
    p.add_argument("name")
    p.add_argument("--fp16", action="store_true", help="export in half precision (for GPUs)")
    p.add_argument("--out", metavar="OUT.onnx", help="also copy the file here")
    p.add_argument("--no-verify", action="store_true", help="skip the ONNX Runtime vs torch comparison")
    p.add_argument("--force", action="store_true", help="replace --out when it exists and was not written "
                   "by an earlier export-onnx")
    p.set_defaults(func=run_export)

    p = msub.add_parser("verify", help="check models' checksums and tensor shapes")
    p.add_argument("names", nargs="*", help="models to check (default: all)")
    p.set_defaults(func=run_verify)

    p = msub.add_parser("remove", help="delete a user model (card, weights, cached ONNX)")
    p.add_argument("name")
    p.set_defaults(func=run_remove)


def run_list(args) -> int:
    if args.archs:
        try:
            from posestudio.commands.models_archs import archs_table
        except ImportError:
            raise InputError("the arch table is not available in this build") from None
        rows = archs_table()
        if args.json:
            print(json.dumps(rows, indent=2))
        else:
            for r in rows:
                tasks = ",".join(r.get("tasks", []))
                presets = ", ".join(
                    f"{k} {v.get('parameters', 0) / 1e6:.2f}M" for k, v in r.get("presets", {}).items()
                )
                print(f"{r['arch']:16s} {tasks:20s} {presets or r.get('error', '')}")
        return 0
    from posestudio.engine import store
    from posestudio.engine.cards import puppet_card

    errors: list[str] = []
    cards = store.list_cards(args.task, errors)
    cards.append(puppet_card(args.task or "pose"))
    auto = [_auto_column(c) for c in cards]
    if args.json:
        print(json.dumps([{**c.to_json(), "card": str(c.path) if c.path else None, "auto": a}
                          for c, a in zip(cards, auto, strict=True)], indent=2))  # fmt: skip
    else:
        print(f"{'NAME':24s} {'ARCH':14s} {'TASK':9s} {'SIZE':9s} {'AUTO':40s} SOURCE")
        for c, a in zip(cards, auto, strict=True):
            size = f"{c.height}x{c.width}" if c.height else "any"
            why = ("yes: " if a["picked"] else "no: ") + a["reason"]
            print(f"{c.name:24s} {c.arch:14s} {c.task:9s} {size:9s} {why:40s} {c.source}")
    for e in errors:
        print(f"posestudio: warning: skipped {e}")
    return 0


def _auto_column(card) -> dict:
    """Whether ``auto`` picks ``card`` for its task, and why (or why not) in a few words."""
    from posestudio.engine.cards import default_verdict
    from posestudio.engine.runner import Runner

    picked = Runner.auto_card(card.task).name == card.name
    if card.is_puppet:
        return {"picked": picked, "reason": "no trained model earned it" if picked else "a model beats it"}
    earned, reason = default_verdict(card)
    if earned and not picked:
        reason = "another model scores higher"
    return {"picked": picked, "reason": reason}


def metrics_from_eval(path) -> dict:
    """Card metrics from ``posestudio eval --json``: the first row that is neither the puppet nor
    the source as ``ssim``/``psnr``..., the others as ``puppet_ssim``, ``source_psnr``..."""
    try:
        res = json.loads(path.read_text())
        rows = res["rows"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"not a `posestudio eval --json` result ({exc.__class__.__name__})", path) from None
    model = next((r for r in rows if r not in ("puppet", "source")), None)
    if model is None:
        raise InputError("the eval result has no model row (only puppet/source)", path)
    if res.get("realpairs"):  # `eval --realpairs`: the block auto reads
        return {"realpairs": res["records"][model]}
    out = {k: round(float(v), 4) for k, v in rows[model].items()}
    for base in ("puppet", "source"):
        out.update({f"{base}_{k}": round(float(v), 4) for k, v in rows.get(base, {}).items()})
    out.update(pairs=res.get("pairs"), seed=res.get("seed"), size=res.get("size"),
               dataset=f"procedural synthetic ({res.get('data', 'synth')}), held-out seed {res.get('seed')}")  # fmt: skip
    return out


def run_import(args) -> int:
    from pathlib import Path

    from posestudio.engine import store

    if args.path is None:
        target = Path(args.arch)
        if not (target.is_dir() or target.suffix == ".json"):
            raise InputError(
                "give a training run folder or its model.card.json, or ARCH and a weights PATH", target
            )
        fields = {k: v for k, v in (("description", args.description), ("licence", args.licence)) if v}
        if args.eval_json:
            fields["metrics"] = {}
            for f in args.eval_json:
                fields["metrics"].update(metrics_from_eval(Path(f)))
        card = store.import_run(target, args.name, args.force, folder=args.into, **fields)
        print(f"imported {card.name} ({card.arch}, {card.task}, {card.height}x{card.width}) -> {card.path}")
        return 0
    path = Path(args.path)
    if path.suffix == ".safetensors":
        card = store.import_safetensors(path, args.arch, args.name, args.preset, args.task, args.force)
    elif args.arch == "pona":
        card = store.import_pona(path, args.name, args.force)
    else:
        raise InputError(
            f"importing official {args.arch!r} checkpoints is not supported; give a .safetensors", path
        )
    print(f"imported {card.name} ({card.arch}, {card.task}, {card.height}x{card.width}) -> {card.path}")
    return 0


def run_export(args) -> int:
    from posestudio.commands import outputs
    from posestudio.core.formats.atomic import atomic_write_bytes
    from posestudio.engine import export, store

    card = store.find(args.name)
    if args.out:
        outputs.check_output(args.out, "models export-onnx", [card.path, card.weights_path], args.force)
    path, report = export.export_card(card, fp16=args.fp16, verify=not args.no_verify)
    if args.out:
        atomic_write_bytes(args.out, path.read_bytes())
        outputs.record("models export-onnx", args.out)
    print(json.dumps({"onnx": str(path), **report}, indent=2))
    return 0


def run_verify(args) -> int:
    from posestudio.engine import store

    errors: list[str] = []
    cards = store.list_cards(errors=errors)
    if args.names:
        known = {c.name for c in cards}
        for n in args.names:
            if n not in known:
                store.find(n)  # raises the one-line error
        cards = [c for c in cards if c.name in args.names]
    bad = len(errors)
    for e in errors:
        print(f"BAD  {e}")
    for c in cards:
        problem = store.verify(c)
        print(f"OK   {c.name}" if problem is None else f"BAD  {problem}")
        bad += problem is not None
    return 1 if bad else 0


def run_remove(args) -> int:
    from posestudio.engine import store

    for p in store.remove(args.name):
        print(f"removed {p}")
    return 0
