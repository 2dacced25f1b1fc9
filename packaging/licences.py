"""The notices of everything in the bundle, gathered at build time.

For each installed distribution that provides a top-level package the bundle
carries (the spec writes their names), its licence files (from the wheel's
RECORD: LICENSE, COPYING, NOTICE, third-party notices) are copied into
``licenses/<dist>-<version>/``; ``licenses/INDEX.txt`` lists every entry with
its declared licence. Added by hand because no wheel carries them: the full
LGPL/GPL texts PySide6 and Qt are offered under (Debian's common-licenses),
Python's own licence, ffmpeg's licence statement (``ffmpeg -L`` of the bundled
binary), the Debian copyright files of the system libraries PyInstaller copied from the
build machine (``dpkg -S``) and the shipped models' licences (their cards).
"""

from __future__ import annotations

import importlib.metadata as md
import json
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

NOTICE = re.compile(r"(licen[cs]e|copying|notice|thirdparty|third-party|authors)", re.I)
COMMON = Path("/usr/share/common-licenses")


def _distributions(names: list[str]) -> dict[str, md.Distribution]:
    by_top = md.packages_distributions()
    found: dict[str, md.Distribution] = {}
    for name in names:
        for dist_name in by_top.get(name, []):
            dist = md.distribution(dist_name)
            found[dist.metadata["Name"]] = dist
    return found


def _declared(dist: md.Distribution) -> str:
    meta = dist.metadata
    text = meta.get("License-Expression") or meta.get("License") or ""
    if not text or len(text) > 80:
        classifiers = [c.split("::")[-1].strip() for c in meta.get_all("Classifier") or [] if c.startswith("License")]
        text = "; ".join(classifiers) or (text.splitlines()[0] if text else "see files")
    return text


def _debian_libraries(bundle: Path, out: Path) -> list[tuple[str, str, str]]:
    """Shared libraries PyInstaller copied from the build machine (not from a wheel): their
    Debian packages' copyright files go into ``system/<package>/``."""
    if shutil.which("dpkg") is None:
        return []
    multiarch = sysconfig.get_config_var("MULTIARCH") or "x86_64-linux-gnu"
    candidates = []
    for f in sorted((bundle / "_internal").iterdir()):
        if f.is_file() and not f.is_symlink() and ".so" in f.name:  # wheels' libraries are symlinked here
            # the same file, not only the same name (libpython comes from the build's own Python)
            candidates += [str(c) for c in (Path(d, multiarch, f.name) for d in ("/usr/lib", "/lib"))
                           if c.is_file() and c.stat().st_size == f.stat().st_size]
    if not candidates:
        return []
    found = subprocess.run(["dpkg", "-S", *candidates], capture_output=True, text=True).stdout
    owners: dict[str, set[str]] = {}
    for line in found.splitlines():
        pkg, sep, path = line.partition(": ")
        if sep:
            owners.setdefault(pkg.split(":")[0], set()).add(Path(path).name)
    if not owners:
        return []
    versions = dict(line.split(" ", 1) for line in subprocess.run(
        ["dpkg-query", "-W", "-f=${Package} ${Version}\n", *owners], capture_output=True, text=True
    ).stdout.splitlines() if " " in line)
    rows = []
    for pkg, libs in sorted(owners.items()):
        dest = out / "system" / pkg
        dest.mkdir(parents=True)
        copyright_file = Path("/usr/share/doc") / pkg / "copyright"
        if copyright_file.is_file():
            shutil.copy2(copyright_file, dest / "copyright")
        rows.append((f"{pkg} (Debian)", versions.get(pkg, "?"), f"see system/{pkg}/copyright: {', '.join(sorted(libs))}"))
    return rows


def _write(out: Path, rows: list[tuple[str, str, str]]) -> None:
    lines = ["Third-party software in this PoseStudio bundle", "=" * 46, ""]
    lines += [f"{name:32s} {version:14s} {lic}" for name, version, lic in rows]
    lines += ["", "Each folder here holds that component's licence and notice files as it ships them.",
              "Qt and PySide6 are used under the LGPL-3.0: they are separate shared libraries in",
              "_internal/ (PySide6/Qt/lib) that you may replace with your own build of the same version;",
              "their source is at the Qt Project (qt.io) and PyPI (PySide6 sdist).",
              "ffmpeg is a separate program (imageio_ffmpeg/binaries) that PoseStudio runs to write",
              "MP4 files; it is GPL-3.0: its source is at ffmpeg.org, the exact build in ffmpeg/VERSION.txt."]
    (out / "INDEX.txt").write_text("\n".join(lines) + "\n")


def collect(names: list[str], out: Path, root: Path, bundle: Path) -> list[tuple[str, str, str]]:
    """Copy the licence files of the distributions behind ``names`` into ``out``; returns the index rows."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    rows = []
    for name, dist in sorted(_distributions(names).items(), key=lambda kv: kv[0].lower()):
        if name.lower() == "posestudio":  # ours, listed below with the models
            continue
        dest = out / f"{name}-{dist.version}"
        dest.mkdir()
        files = [f for f in dist.files or [] if NOTICE.search(f.name) and not f.name.endswith((".py", ".pyc"))]
        for f in files:
            src = Path(dist.locate_file(f))
            rel = [p for p in Path(f).parts if not p.endswith(".dist-info")]
            rel = rel[1:] if len(rel) > 1 and rel[0] == "licenses" else rel
            if src.is_file():  # nested notices (numpy's vendored code) keep their path in the name
                shutil.copy2(src, dest / "__".join(rel))
        lic = _declared(dist)
        if "LGPL" in lic and COMMON.is_dir():  # PySide6 and shiboken6 wheels carry no licence text
            for text in ("LGPL-3", "GPL-2", "GPL-3"):
                shutil.copy2(COMMON / text, dest / f"{text}.txt")
        (dest / "METADATA.txt").write_text(f"{name} {dist.version}\nLicense: {lic}\n"
                                           f"Home: {dist.metadata.get('Home-page') or ''}\n")
        rows.append((name, dist.version, lic))
    py = Path(sysconfig.get_paths()["stdlib"]) / "LICENSE.txt"
    if py.is_file():
        (out / "Python").mkdir()
        shutil.copy2(py, out / "Python" / "LICENSE.txt")
        rows.append(("Python", sys.version.split()[0], "PSF-2.0"))
    ffmpeg = next(iter(bundle.rglob("ffmpeg-*")), None)
    if ffmpeg is not None:
        (out / "ffmpeg").mkdir()
        lic = subprocess.run([str(ffmpeg), "-hide_banner", "-L"], capture_output=True, text=True).stdout
        ver = subprocess.run([str(ffmpeg), "-version"], capture_output=True, text=True).stdout
        (out / "ffmpeg" / "LICENSE.txt").write_text(lic)
        (out / "ffmpeg" / "VERSION.txt").write_text(ver)
        kind = "GPL-3.0-or-later" if "--enable-gpl" in ver and "version 3" in lic else (
            "GPL-2.0-or-later" if "--enable-gpl" in ver else "LGPL-2.1-or-later")
        rows.append(("ffmpeg (imageio-ffmpeg binary)", ver.split()[2] if ver else "?", kind))
    rows += _debian_libraries(bundle, out)
    (out / "PoseStudio").mkdir()
    shutil.copy2(root / "LICENSE", out / "PoseStudio" / "LICENSE")
    rows.append(("PoseStudio", "", "MIT"))
    for card in sorted((root / "models").glob("*.card.json")):
        info = json.loads(card.read_text())
        rows.append((f"model {info['name']}", "", f"{info.get('licence', '?')} ({info.get('source', '')})"))
    _write(out, rows)
    return rows
