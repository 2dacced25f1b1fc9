"""Can this Linux desktop open the PoseStudio window? ``make run`` asks first.

    python3 packaging/check_desktop.py [--venv .venv]

Prints nothing and exits 0 when it can. Otherwise prints ONE line naming every
missing system package and the command that installs them, and exits 1. Qt
itself names only the first library it fails to load, one per try.

Standard library only: it runs with the system ``python3`` before the virtual
environment exists (then it checks the libraries Qt's X11 platform plugin is
known to load), and again once PySide6 is installed (then ``ldd`` on the real
plugin and Qt libraries finds whatever else is missing).
"""

from __future__ import annotations

import argparse
import ctypes
import glob
import os
import subprocess
import sys
from pathlib import Path

# soname -> Debian/Ubuntu package: what Qt 6's xcb plugin, QtGui and QtWidgets load
# from the system (read from ``ldd libqxcb.so`` of PySide6 6.x on Debian 12)
PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
}
PYTHON_VENV = "python3-venv"


def loadable(soname: str) -> bool:
    """Whether the dynamic loader finds ``soname`` (the same search Qt's plugin load does)."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def ldd_missing(files: list[str]) -> list[str]:
    """Sonames ``ldd`` reports "not found" for any of ``files`` (empty when ldd is absent)."""
    missing: list[str] = []
    for f in files:
        try:
            out = subprocess.run(["ldd", f], capture_output=True, text=True, timeout=30).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        for line in out.splitlines():
            if "not found" in line:
                name = line.split("=>")[0].strip()
                if name and name not in missing:
                    missing.append(name)
    return missing


def qt_files(venv: Path) -> list[str]:
    """PySide6's xcb platform plugin and the Qt libraries the window uses, inside ``venv``."""
    found = []
    for pattern in ("lib/python3*/site-packages/PySide6/Qt/plugins/platforms/libqxcb.so",
                    "lib/python3*/site-packages/PySide6/Qt/lib/libQt6Widgets.so.6",
                    "lib/python3*/site-packages/PySide6/Qt/lib/libQt6Svg.so.6"):
        found += glob.glob(str(venv / pattern))
    return found


def missing_packages(venv: Path | None = None) -> list[str]:
    """Every system package the window still needs, in install order, without repeats."""
    need: list[str] = []
    sonames = [s for s in PACKAGES if not loadable(s)]
    if venv is not None and venv.is_dir():
        sonames += [s for s in ldd_missing(qt_files(venv)) if s not in sonames]
    elif not _has_venv():
        need.append(PYTHON_VENV)
    for s in sonames:
        pkg = PACKAGES.get(s, s)  # an unknown library is named as itself
        if pkg not in need:
            need.append(pkg)
    return need


def _has_venv() -> bool:
    try:
        import ensurepip  # noqa: F401
        import venv  # noqa: F401
    except ImportError:
        return False
    return True


def message(packages: list[str]) -> str:
    """The one line ``make run`` prints when something is missing."""
    return (f"PoseStudio cannot open its window: missing system packages {', '.join(packages)}; "
            f"install them with: sudo apt-get install {' '.join(packages)}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--venv", type=Path, default=None, help="the virtual environment PySide6 is installed in")
    args = ap.parse_args(argv)
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM", "xcb").split(":")[0] not in (
            "xcb", ""):
        return 0  # another platform plugin (offscreen, wayland) or not Linux: nothing of X11 needed
    packages = missing_packages(args.venv)
    if packages:
        print(message(packages), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
