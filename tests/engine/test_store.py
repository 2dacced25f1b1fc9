"""Model store and CLI: import the PoNA parity checkpoint, reproduce the authors'
outputs through `posestudio generate`, ONNX Runtime vs torch, and what happens
with a corrupt file or a provider that cannot start."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from PIL import Image

from posestudio import paths
from posestudio.cli import main
from posestudio.engine import Engine, Request, store
from posestudio.engine.cards import ModelCard
from posestudio.errors import InputError


@pytest.fixture(scope="module")
def pona16(parity_dir):
    name = "pona16-parity"
    try:
        return store.find(name)
    except InputError:
        return store.import_pona(parity_dir / "netG_pona_ngf16_random.pth", name=name)


@pytest.fixture(scope="module")
def tiny_pona(tmp_path_factory):
    """A tiny PoNA with random weights in our own safetensors format."""
    import torch
    from safetensors.torch import save_file

    from posestudio.nets.registry import build

    torch.manual_seed(0)
    net = build("pona", preset="tiny")
    path = tmp_path_factory.mktemp("w") / "tiny.safetensors"
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(path))
    return store.import_safetensors(path, "pona", name="pona-tiny", preset="tiny", force=True)


def _case_args(case, name, tmp_path, backend):
    return [
        "generate", "--model", name, "--backend", backend, "--device", "cpu",
        "--source", str(case / "source.png"), "--source-pose", str(case / "source_pose.json"),
        "--target-pose", str(case / "target_pose.json"),
        "--out", str(tmp_path / "out.png"), "--raw-out", str(tmp_path / "raw.npy"),
    ]  # fmt: skip


@pytest.mark.parametrize("case,backend", [("case0", "torch"), ("case1", "torch"), ("case2", "onnx")])
def test_generate_reproduces_the_pona_parity_vectors(pona16, parity_dir, tmp_path, case, backend):
    d = parity_dir / case
    assert main(_case_args(d, pona16.name, tmp_path, backend)) == 0
    raw = np.load(tmp_path / "raw.npy")
    assert raw.shape == (1, 3, 256, 176)
    assert np.abs(raw - np.load(d / "expected.npy")).max() < 1e-4
    png = np.array(Image.open(tmp_path / "out.png")).astype(int)
    exp = np.array(Image.open(d / "expected.png").convert("RGB")).astype(int)
    assert np.abs(png - exp).max() <= 1


def test_import_writes_safetensors_and_a_card(pona16):
    assert pona16.path.parent == paths.models_dir()
    assert pona16.weights_path.suffix == ".safetensors" and pona16.weights_path.is_file()
    data = json.loads(pona16.path.read_text())
    assert data["arch"] == "pona" and data["sha256"] == store.sha256(pona16.weights_path)
    assert data["resolution"] == [256, 176] and data["config"]["ngf"] == 16
    assert store.verify(pona16) is None
    assert pona16.name in [c.name for c in Engine().available_models("pose")]


def test_torch_and_onnx_agree_on_a_tiny_pona(tiny_pona):
    from posestudio.engine import export

    path, report = export.export_card(tiny_pona, verify=True)
    assert path.is_file() and path.parent.is_relative_to(paths.cache_dir())
    assert max(report["max_abs_diff"].values()) < 1e-3
    # and through the engine, on a canvas of another size (crop + paste-back)
    p = Request(source_image=np.random.default_rng(1).integers(0, 255, (80, 60, 3), dtype=np.uint8))
    from posestudio.core.pose import default_pose

    p.source_pose = default_pose(60, 80)
    p.target_pose = p.source_pose.rotate_limb(6, 0.6)
    p.model = tiny_pona.name
    outs = {}
    for be in ("torch", "onnx"):
        eng = Engine(device="cpu", backend=be)
        eng.force_sync(True)
        outs[be] = eng.submit(p).result()
        eng.shutdown()
    assert outs["onnx"].backend == "onnx" and outs["torch"].backend == "torch"
    assert outs["torch"].image.shape == (80, 60, 3)
    assert np.abs(outs["torch"].raw - outs["onnx"].raw).max() < 1e-3


def test_a_provider_that_cannot_start_falls_back_to_the_cpu(tiny_pona):
    import torch

    from posestudio.engine import export
    from posestudio.engine.backends.onnx_backend import OnnxBackend

    path, _ = export.export_card(tiny_pona, verify=False)
    be = OnnxBackend(
        path, providers=["NoSuchExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"]
    )
    assert any("NoSuch" in w for w in be.warnings)
    if not torch.cuda.is_available():
        assert be.device == "cpu" and be.providers == ["CPUExecutionProvider"]
        assert any("CUDA" in w for w in be.warnings)
    out = be.run(export.example_inputs(tiny_pona))
    assert out["image"].shape == (1, 3, tiny_pona.height, tiny_pona.width)


def test_a_corrupt_model_fails_alone_with_a_one_line_error(pona16, tiny_pona):
    folder = paths.models_dir()
    bad = ModelCard.load(tiny_pona.path)
    bad.name = "pona-corrupt"
    shutil.copyfile(tiny_pona.weights_path, folder / "pona-corrupt.safetensors")
    bad.weights = "pona-corrupt.safetensors"
    bad.save(folder / "pona-corrupt.card.json")
    raw = bytearray((folder / "pona-corrupt.safetensors").read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    (folder / "pona-corrupt.safetensors").write_bytes(bytes(raw))
    (folder / "broken.card.json").write_text("{not json")
    try:
        problem = store.verify(store.find("pona-corrupt"))
        assert problem is not None and "pona-corrupt.safetensors" in problem and "\n" not in problem
        from posestudio.core.pose import default_pose

        req = Request(source_image=np.zeros((64, 48, 3), np.uint8), source_pose=default_pose(48, 64))
        req.target_pose = req.source_pose
        eng = Engine(device="cpu", backend="torch")
        eng.force_sync(True)
        req.model = "pona-corrupt"
        with pytest.raises(InputError, match="corrupt"):
            eng.submit(req).result()
        req.model = tiny_pona.name  # the others keep working
        assert eng.submit(req).result().image.shape == (64, 48, 3)
        errors: list[str] = []
        names = [c.name for c in store.list_cards(errors=errors)]
        assert "pona-corrupt" in names and any("broken.card.json" in e for e in errors)
        eng.shutdown()
        # a file whose tensors do not fit the arch
        import torch
        from safetensors.torch import save_file

        save_file(
            {"stream1_down.1.weight": torch.zeros(3, 3, 7, 7)}, str(folder / "pona-corrupt.safetensors")
        )
        bad.sha256 = None
        bad.save(folder / "pona-corrupt.card.json")
        problem = store.verify(store.find("pona-corrupt"))
        assert "do not fit" in problem and "pona-corrupt.safetensors" in problem
        assert main(["models", "verify"]) == 1
    finally:
        store.remove("pona-corrupt")
        (folder / "broken.card.json").unlink()
    assert "pona-corrupt" not in [c.name for c in store.list_cards()]


def test_cli_list_and_errors(pona16, capsys, tmp_path):
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert pona16.name in out and "puppet" in out
    assert main(["models", "remove", "puppet"]) == 2
    assert (
        main(["generate", "--model", "nope", "--source", str(tmp_path / "none.png"), "--out", "x.png"]) == 2
    )
    assert "none.png" in capsys.readouterr().err


def test_generate_puppet_from_the_pose_csv_writes_image_and_layers(samples_dir, tmp_path):
    s = samples_dir
    args = [
        "generate", "--model", "puppet", "--task", "parsing", "--source", str(s / "2_A.jpg"),
        "--source-pose", str(s / "keypoints.csv"), "--source-name", "2_A.jpg", "--target-name", "2_B.jpg",
        "--source-parsing", str(s / "2_A_parsing.png"), "--out", str(tmp_path / "o.png"),
        "--layers-dir", str(tmp_path / "layers"),
    ]  # fmt: skip
    assert main(args) == 0
    assert np.array(Image.open(tmp_path / "o.png")).shape == (256, 256, 3)
    flow = np.load(tmp_path / "layers" / "flow.npy")
    assert flow.shape == (256, 256, 2) and np.abs(flow).max() > 5  # the body moved
    from posestudio.core.formats import label_png

    assert label_png.read(tmp_path / "layers" / "parsing.png").shape == (256, 256)
    assert main([*args[:-2], "--raw-out", str(tmp_path / "raw.npy")]) == 2  # the puppet has no raw output


def test_shipped_cards_are_listed_and_user_cards_shadow_them(tiny_pona, tmp_path, monkeypatch):
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    for name in ("pona-tiny", "shipped-only"):
        card = ModelCard.load(tiny_pona.path)
        card.name = name
        card.source = "shipped"
        card.save(shipped / f"{name}.card.json")
    monkeypatch.setattr(paths, "shipped_models_dir", lambda: shipped)
    cards = {c.name: c for c in store.list_cards()}
    assert cards["shipped-only"].source == "shipped"
    assert cards["pona-tiny"].source != "shipped"  # the user's copy wins
    with pytest.raises(InputError, match="ships with PoseStudio"):
        store.remove("shipped-only")
