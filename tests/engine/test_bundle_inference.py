"""What the bundle (packaging/, issue 18) relies on: an ONNX export shipped beside a card is
used as it is, without torch and without writing the user's cache; with no torch and no
export, generating and training each fail with one clear line instead of a traceback."""

from __future__ import annotations

import shutil
import sys

import numpy as np
import pytest

from posestudio import cli, paths
from posestudio.engine import export
from posestudio.engine.backends.onnx_backend import OnnxBackend
from posestudio.engine.cards import ModelCard
from posestudio.engine.results import Request
from posestudio.engine.runner import Runner
from posestudio.errors import InputError

SHIPPED_POSE = paths.repo_root() / "models" / "refine-pose-synth.card.json"


@pytest.fixture
def bundled_models(tmp_path, monkeypatch):
    """A copy of the shipped pose model with its ONNX export beside it, as the bundle lays it out;
    the user's ONNX cache is an empty folder."""
    card = ModelCard.load(SHIPPED_POSE)
    folder = tmp_path / "models"
    folder.mkdir()
    shutil.copy2(card.path, folder)
    shutil.copy2(card.weights_path, folder)
    monkeypatch.setenv("POSESTUDIO_CACHE_DIR", str(tmp_path / "build-cache"))
    built, _ = export.export_card(ModelCard.load(folder / card.path.name), verify=False, force=True)
    shutil.move(built, folder / built.name)
    monkeypatch.setenv("POSESTUDIO_CACHE_DIR", str(tmp_path / "user-cache"))
    monkeypatch.setenv("POSESTUDIO_SHIPPED_MODELS", str(folder))
    return folder


@pytest.fixture
def no_torch(monkeypatch):
    """``import torch`` fails, as in the bundle (which does not carry it)."""
    monkeypatch.setitem(sys.modules, "torch", None)


def test_the_export_beside_the_card_is_used_and_nothing_is_exported(bundled_models):
    card = ModelCard.load(bundled_models / SHIPPED_POSE.name)
    be = OnnxBackend.for_card(card, device="cpu")
    assert be.path.parent == bundled_models
    assert not list(export.store.onnx_cache_dir().iterdir()), "the bundle must not export at run time"


def test_without_torch_the_shipped_model_runs_on_onnx_like_torch(bundled_models, pair):
    src, sp, _, tp, _ = pair("2_A", "2_B")
    req = dict(task="pose", model="refine-pose-synth", source_image=src, source_pose=sp, target_pose=tp)
    ref = Runner(device="cpu", backend="torch").run(Request(**req))
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(sys.modules, "torch", None)
        got = Runner(device="auto", backend="auto").run(Request(**req))
    assert (got.backend, got.device, got.model) == ("onnx", "cpu", "refine-pose-synth")
    assert got.image.shape == src.shape
    diff = np.abs(got.image.astype(int) - ref.image.astype(int))
    assert diff.max() <= 2, "ONNX Runtime and torch disagree on the real photo"
    assert np.abs(got.image.astype(int) - src.astype(int)).mean() > 5, "the pose did not change the image"


def test_without_torch_or_an_export_generating_says_so_in_one_line(tmp_path, monkeypatch, no_torch):
    card = ModelCard.load(SHIPPED_POSE)
    monkeypatch.setenv("POSESTUDIO_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(InputError, match="needs torch") as err:
        OnnxBackend.for_card(card, device="cpu")
    assert "\n" not in str(err.value) and card.path.name in str(err.value)


def test_without_torch_training_says_to_use_the_source_install(tmp_path, capsys, no_torch):
    code = cli.main(["train", "refine-pose", "--out", str(tmp_path / "run"), "--steps", "1"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and "source install" in err
    assert not (tmp_path / "run").exists()
