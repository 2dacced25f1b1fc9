"""The Linux desktop files in packaging/linux (issue 18): the .desktop entry and AppStream
metainfo pass their validators (where installed), the MIME type claims the sample project,
and install.sh / uninstall.sh install per user into a prefix and remove all they wrote.
The bundle itself is built and run by packaging/ci-smoke.sh (minutes, not a unit test)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import stat
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from fnmatch import fnmatch
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LINUX = REPO / "packaging" / "linux"
APP_ID = "org.posestudio.PoseStudio"
SAMPLE = REPO / "resources" / "samples" / "deepfashion_2A.psproj"


def desktop_entry(path: Path) -> dict[str, str]:
    lines = path.read_text().splitlines()
    assert lines[0] == "[Desktop Entry]"
    return dict(line.split("=", 1) for line in lines[1:] if "=" in line)


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="appstreamcli not installed (apt-get install appstream)")
def test_metainfo_passes_appstreamcli(tmp_path):
    text = (LINUX / f"{APP_ID}.metainfo.xml").read_text()
    out = tmp_path / f"{APP_ID}.metainfo.xml"
    out.write_text(text.replace("@VERSION@", "0.1.0").replace("@DATE@", "2026-11-28"))  # as make dist does
    r = subprocess.run(["appstreamcli", "validate", "--no-net", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils not installed")
def test_desktop_entry_passes_desktop_file_validate():
    r = subprocess.run(["desktop-file-validate", str(LINUX / f"{APP_ID}.desktop")], capture_output=True, text=True)
    assert r.returncode == 0 and not r.stdout.strip(), r.stdout + r.stderr


def test_the_project_type_ties_the_entry_the_metainfo_and_the_sample_together():
    mime = ET.parse(LINUX / f"{APP_ID}.mime.xml").getroot()
    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    kind = mime.find("m:mime-type", ns)
    globs = [g.get("pattern") for g in kind.findall("m:glob", ns)]
    assert any(fnmatch(SAMPLE.name, g) for g in globs)
    parent = kind.find("m:sub-class-of", ns).get("type")
    assert parent == "application/zip" and zipfile.is_zipfile(SAMPLE), "a .psproj is a zip archive"
    entry = desktop_entry(LINUX / f"{APP_ID}.desktop")
    assert kind.get("type") in entry["MimeType"].split(";")
    assert "%f" in entry["Exec"].split() and entry["Icon"] == APP_ID
    meta = ET.parse(LINUX / f"{APP_ID}.metainfo.xml").getroot()
    assert meta.findtext("id") == APP_ID
    assert meta.findtext("launchable") == f"{APP_ID}.desktop"
    assert meta.findtext("provides/mediatype") == kind.get("type")


@pytest.fixture
def unpacked(tmp_path):
    """A tarball's layout around a stand-in executable (the real bundle: ci-smoke.sh)."""
    top = tmp_path / "PoseStudio-0.1.0-linux-x86_64"
    app = top / "PoseStudio"
    (app / "_internal").mkdir(parents=True)
    exe = app / "posestudio"
    exe.write_text('#!/bin/sh\necho "posestudio $*"\n')
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    share = top / "share"
    for src, dest in ((f"{APP_ID}.desktop", "applications"), (f"{APP_ID}.metainfo.xml", "metainfo"),
                      (f"{APP_ID}.mime.xml", "mime/packages")):
        (share / dest).mkdir(parents=True)
        shutil.copy2(LINUX / src, share / dest / src.replace(".mime.xml", ".xml"))
    for size in ("48x48", "256x256"):
        (share / "icons/hicolor" / size / "apps").mkdir(parents=True)
        (share / "icons/hicolor" / size / "apps" / f"{APP_ID}.png").write_bytes(b"png")
    for script in ("install.sh", "uninstall.sh"):
        shutil.copy2(LINUX / script, top / script)
    return top


def test_install_sh_installs_per_user_and_uninstall_sh_removes_it(unpacked, tmp_path):
    home = tmp_path / "home with space"
    home.mkdir()
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin"}
    r = subprocess.run(["sh", str(unpacked / "install.sh")], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    local = home / ".local"
    lib = local / "lib" / "posestudio"
    out = subprocess.run([str(local / "bin" / "posestudio"), "--version"], capture_output=True, text=True)
    assert out.stdout.strip() == "posestudio --version"
    entry = desktop_entry(local / "share" / "applications" / f"{APP_ID}.desktop")
    assert entry["Exec"] == f'"{lib}/posestudio" %f'
    assert (local / "share/icons/hicolor/256x256/apps" / f"{APP_ID}.png").is_file()
    assert (local / "share/mime/packages" / f"{APP_ID}.xml").is_file()
    assert (local / "share/metainfo" / f"{APP_ID}.metainfo.xml").is_file()
    # again: replaces the copy in place
    assert subprocess.run(["sh", str(unpacked / "install.sh")], env=env, capture_output=True).returncode == 0
    r = subprocess.run(["sh", str(lib / "uninstall.sh")], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    left = [p for p in local.rglob("*") if p.is_file() or p.is_symlink()]
    # the desktop's shared caches stay (rebuilt by update-*-database, empty of our entries)
    left = [p for p in left if p.name not in ("mimeinfo.cache", "icon-theme.cache")
            and not (p.relative_to(local).parts[1:2] == ("mime",) and p.parent.name != "packages")]
    assert not left, left
    assert not os.path.lexists(local / "bin" / "posestudio")


def load_packaging(name: str):
    """packaging/NAME.py by its path (``build`` is also the name of a PyPI package)."""
    spec = importlib.util.spec_from_file_location(f"packaging_{name}", REPO / "packaging" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture
def packaging_modules():
    return load_packaging("build"), load_packaging("licences")


def test_icons_are_rendered_from_the_svg_in_every_hicolor_size(tmp_path, packaging_modules, qapp):
    # qapp: the suite's one QApplication. Left to itself render_icons would make a bare
    # QGuiApplication, and every window test after this one would abort building a QWidget.
    from PIL import Image

    build, _ = packaging_modules
    build.render_icons(tmp_path)
    hicolor = tmp_path / "icons" / "hicolor"
    for n in build.ICON_SIZES:
        with Image.open(hicolor / f"{n}x{n}" / "apps" / f"{APP_ID}.png") as im:
            assert im.size == (n, n) and im.mode == "RGBA"
            alpha = im.getchannel("A")
            assert alpha.getextrema() == (0, 255), "a transparent background around an opaque figure"
    assert (hicolor / "scalable" / "apps" / f"{APP_ID}.svg").read_bytes() == (
        REPO / "resources" / "icons" / "app.svg").read_bytes()


def test_licences_of_the_bundled_packages_are_collected(tmp_path, packaging_modules):
    _, licences = packaging_modules
    bundle = tmp_path / "PoseStudio"
    (bundle / "_internal").mkdir(parents=True)
    rows = licences.collect(["numpy", "PIL", "onnxruntime"], bundle / "licenses", REPO, bundle)
    names = {r[0] for r in rows}
    assert {"numpy", "pillow", "Python", "PoseStudio"} <= names and any(n.startswith("onnxruntime") for n in names)
    numpy_dir = next((bundle / "licenses").glob("numpy-*"))
    assert "Copyright" in (numpy_dir / "LICENSE.txt").read_text()
    index = (bundle / "licenses" / "INDEX.txt").read_text()
    for card in (REPO / "models").glob("*.card.json"):
        assert card.name.split(".")[0] in index
