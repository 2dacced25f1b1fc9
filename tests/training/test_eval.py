"""`posestudio eval`: a run folder's EMA weights, the same weights installed in the model
store and run through the engine, the puppet warp and the source baseline in one table."""

from __future__ import annotations

import json

import pytest

from posestudio.cli import main


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    run = tmp_path_factory.mktemp("eval") / "evalrun"
    rc = main(["train", "pona", "--data", "synth", "--preset", "tiny", "--size", "32x24", "--batch", "2",
               "--steps", "2", "--sample-every", "0", "--no-progress", "--out", str(run)])  # fmt: skip
    assert rc == 0
    return run


def test_eval_run_folder_table_and_json(run_dir, tmp_path, capsys):
    out = tmp_path / "eval.json"
    rc = main(["eval", str(run_dir), "--pairs", "3", "--model", "puppet", "--baseline", "source",
               "--metrics", "ssim,psnr,mask-ssim", "--json", str(out)])  # fmt: skip
    assert rc == 0
    text = capsys.readouterr().out
    assert "| model | ssim | psnr | mask-ssim |" in text
    for name in ("evalrun", "puppet", "source"):
        assert f"| {name} |" in text
    res = json.loads(out.read_text())
    assert res["pairs"] == 3 and res["size"] == [32, 24]
    rows = res["rows"]
    assert set(rows) == {"evalrun", "puppet", "source"}
    for vals in rows.values():
        assert 0.0 <= vals["ssim"] <= 1.0 and vals["psnr"] > 0
    # the puppet warp moves the source towards the target pose: better than leaving it alone
    assert rows["puppet"]["ssim"] > rows["source"]["ssim"]


def test_eval_installed_model_through_the_engine(run_dir, capsys):
    from posestudio.engine import store
    from posestudio.engine.cards import ModelCard

    card = ModelCard.load(run_dir / "model.card.json")
    store.import_safetensors(run_dir / "weights.safetensors", "pona", "evalrun-installed", preset=None,
                             config=card.build_config(), force=True)  # fmt: skip
    rc = main(["eval", "evalrun-installed", "--pairs", "2", "--size", "32x24", "--metrics", "psnr"])
    assert rc == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(res["rows"]) == {"evalrun-installed"} and res["rows"]["evalrun-installed"]["psnr"] > 0


def test_eval_errors(tmp_path, capsys):
    assert main(["eval"]) == 2
    assert "needs a run folder" in capsys.readouterr().err
    assert main(["eval", "no-such-model", "--pairs", "1", "--size", "32x24"]) == 2
    assert "no-such-model" in capsys.readouterr().err


def test_eval_face_task_rows_and_grid(tmp_path, capsys):
    """Faces: the puppet and the source row are both the untouched reference face (what a
    do-nothing colorizer returns); the grid has a header and one row per pair."""
    from PIL import Image

    grid = tmp_path / "grid.png"
    rc = main(["eval", "--task", "face", "--model", "puppet", "--baseline", "source", "--pairs", "3",
               "--size", "32x32", "--grid", str(grid), "--grid-pairs", "2"])  # fmt: skip
    assert rc == 0
    res = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert res["rows"]["puppet"] == res["rows"]["source"]
    assert 0 < res["rows"]["source"]["ssim"] < 1
    img = Image.open(grid)
    assert img.size == (32 * 4, 18 + 2 * 32)  # source | puppet | source | truth
