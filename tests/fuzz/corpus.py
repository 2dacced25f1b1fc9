"""Hand-made nasty inputs, written into a folder on demand (nothing large is committed).

``python tests/fuzz/corpus.py DIR`` writes them and prints one line per case; the tests
import :func:`cases`. Each case is a command line (``{d}`` is the corpus folder, ``{s}``
the real DeepFashion samples) and what it must do: ``2`` = refused with one line naming
``names`` (the file), ``0`` = works. Every case must finish without a traceback, within
the time and memory budget, and change no file but its own outputs.
"""

from __future__ import annotations

import io
import json
import os
import struct
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image


@dataclass
class Case:
    name: str
    argv: list[str]
    expect: int  # exit code
    names: str | None = None  # text the error line must contain (the file)
    soak: bool = False  # slow: only in `make fuzz-soak`


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_header_only(w: int, h: int) -> bytes:
    """A PNG whose header says w x h and whose data is a few bytes: a lie no reader may believe."""
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + _png_chunk(b"IEND", b""))


def bomb_png(w: int, h: int) -> bytes:
    """A real, valid w x h black PNG: tiny on disk, huge decoded."""
    raw = zlib.compressobj(1)
    row = b"\0" * (w + 1)  # filter byte + w grey pixels
    parts = [raw.compress(row) for _ in range(h)]
    parts.append(raw.flush())
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", b"".join(parts)) \
        + _png_chunk(b"IEND", b"")


def _project(manifest: dict, extra: dict[str, bytes] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("project.json", json.dumps(manifest))
        for k, v in (extra or {}).items():
            z.writestr(k, v)
    return buf.getvalue()


def _manifest(**changes) -> dict:
    m = {"format": "posestudio-project", "version": 1, "width": 8, "height": 8, "layers": [], "keyframes": {},
         "generator": {}, "meta": {}}
    m.update(changes)
    return m


def _pose_entry(x: float) -> dict:
    return {"xy": [[x, x]] * 18, "visible": [True] * 18}


def _zip_bomb(unpacked: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("project.json", json.dumps(_manifest()))
        with z.open("layers/zeros.npy", "w", force_zip64=True) as f:
            chunk = b"\0" * (16 << 20)
            for _ in range(unpacked // len(chunk)):
                f.write(chunk)
    return buf.getvalue()


def _flag_member(data: bytes, name: str, flag_bits: int | None = None, method: int | None = None) -> bytes:
    """Patch a member's local and central headers: mark it encrypted, or give it another method."""
    b = bytearray(data)
    enc = name.encode()
    for sig, flag_off, meth_off, name_off in ((b"PK\x03\x04", 6, 8, 30), (b"PK\x01\x02", 8, 10, 46)):
        i = b.find(sig)
        while i >= 0:
            if b[i + name_off: i + name_off + len(enc)] == enc:
                if flag_bits is not None:
                    b[i + flag_off: i + flag_off + 2] = struct.pack("<H", flag_bits)
                if method is not None:
                    b[i + meth_off: i + meth_off + 2] = struct.pack("<H", method)
            i = b.find(sig, i + 4)
    return bytes(b)


def _csv(rows: int, value: str = "10") -> str:
    row = "[" + ", ".join([value] * 18) + "]"
    return "name:keypoints_y:keypoints_x\n" + "".join(f"p{i}.jpg: {row}: {row}\n" for i in range(rows))


def write(d: Path) -> dict[str, Path]:
    """Write every nasty file into ``d``; returns name -> path."""
    d.mkdir(parents=True, exist_ok=True)
    files: dict[str, bytes | str] = {
        # pictures
        "bomb.png": bomb_png(30000, 30000),
        "lying_header.png": png_header_only(100000, 100000),
        "wide.png": png_header_only(100000, 1),
        "zero.png": b"",
        "text.png": "this is not a picture\n",
        "truncated.png": None,  # below
        # poses
        "deep.json": "[" * 100000 + "]" * 100000,
        "deep_object.json": '{"people": ' + "[" * 50000 + "]" * 50000 + "}",
        "coords_1e308.json": json.dumps({"people": [{"pose_keypoints_2d": [1e308, 1e308, 1] * 18}]}),
        "coords_1e18.csv": _csv(1, "1e18"),
        "nan.json": '{"people": [{"pose_keypoints_2d": [NaN, 1, 1, ' + ", ".join(["1"] * 51) + "]}]}",
        "coco_types.json": json.dumps({"annotations": [{"keypoints": "abc"}], "images": 3}),
        "coco_types2.json": json.dumps({"annotations": "abc", "images": [{"id": [1]}]}),
        "coco_types3.json": json.dumps([{"keypoints": [[1, 2]] * 17}]),
        "openpose_types.json": json.dumps({"people": [{"pose_keypoints_2d": {"a": 1}}]}),
        "openpose_types2.json": json.dumps({"people": "nobody", "canvas_width": "wide"}),
        "canvas_huge.json": json.dumps({"people": [{"pose_keypoints_2d": [10, 10, 1] * 18}],
                                        "canvas_width": 50000, "canvas_height": 50000}),
        "binary.csv": bytes(range(256)) * 4,
        "four_rows.csv": _csv(4),
        "huge.json": None,  # below: over the text limit
        # projects
        "not_zip.psproj": "hello",
        "manifest_types.psproj": _project(_manifest(layers="abc")),
        "manifest_types2.psproj": _project(_manifest(width=[1], height={"a": 1})),
        "manifest_types3.psproj": _project(_manifest(keyframes=[1, 2])),
        "manifest_types4.psproj": _project(_manifest(layers=[{"kind": "image", "id": 1, "file": 3}])),
        "manifest_types5.psproj": _project(_manifest(layers=[5])),
        "manifest_deep.psproj": None,  # below
        "canvas_huge.psproj": _project(_manifest(width=50000, height=50000)),
        "keyframe_1e9.psproj": _project(_manifest(keyframes={"1000000000": [_pose_entry(5)]})),
        "pose_1e308.psproj": _project(_manifest(keyframes={"0": [_pose_entry(1e308)]})),
        "layer_bomb.psproj": _project(_manifest(layers=[{"kind": "image", "id": "a", "file": "layers/a.png"}]),
                                      {"layers/a.png": bomb_png(20000, 20000)}),
        "zip_bomb.psproj": _zip_bomb(1100 << 20),
        # model cards (each copied into a models folder of its own by the tests)
        "card_deep.card.json": '{"name": "x", "arch": "pona", "task": "pose", "config": ' + "[" * 50000
                               + "]" * 50000 + "}",
        "card_escape.card.json": json.dumps({"name": "escape", "arch": "pona", "task": "pose",
                                             "weights": "../../victim.safetensors"}),
        "card_name.card.json": json.dumps({"name": "../../victim", "arch": "pona", "task": "pose"}),
        "card_arch.card.json": json.dumps({"name": "unknown", "arch": "no-such-arch", "task": "pose",
                                           "weights": "unknown.safetensors"}),
        "card_config.card.json": json.dumps({"name": "badconfig", "arch": "pona", "task": "pose",
                                             "config": [1, 2], "resolution": "ab"}),
    }
    for name, data in files.items():
        if data is None:
            continue
        p = d / name
        p.write_bytes(data.encode() if isinstance(data, str) else data)
    buf = io.BytesIO()
    Image.fromarray(np.full((64, 64, 3), 128, np.uint8)).save(buf, format="PNG")
    (d / "truncated.png").write_bytes(buf.getvalue()[:60])
    (d / "huge.json").write_bytes(b'{"people": [' + b" " * (40 << 20) + b"]}")
    deep = "[" * 100000 + "]" * 100000
    (d / "manifest_deep.psproj").write_bytes(_raw_project(
        '{"format": "posestudio-project", "version": 1, "width": 8, "height": 8, "layers": ' + deep + "}"))
    base = _project(_manifest(layers=[{"kind": "image", "id": "a", "file": "layers/a.png", "shape": [8, 8, 3]}]),
                    {"layers/a.png": _png8()})
    (d / "encrypted.psproj").write_bytes(_flag_member(base, "layers/a.png", flag_bits=1))
    (d / "unsupported.psproj").write_bytes(_flag_member(base, "layers/a.png", method=98))
    os.symlink("/dev/zero", d / "devzero.json")
    os.mkfifo(d / "fifo.json")
    os.mkfifo(d / "fifo.png")
    (d / "folder.json").mkdir()
    return {p.name: p for p in d.iterdir()}


def _raw_project(manifest_text: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("project.json", manifest_text)
    return buf.getvalue()


def _png8() -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def cases() -> list[Case]:
    """Every command line of the corpus: ``{d}`` the corpus folder, ``{s}`` the samples, ``{o}`` outputs."""
    gen = ["generate", "--source", "{s}/2_A.jpg", "--source-pose", "{s}/keypoints.csv", "--source-name", "2_A.jpg",
           "--target-name", "2_B.jpg", "--model", "puppet", "--out", "{o}/g.png", "--force"]
    out: list[Case] = []
    for img in ("bomb.png", "lying_header.png", "zero.png", "text.png", "truncated.png", "fifo.png", "wide.png"):
        out.append(Case(f"source {img}", ["generate", "--source", f"{{d}}/{img}", "--source-pose", "{s}/keypoints.csv",
                                          "--source-name", "2_A.jpg", "--target-name", "2_B.jpg", "--model",
                                          "puppet", "--out", "{o}/g.png", "--force"], 2, img))
    for flag in ("--source-parsing", "--reference", "--edges", "--target-parsing", "--reference-parsing"):
        out.append(Case(f"{flag} bomb", gen + [flag, "{d}/bomb.png"], 2, "bomb.png"))
        out.append(Case(f"{flag} lying header", gen + [flag, "{d}/lying_header.png"], 2, "lying_header.png"))
    for pose in ("deep.json", "deep_object.json", "coords_1e308.json", "coords_1e18.csv", "nan.json",
                 "coco_types.json", "coco_types2.json", "coco_types3.json", "openpose_types.json",
                 "openpose_types2.json", "canvas_huge.json", "binary.csv", "huge.json", "devzero.json",
                 "fifo.json", "folder.json"):
        out.append(Case(f"pose render {pose}", ["pose", "render", f"{{d}}/{pose}", "{o}/p.png", "--force"], 2, pose))
    out.append(Case("pose convert 4-row CSV onto itself", ["pose", "convert", "{d}/four_rows.csv",
                                                           "{d}/four_rows.csv"], 2, "four_rows.csv"))
    out.append(Case("pose heatmaps 16384x16384", ["pose", "heatmaps", "{d}/four_rows.csv", "{o}/h.npy", "--size",
                                                  "16384x16384", "--name", "p0.jpg", "--force"], 2, "16384"))
    out.append(Case("pose render --out /dev/full", ["pose", "render", "{d}/four_rows.csv", "/dev/full", "--name",
                                                    "p0.jpg", "--force"], 2, "/dev/full"))
    for proj in ("not_zip.psproj", "manifest_types.psproj", "manifest_types2.psproj", "manifest_types3.psproj",
                 "manifest_types4.psproj", "manifest_types5.psproj", "manifest_deep.psproj", "canvas_huge.psproj",
                 "keyframe_1e9.psproj", "pose_1e308.psproj", "layer_bomb.psproj", "zip_bomb.psproj",
                 "encrypted.psproj", "unsupported.psproj"):
        out.append(Case(f"render {proj}", ["render", f"{{d}}/{proj}", "--out", "{o}/r.gif", "--force"], 2, proj))
    out.append(Case("render onto its own project", ["render", "{d}/keyframe_1e9.psproj", "--out",
                                                    "{d}/keyframe_1e9.psproj", "--format", "mp4"], 2, "psproj"))
    for extra, text in ((["--fps", "1e-9"], "1e-09"), (["--size", "100000x1"], "100000x1"),
                        (["--range", "0:100000000"], "100000000"), (["--out", "{o}/x.xyz"], ".xyz")):
        argv = ["render", "{o}/ok.psproj", "--out", "{o}/r.gif", "--force"]
        if extra[0] == "--out":
            argv = ["render", "{o}/ok.psproj", *extra]
        else:
            argv += extra
        out.append(Case(f"render {' '.join(extra)}", argv, 2, text))
    out.append(Case("generate --out x.xyz", gen[:-3] + ["--out", "{o}/x.xyz"], 2, "x.xyz"))
    out.append(Case("generate --out name too long", gen[:-3] + ["--out", "{o}/" + "n" * 300 + ".png"], 2, "255"))
    out.append(Case("generate onto its source", gen[:-3] + ["--out", "{s}/2_A.jpg"], 2, "2_A.jpg"))
    for card in ("card_deep", "card_escape", "card_name", "card_arch", "card_config"):
        out.append(Case(f"models list with {card}", ["models", "list"], 0, None))
        if card in ("card_escape", "card_name"):
            out.append(Case(f"models verify with {card}", ["models", "verify"], 1, None))
            out.append(Case(f"models remove with {card}", ["models", "remove", "escape"], 2, "escape"))
        out.append(Case(f"generate auto with {card}", gen[:9] + ["--model", "auto",
                                                                 "--out", "{o}/auto.png", "--force"], 0, None))
    out.append(Case("headless screenshot of a bomb", ["--screenshot", "{o}/shot.png", "{d}/bomb.png"], 2, "bomb.png"))
    out.append(Case("headless screenshot of a 4-row CSV takes the first row", ["--screenshot", "{o}/shot.png",
                                                                            "{d}/four_rows.csv"], 0, None))
    out.append(Case("headless screenshot of a deep pose", ["--screenshot", "{o}/shot.png", "{d}/deep.json"], 2,
                    "deep.json"))
    out.append(Case("12000x12000 photo is downscaled", ["generate", "--source", "{o}/big.png", "--source-pose",
                                                        "{s}/keypoints.csv", "--source-name", "2_A.jpg",
                                                        "--target-name", "2_B.jpg", "--model", "puppet",
                                                        "--out", "{o}/big_out.png", "--force"], 0, None, soak=True))
    return out


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "fuzz-corpus")
    for name, path in sorted(write(target).items()):
        print(f"{path.stat().st_size if path.is_file() else 0:>10}  {name}")
    print(f"{len(cases())} command lines in tests/fuzz/corpus.py cases()")
