"""packaging/check_desktop.py: what `make run` says on a desktop that lacks Qt's X11 libraries.
Checked against the real dynamic loader and the real PySide6 plugin of this machine."""

from __future__ import annotations

import ctypes
import importlib.util
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _module():
    spec = importlib.util.spec_from_file_location("check_desktop", REPO / "packaging" / "check_desktop.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _loads(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
        return True
    except OSError:
        return False


def test_reported_packages_are_exactly_the_libraries_the_loader_cannot_find():
    cd = _module()
    venv = Path(sys.prefix)
    files = cd.qt_files(venv)
    assert any(f.endswith("libqxcb.so") for f in files), "PySide6's xcb plugin is where the check looks"
    need = cd.missing_packages(venv)
    expected = {pkg for soname, pkg in cd.PACKAGES.items() if not _loads(soname)}
    expected |= {cd.PACKAGES.get(s, s) for s in cd.ldd_missing(files)}  # whatever ldd cannot resolve
    assert set(need) == expected and len(need) == len(expected)


def test_one_line_names_every_package_and_the_command():
    cd = _module()
    line = cd.message(["libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1"])
    assert "\n" not in line
    assert line.endswith("sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1")
    assert "libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1" in line


def test_script_exit_code_matches_what_is_missing():
    cd = _module()
    need = cd.missing_packages(Path(sys.prefix))
    run = subprocess.run([sys.executable, str(REPO / "packaging" / "check_desktop.py"), "--venv", sys.prefix],
                         capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "xcb"})
    if need:
        assert run.returncode == 1 and run.stderr.count("\n") == 1 and all(p in run.stderr for p in need)
    else:
        assert run.returncode == 0 and run.stderr == ""
    offscreen = subprocess.run([sys.executable, str(REPO / "packaging" / "check_desktop.py")],
                               capture_output=True, text=True, env={"PATH": "/usr/bin:/bin",
                                                                    "QT_QPA_PLATFORM": "offscreen"})
    assert offscreen.returncode == 0
