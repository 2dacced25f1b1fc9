"""`posestudio models ...`: the generator archs (check) and the user's model store.

Sub-commands come from two modules so the nets and the engine each own theirs:
``models_archs`` (check, archs table) and ``models_store`` (list, import,
export-onnx, verify, remove). Each has ``add_subparsers(sub)``.
"""

from __future__ import annotations

import importlib

_PARTS = ("models_archs", "models_store")


def add_parser(sub) -> None:
    p = sub.add_parser("models", help="check generator archs; list, import, export, verify or remove models")
    msub = p.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    for name in _PARTS:
        try:
            mod = importlib.import_module(f"posestudio.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"posestudio.commands.{name}":
                raise
            continue
        mod.add_subparsers(msub)
