"""Shared fixtures. Tests never touch real user folders: POSESTUDIO_HOME points
at a temporary folder for the whole session (set before posestudio is imported)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

_HOME = tempfile.mkdtemp(prefix="posestudio-test-home-")
os.environ["POSESTUDIO_HOME"] = _HOME
# the suite runs without the shipped default weights (so "auto" is the puppet and model lists
# are the test's own); tests/engine/test_shipped_models.py points this back at models/
_NO_SHIPPED = tempfile.mkdtemp(prefix="posestudio-test-no-shipped-")
os.environ["POSESTUDIO_SHIPPED_MODELS"] = _NO_SHIPPED
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("POSESTUDIO_SHARED", REPO.parent / "shared"))


@pytest.fixture(scope="module", autouse=True)
def _own_models_dir(tmp_path_factory):
    """Each test module starts with an empty user model folder: a model one module installs
    (a random-weights refiner, a 2-step PoNA) must not become another module's "auto"."""
    old = os.environ.get("POSESTUDIO_MODELS_DIR")
    os.environ["POSESTUDIO_MODELS_DIR"] = str(tmp_path_factory.mktemp("models"))
    yield
    if old is None:
        os.environ.pop("POSESTUDIO_MODELS_DIR", None)
    else:
        os.environ["POSESTUDIO_MODELS_DIR"] = old


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"../shared not found beside the repo at {SHARED} (set POSESTUDIO_SHARED)")
    return SHARED


@pytest.fixture(scope="session")
def samples_dir(shared_dir) -> Path:
    return shared_dir / "samples" / "deepfashion"


@pytest.fixture(scope="session")
def parity_dir(shared_dir) -> Path:
    return shared_dir / "parity" / "pona"


@pytest.fixture(scope="session")
def home_dir() -> Path:
    return Path(_HOME)


# torchvision's VGG-19 conv indices up to conv5_1 and their channels
VGG_CONVS = [0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28]
VGG_CH = [3, 64, 64, 128, 128, 256, 256, 256, 256, 512, 512, 512, 512, 512]


@pytest.fixture(scope="session")
def vgg_file(tmp_path_factory) -> str:
    """Random VGG-19 weights up to conv5_1 in torchvision's layout, written once per session
    (the losses' equations, not the ImageNet meaning, are under test)."""
    import torch
    from safetensors.torch import save_file

    g = torch.Generator().manual_seed(0)
    sd = {}
    for i, k in enumerate(VGG_CONVS):
        cin, cout = VGG_CH[i], VGG_CH[i + 1]
        sd[f"features.{k}.weight"] = torch.randn(cout, cin, 3, 3, generator=g) * (2.0 / (9 * cin)) ** 0.5
        sd[f"features.{k}.bias"] = torch.zeros(cout)
    path = tmp_path_factory.mktemp("vgg") / "vgg19.safetensors"
    save_file(sd, str(path))
    return str(path)
