"""The bundle's entry point: the same ``posestudio`` command as the source install.

The bundle leaves torch out (it infers through ONNX Runtime): a command that needs it
(``models check``, ``eval``, ``bench --backend torch`` …) ends with one line that points to
the source install instead of a traceback; ``train`` says so itself.

``POSESTUDIO_REPORT_MODULES=FILE`` appends the names of every module the run imported to
FILE at exit: packaging/ci-smoke.sh checks with it that torch is never imported."""

import atexit
import os
import sys

from posestudio.cli import main

LEFT_OUT = {"torch", "torchvision", "onnx", "posestudio.nets", "posestudio.training"}


def _left_out(name: str | None) -> bool:
    parts = (name or "").split(".")
    return parts[0] in LEFT_OUT or ".".join(parts[:2]) in LEFT_OUT


def _report_modules(path: str) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write("\n".join(sorted(sys.modules)) + "\n")


def run() -> int:
    if os.environ.get("POSESTUDIO_REPORT_MODULES"):
        atexit.register(_report_modules, os.environ["POSESTUDIO_REPORT_MODULES"])
    try:
        return main()
    except ModuleNotFoundError as exc:
        if not _left_out(exc.name):
            raise
        print("posestudio: error: this needs torch, which the app leaves out: use the source install "
              "(docs/INSTALL.md)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(run())
