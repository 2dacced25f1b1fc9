"""Model card fields name files inside the model folder, nothing else (issue 13)."""

import json
import os
from pathlib import Path

import pytest

from posestudio.cli import main
from posestudio.engine import store
from posestudio.engine.cards import ModelCard
from posestudio.errors import InputError


def _models() -> Path:
    return Path(os.environ["POSESTUDIO_MODELS_DIR"])


def _card(folder: Path, file: str, **fields) -> Path:
    data = {"name": "evil", "arch": "pona", "task": "pose", "weights": "evil.safetensors", **fields}
    p = folder / file
    p.write_text(json.dumps(data))
    return p


@pytest.mark.parametrize("weights", ["../victim.safetensors", "ABSOLUTE", "sub/victim.safetensors", ".."])
def test_remove_never_deletes_a_file_outside_the_model_folder(tmp_path, capsys, weights):
    victim = tmp_path / "victim.safetensors"
    victim.write_bytes(b"precious")
    folder = _models()
    (folder / "sub").mkdir(exist_ok=True)
    (folder / "sub" / "victim.safetensors").write_bytes(b"also precious")
    rel = os.path.relpath(victim, folder)
    card = _card(folder, "evil.card.json", weights=str(victim) if weights == "ABSOLUTE" else
                 weights.replace("../victim.safetensors", rel))
    try:
        assert main(["models", "remove", "evil"]) == 2  # the card is skipped: no model named evil
        assert victim.read_bytes() == b"precious"
        assert (folder / "sub" / "victim.safetensors").read_bytes() == b"also precious"
        assert main(["models", "list"]) == 0
        out = capsys.readouterr().out
        assert "warning: skipped" in out and "plain file name" in out and str(card) in out
        assert main(["models", "verify"]) == 1
        assert "BAD" in capsys.readouterr().out
    finally:
        card.unlink()


@pytest.mark.parametrize("name", ["../../x", "*", "a/b", "/abs"])
def test_a_card_name_that_is_no_plain_name_is_refused(tmp_path, name):
    with pytest.raises(InputError, match="name"):
        ModelCard.from_json({"name": name, "arch": "pona", "task": "pose"}, tmp_path / "c.card.json")


def test_onnx_cleanup_of_one_model_leaves_other_models_cache(tmp_path):
    folder = _models()
    _card(folder, "good.card.json", name="good", weights="good.safetensors")
    (folder / "good.safetensors").write_bytes(b"w")
    cache = store.onnx_cache_dir()
    keep = cache / "goodx.fp32.onnx"
    keep.write_bytes(b"other model")
    mine = cache / "good.fp32.onnx"
    mine.write_bytes(b"mine")
    gone = store.remove("good")
    assert mine in gone and not mine.exists() and keep.exists()
    assert not (folder / "good.safetensors").exists()
