"""Command line entry point. ``posestudio`` alone opens the window.

Each sub-command lives in ``posestudio/commands/<name>.py`` with two functions:
``add_parser(subparsers)`` registers it (and sets ``func`` via
``set_defaults``), and the function it sets returns the exit code. Heavy
imports (torch, Qt) happen inside that function so ``--help`` stays instant.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from posestudio import __version__
from posestudio.errors import InputError

# Order = order in --help. Each entry is a module in posestudio.commands.
COMMANDS = ["pose", "generate", "models", "bench", "detect", "train", "personal", "eval", "render"]


def _command_modules():
    for name in COMMANDS:
        try:
            yield importlib.import_module(f"posestudio.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"posestudio.commands.{name}":
                raise


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="posestudio",
        usage="posestudio [--screenshot OUT.png] [FILE] | posestudio COMMAND ...",
        description="Pose characters, repaint garments and make image sequences, offline. "
        "Without a command, opens the window (with FILE: a project, image or pose).",
    )
    parser.add_argument("--version", action="version", version=f"posestudio {__version__}")
    parser.add_argument("--screenshot", metavar="OUT.png", help="render the main window offscreen to a PNG and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in _command_modules():
        mod.add_parser(sub)
    return parser


def _split_project(argv: list[str]) -> tuple[list[str], str | None]:
    """`posestudio FILE` opens FILE: take the first bare word out when it is no command."""
    for i, tok in enumerate(argv):
        if tok.startswith("-") or (i > 0 and argv[i - 1] == "--screenshot"):
            continue
        if tok in COMMANDS:
            return argv, None
        return argv[:i] + argv[i + 1 :], tok
    return argv, None


def _open_window(project: str | None, screenshot: str | None) -> int:
    try:
        app = importlib.import_module("posestudio.ui.app")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("posestudio.ui"):
            build_parser().print_help()
            return 0
        raise
    return app.main(project=project, screenshot=screenshot)


def _one_line(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror or exc}"
    return " ".join(str(exc).split())


def main(argv: list[str] | None = None) -> int:
    argv, project = _split_project(list(sys.argv[1:] if argv is None else argv))
    args = build_parser().parse_args(argv)
    try:
        if args.command is None:
            return _open_window(project, args.screenshot)
        return int(args.func(args) or 0)
    except (InputError, FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError) as exc:
        print(f"posestudio: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:  # full or read-only disk, a name too long for the file system ...
        print(f"posestudio: error: {_one_line(exc)}; nothing was replaced", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("posestudio: interrupted", file=sys.stderr)
        return 130
