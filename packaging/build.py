"""`make dist`: the one-folder bundle, its desktop files and the Linux tarball.

Steps (each prints its time):
1. stage the shipped models with their ONNX exports (made here with the source
   install's torch: the bundle itself has no torch);
2. icons in the hicolor sizes rendered from resources/icons/app.svg with Qt
   (and the .ico / .icns of the executable on Windows / macOS);
3. PyInstaller on packaging/posestudio.spec (torch, training and the nets left out);
4. the licences of everything bundled (packaging/licences.py);
5. Linux: the .desktop entry, AppStream metainfo, the .psproj MIME type, install.sh,
   and dist/PoseStudio-<version>-linux-x86_64.tar.gz.

Run from the repository root with the project's virtualenv:
``PYTHONPATH=$PWD .venv/bin/python packaging/build.py [--no-tarball]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "packaging"
APP_ID = "org.posestudio.PoseStudio"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
# onnxruntime's largest numeric error against torch on the shipped refiners is ~1e-6
MAX_ONNX_DIFF = 1e-3


def platform_tag() -> str:
    system = {"linux": "linux", "win32": "windows", "darwin": "macos"}.get(sys.platform, sys.platform)
    machine = platform.machine().lower()
    return f"{system}-{ {'amd64': 'x86_64', 'aarch64': 'arm64'}.get(machine, machine)}"


def step(name: str, t0: float) -> float:
    now = time.perf_counter()
    print(f"[dist] {name}: {now - t0:.1f} s", flush=True)
    return now


def stage_models(stage: Path) -> list[dict]:
    """Copy the shipped cards + weights and export each to ONNX (fp32, CPU) beside its card."""
    models = stage / "models"
    shutil.rmtree(models, ignore_errors=True)
    models.mkdir(parents=True)
    # never touch the builder's own model folder or ONNX cache
    os.environ["POSESTUDIO_SHIPPED_MODELS"] = str(ROOT / "models")
    os.environ["POSESTUDIO_MODELS_DIR"] = str(stage / "no-user-models")
    os.environ["POSESTUDIO_CACHE_DIR"] = str(stage / "cache")
    from posestudio.engine import export, store

    reports = []
    for card in store.list_cards():
        if card.path is None or card.path.parent.resolve() != (ROOT / "models").resolve():
            continue
        shutil.copy2(card.path, models / card.path.name)
        shutil.copy2(card.weights_path, models / card.weights_path.name)
        path, report = export.export_card(card, fp16=False, verify=True, force=True)
        worst = max(report["max_abs_diff"].values())
        if worst > MAX_ONNX_DIFF:
            raise SystemExit(f"{card.name}: ONNX export differs from torch by {worst:g}")
        shutil.copy2(path, models / path.name)
        reports.append({"model": card.name, "onnx": path.name, "max_abs_diff": worst})
        print(f"[dist]   {card.name} -> {path.name} (max |onnx - torch| {worst:.2e})", flush=True)
    shutil.copy2(ROOT / "models" / "README.md", models / "README.md")
    return reports


def run_pyinstaller(stage: Path, distpath: Path, workpath: Path, icon: Path | None) -> Path:
    env = {**os.environ, "POSESTUDIO_STAGE": str(stage), "PYTHONPATH": str(ROOT)}
    if icon is not None:
        env["POSESTUDIO_ICON"] = str(icon)
    nice = ["nice", "-n", "10"] if shutil.which("nice") else []
    cmd = [*nice, sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
           "--distpath", str(distpath), "--workpath", str(workpath), str(PKG / "posestudio.spec")]
    subprocess.run(cmd, check=True, env=env, cwd=ROOT)
    return distpath / "PoseStudio"


def render_icons(share: Path) -> Path | None:
    """hicolor PNGs under ``share/icons`` from the SVG icon (Qt's SVG renderer, offscreen);
    on Windows and macOS also the executable's .ico / .icns (Pillow), whose path is returned."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 - Qt needs one
    svg = ROOT / "resources" / "icons" / "app.svg"
    renderer = QSvgRenderer(str(svg))
    for n in ICON_SIZES:
        img = QImage(n, n, QImage.Format.Format_ARGB32_Premultiplied)
        img.fill(Qt.GlobalColor.transparent)
        painter = QPainter(img)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        out = share / "icons" / "hicolor" / f"{n}x{n}" / "apps" / f"{APP_ID}.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        if not img.save(str(out)):
            raise SystemExit(f"could not write {out}")
    scalable = share / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(svg, scalable)
    kind = {"win32": "ico", "darwin": "icns"}.get(sys.platform)
    if kind is None:
        return None
    from PIL import Image

    big = Image.open(share / "icons" / "hicolor" / "512x512" / "apps" / f"{APP_ID}.png")
    out = share / f"posestudio.{kind}"
    big.save(out, **({"sizes": [(n, n) for n in ICON_SIZES if n <= 256]} if kind == "ico" else {}))
    return out


def desktop_files(top: Path, version: str, icons: Path) -> None:
    share = top / "share"
    linux = PKG / "linux"
    for src, dest in (
        (f"{APP_ID}.desktop", share / "applications"),
        (f"{APP_ID}.metainfo.xml", share / "metainfo"),
        (f"{APP_ID}.mime.xml", share / "mime" / "packages"),
    ):
        dest.mkdir(parents=True, exist_ok=True)
        text = (linux / src).read_text().replace("@VERSION@", version).replace("@DATE@", time.strftime("%Y-%m-%d"))
        (dest / src.replace(".mime.xml", ".xml")).write_text(text)
    shutil.copytree(icons / "icons", share / "icons", dirs_exist_ok=True)
    for script in ("install.sh", "uninstall.sh"):
        shutil.copy2(linux / script, top / script)
        (top / script).chmod(0o755)


def make_tarball(top: Path) -> Path:
    tar = top.parent / f"{top.name}.tar.gz"
    tmp = tar.with_name(tar.name + ".tmp")
    with tarfile.open(tmp, "w:gz", compresslevel=6) as tf:
        tf.add(top, arcname=top.name)
    tmp.replace(tar)
    return tar


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dist", default=str(ROOT / "dist"), help="output folder (default dist/)")
    ap.add_argument("--work", default=str(ROOT / "build" / "dist"), help="work folder (default build/dist)")
    ap.add_argument("--no-tarball", action="store_true", help="stop before the tarball")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(PKG))
    import licences

    from posestudio import __version__

    dist, work = Path(args.dist).resolve(), Path(args.work).resolve()
    linux = sys.platform.startswith("linux")
    top = dist / f"PoseStudio-{__version__}-{platform_tag()}"
    shutil.rmtree(top, ignore_errors=True)
    t_start = t = time.perf_counter()
    stage = work / "stage"
    reports = stage_models(stage)
    t = step("models staged and exported to ONNX", t)
    shutil.rmtree(stage / "icons", ignore_errors=True)
    icon = render_icons(stage / "icons")
    t = step("icons", t)
    bundle = run_pyinstaller(stage, top, work / "pyinstaller", icon)
    t = step("PyInstaller", t)
    names = json.loads((work / "pyinstaller" / "posestudio" / "bundled-toplevel.json").read_text())
    index = licences.collect(names, bundle / "licenses", ROOT, bundle)
    t = step(f"licences ({len(index)} entries)", t)
    if linux:
        desktop_files(top, __version__, stage / "icons")
        t = step("desktop files", t)
    info = {"version": __version__, "bundle_bytes": du(bundle), "onnx": reports}
    if linux and not args.no_tarball:
        tar = make_tarball(top)
        info["tarball"] = str(tar)
        info["tarball_bytes"] = tar.stat().st_size
        t = step("tarball", t)
    info["seconds"] = round(time.perf_counter() - t_start, 1)
    (work / "dist-info.json").write_text(json.dumps(info, indent=2))
    print(f"[dist] bundle {bundle} {info['bundle_bytes'] / 2**20:.0f} MiB"
          + (f", tarball {info['tarball_bytes'] / 2**20:.0f} MiB" if "tarball" in info else "")
          + f", {info['seconds']:.0f} s in all", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
