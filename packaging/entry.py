"""The bundle's entry point: the same ``posestudio`` command as the source install.

``POSESTUDIO_REPORT_MODULES=FILE`` appends the names of every module the run imported to
FILE at exit: packaging/ci-smoke.sh checks with it that torch is never imported."""

import atexit
import os
import sys

from posestudio.cli import main


def _report_modules(path: str) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write("\n".join(sorted(sys.modules)) + "\n")


if __name__ == "__main__":
    if os.environ.get("POSESTUDIO_REPORT_MODULES"):
        atexit.register(_report_modules, os.environ["POSESTUDIO_REPORT_MODULES"])
    raise SystemExit(main())
