"""`posestudio models import RUN_DIR`: a 2-step tiny training run with --size/--set overrides
installs with the config it was trained with; the old ARCH PATH forms keep working."""

from __future__ import annotations

import json

import numpy as np
import pytest

from posestudio.cli import main
from posestudio.engine import store
from posestudio.errors import InputError

TINY = ["--data", "synth", "--preset", "tiny", "--batch", "2", "--steps", "2", "--no-progress",
        "--sample-every", "0"]  # fmt: skip


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "pona-wide"
    # overrides the tiny preset would not rebuild: another size and twice its ngf
    rc = main(["train", "pona", *TINY, "--size", "40x28", "--set", "ngf=16", "--out", str(run)])
    assert rc == 0
    return run


def test_import_a_run_folder_and_generate_with_it(run_dir, capsys, tmp_path):
    assert main(["models", "import", str(run_dir), "--name", "wide-run", "--force"]) == 0
    assert "imported wide-run (pona, pose, 40x28)" in capsys.readouterr().out
    card = store.find("wide-run")
    assert card.config["ngf"] == 16 and card.preset is None and (card.height, card.width) == (40, 28)
    assert "pose" in card.tasks
    run_card = json.loads((run_dir / "model.card.json").read_text())
    assert card.source == run_card["source"] and card.sha256 == store.sha256(run_dir / "weights.safetensors")
    net = store.build_model(card)  # weights load strictly into build(arch, None, **card.build_config())
    assert net.config["ngf"] == 16
    assert store.verify(card) is None
    # the card file works as well as the folder; the default name is the run's
    assert main(["models", "import", str(run_dir / "model.card.json"), "--force"]) == 0
    assert store.find("pona-wide").config == card.config
    # the imported weights are the run's EMA weights, tensor for tensor
    from safetensors.numpy import load_file

    a = load_file(str(run_dir / "weights.safetensors"))
    b = load_file(str(card.weights_path))
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_the_preset_route_refuses_the_same_weights(run_dir, capsys):
    # what `models import pona weights.safetensors --preset tiny` did before: the shapes do not fit
    rc = main(["models", "import", "pona", str(run_dir / "weights.safetensors"), "--preset", "tiny",
               "--name", "wrong"])  # fmt: skip
    assert rc == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "wrong shape" in err[0] and "weights.safetensors" in err[0]


def test_bad_runs_give_one_line_errors(run_dir, tmp_path, capsys):
    with pytest.raises(InputError, match="no model.card.json"):
        store.import_run(tmp_path)
    bad = tmp_path / "bad"
    bad.mkdir()
    card = json.loads((run_dir / "model.card.json").read_text())
    (bad / "weights.safetensors").write_bytes((run_dir / "weights.safetensors").read_bytes()[:-10])
    (bad / "model.card.json").write_text(json.dumps(card))
    assert main(["models", "import", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "sha256" in err[0] and str(bad / "weights.safetensors") in err[0]
    card["config"]["ngf"] = 8  # a card that lies about its config
    (bad / "weights.safetensors").write_bytes((run_dir / "weights.safetensors").read_bytes())
    (bad / "model.card.json").write_text(json.dumps(card))
    assert main(["models", "import", str(bad / "model.card.json"), "--name", "liar"]) == 2
    assert "wrong shape" in capsys.readouterr().err
    assert main(["models", "import", str(tmp_path / "nothing.safetensors")]) == 2
    assert "RUN_DIR" not in capsys.readouterr().err  # the usage line, not a traceback


def test_arch_and_safetensors_with_a_preset_still_imports(tmp_path, capsys):
    import torch
    from safetensors.torch import save_file

    from posestudio.nets.registry import build

    torch.manual_seed(0)
    net = build("pona", preset="tiny")
    path = tmp_path / "t.safetensors"
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(path))
    assert (
        main(["models", "import", "pona", str(path), "--preset", "tiny", "--name", "t-tiny", "--force"]) == 0
    )
    assert store.find("t-tiny").config["ngf"] == 8


def test_ship_a_run_into_a_folder_with_its_eval_metrics(run_dir, capsys, tmp_path, monkeypatch):
    """How the defaults in models/ are made: eval --json, then import --into with the metrics."""
    ev = tmp_path / "eval.json"
    assert main(["eval", str(run_dir), "--model", "puppet", "--baseline", "source", "--pairs", "2",
                 "--json", str(ev)]) == 0  # fmt: skip
    shipped = tmp_path / "shipped"
    assert main(["models", "import", str(run_dir), "--name", "shipped-pona", "--into", str(shipped),
                 "--eval-json", str(ev), "--description", "a test default"]) == 0  # fmt: skip
    capsys.readouterr()
    card_file = shipped / "shipped-pona.card.json"
    assert card_file.is_file() and (shipped / "shipped-pona.safetensors").is_file()
    card = json.loads(card_file.read_text())
    res = json.loads(ev.read_text())["rows"]
    assert card["metrics"]["ssim"] == round(res["pona-wide"]["ssim"], 4)
    assert card["metrics"]["puppet_psnr"] == round(res["puppet"]["psnr"], 4)
    assert card["metrics"]["pairs"] == 2 and card["description"] == "a test default"
    # not in the user's folder; found when the app's shipped folder is that one
    with pytest.raises(InputError):
        store.find("shipped-pona")
    monkeypatch.setenv("POSESTUDIO_SHIPPED_MODELS", str(shipped))
    assert store.verify(store.find("shipped-pona")) is None
    with pytest.raises(InputError, match="not a `posestudio eval --json`"):
        from pathlib import Path

        from posestudio.commands.models_store import metrics_from_eval

        metrics_from_eval(Path(card_file))
