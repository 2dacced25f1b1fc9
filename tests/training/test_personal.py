"""`posestudio personal`: a procedural character's clip, written as an MP4 and read back like an
artist's video, gives the material (detected poses, mattes, parsing, held-out frames); a
CPU-sized run beats the weight-free engine on the held-out frames and ``auto`` then uses it
for that character's documents only; cancel, a full disk and resume; the real DeepFashion
photos end to end; bad input is one line and exit 2."""

from __future__ import annotations

import errno
import json
import shutil

import numpy as np
import pytest
import torch

from posestudio.cli import main
from posestudio.core.project import pose_from_json
from posestudio.training.personal import run as personal_run
from posestudio.training.personal.material import load
from posestudio.training.personal.progress import read_curves, read_progress
from posestudio.training.synth.clip import poses_path, turntable_dance, write_clip

CLIP = dict(n=16, height=128, width=88, seed=0)
QUICK = ["--preset", "tiny", "--batch", "4"]


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    """Two torch threads on a CPU shared with other jobs spend most of a step waiting for each
    other (9x slower here); one thread keeps the CPU-sized runs CPU-sized."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clip")
    return write_clip(folder / "turntable.mp4", **CLIP)


@pytest.fixture(scope="module")
def prepared(clip, tmp_path_factory):
    """A run folder with the material of the clip (detected, not the exact poses)."""
    run = tmp_path_factory.mktemp("prepared") / "run"
    assert main(["personal", str(clip[0]), "--out", str(run), "--holdout", "2", "--prepare-only"]) == 0
    return run


def fresh_run(prepared, tmp_path, name="run"):
    """A new run folder holding only the prepared material (as the dock's pose review leaves it)."""
    run = tmp_path / name
    run.mkdir()
    for sub in ("frames", "mattes", "parsing"):
        shutil.copytree(prepared / sub, run / sub)
    shutil.copy(prepared / "material.json", run / "material.json")
    return run


def test_the_clip_reads_back_like_an_artists_video(clip):
    from posestudio.training.personal.source import pictures

    frames = turntable_dance(**CLIP)
    got = list(pictures(clip[0]))
    assert [p.label for p in got] == [f"frame {i}" for i in range(CLIP["n"])]
    diff = [np.abs(p.image.astype(int) - f.image.astype(int)).mean() for p, f in zip(got, frames, strict=True)]
    assert max(diff) < 4.0  # H.264 at crf 12: the pictures, not something else
    assert len({f.pose.xy[4].round().tobytes() for f in frames}) > CLIP["n"] // 2  # the wrist moves
    sampled = list(pictures(clip[0], max_frames=5))
    assert [p.index for p in sampled] == [1, 4, 8, 11, 14]  # evenly spread over the clip


def test_material_from_the_video(prepared, clip):
    mat = load(prepared)
    assert len(mat.frames) == CLIP["n"] and not mat.left_out
    assert mat.holdout_frames == [4, 12]  # evenly spaced, as asked
    exact = [pose_from_json(p) for p in json.loads(poses_path(clip[0]).read_text())["frames"]]
    errors = []
    for f in mat.frames:
        k = int(f.origin.split()[-1])
        both = f.pose.visible & exact[k].visible
        assert both.sum() >= 12
        errors.append(np.median(np.hypot(*(f.pose.xy[both] - exact[k].xy[both]).T)))
    assert np.median(errors) < 6.0  # the detector found the mannequin where it is
    parsing = mat.parsing(0)
    assert len(np.unique(parsing)) >= 4  # background + several body regions
    assert read_progress(prepared)["phase"] == "done"


def test_personal_model_beats_the_engine_and_auto_uses_it_for_its_character_only(prepared, tmp_path, capsys):
    from posestudio.engine import store
    from posestudio.engine.results import Request
    from posestudio.engine.runner import Runner

    run = fresh_run(prepared, tmp_path, "dancer")
    assert main(["personal", "--out", str(run), "--steps", "60", *QUICK]) == 0
    score = json.loads((run / "score.json").read_text())
    assert score["personal"]["ssim"] > score["engine"]["ssim"]
    assert score["personal"]["psnr"] > score["engine"]["psnr"]
    assert score["identity"] is True and score["wins"] is True and score["frames"] == 2
    curves = read_curves(run)
    losses = [c for c in curves if "loss" in c]
    vals = [c for c in curves if "val_ssim" in c]
    assert [c["step"] for c in losses] == list(range(5, 61, 5))
    assert vals[0]["step"] == 5 and vals[-1]["step"] == 50
    prog = read_progress(run)
    assert prog["phase"] == "done" and prog["step"] == 60 and (run / prog["sample"]).is_file()
    assert "beats the engine" in capsys.readouterr().err
    name = score["installed"]
    card = store.find(name)
    assert card.metrics["personal"]["score"]["wins"] and card.metrics["personal"]["run"] == str(run.resolve())
    assert Runner.auto_card("pose").is_puppet  # nobody else's document gets it
    assert Runner.auto_card("pose", name).name == name
    mat = load(run)
    s, t = mat.train_frames[0], mat.holdout_frames[0]
    req = Request(task="pose", model="auto", source_image=mat.image(s), source_pose=mat.frames[s].pose,
                  target_pose=mat.frames[t].pose, personal_model=name)  # fmt: skip
    assert Runner(device="cpu").run(req).model == name
    # the same weights with a losing record (the stored flag still says "wins"): never picked
    losing = {**score, "personal": {"ssim": score["engine"]["ssim"] - 0.01, "psnr": score["engine"]["psnr"]}}
    store.import_run(run / "train", name="loser", metrics={"personal": {"run": "elsewhere", "score": losing}})
    assert Runner.auto_card("pose", "loser").is_puppet
    assert Runner.auto_card("pose", "not-installed").is_puppet
    # running again over the trained model without --resume never retrains it silently
    weights = (run / "train" / "weights.safetensors").read_bytes()
    capsys.readouterr()
    assert main(["personal", "--out", str(run), "--steps", "60", *QUICK]) == 2
    assert "--force" in capsys.readouterr().err
    assert (run / "train" / "weights.safetensors").read_bytes() == weights


def test_cancel_full_disk_and_resume(prepared, tmp_path, monkeypatch, capsys):
    from posestudio.training import checkpoints

    run = fresh_run(prepared, tmp_path)
    logged = personal_run.PersonalHooks.logged

    def press_cancel(self, step, logs, recipe):  # the dock creates RUN/STOP after the first curve point
        logged(self, step, logs, recipe)
        (self.run_dir / personal_run.STOP).touch()

    with monkeypatch.context() as m:
        m.setattr(personal_run.PersonalHooks, "logged", press_cancel)
        assert main(["personal", "--out", str(run), "--steps", "15", "--no-install", *QUICK]) == 3
    prog = read_progress(run)
    assert prog["phase"] == "cancelled" and prog["step"] == 5
    state = (run / "train" / "state.pt").read_bytes()
    assert torch.load(run / "train" / "state.pt", weights_only=True)["step"] == 5

    real_save = torch.save

    def disk_full(obj, path, *a, **k):
        with open(path, "wb") as f:
            f.write(b"half a state")
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(checkpoints.torch, "save", disk_full)
        assert main(["personal", "--out", str(run), "--resume", "--steps", "15", "--no-install", *QUICK]) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "--resume" in err and len(err.strip().splitlines()[-1]) < 300
    assert read_progress(run)["phase"] == "failed"
    assert (run / "train" / "state.pt").read_bytes() == state  # the last saved state, whole
    assert not list((run / "train").glob("*.tmp"))
    assert torch.save is real_save
    assert main(["personal", "--out", str(run), "--resume", "--steps", "15", "--no-install", *QUICK]) == 0
    assert read_progress(run)["phase"] == "done"
    steps = [c["step"] for c in read_curves(run) if "loss" in c]
    assert steps == [5, 10, 15]  # the lines after the saved state were logged once, again
    assert (run / "score.json").is_file()


def test_time_budget_ends_training(prepared, tmp_path):
    run = fresh_run(prepared, tmp_path)
    assert main(["personal", "--out", str(run), "--minutes", "0.03", "--no-install", *QUICK]) == 0
    prog = read_progress(run)
    assert prog["phase"] == "done" and 0 < prog["step"] < personal_run.STEPS_WITH_BUDGET
    # the dock's bar: the steps the budget allowed, never the internal "until the budget" bound
    assert prog["steps"] == prog["step"]
    assert json.loads((run / "score.json").read_text())["frames"] == 2


def test_the_real_photos_end_to_end(samples_dir, tmp_path, capsys):
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("2_A.jpg", "2_B.jpg", "3_A.jpg", "3_B.jpg"):
        shutil.copy(samples_dir / name, photos / name)
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff not a whole jpeg")
    run = tmp_path / "run"
    assert main(["personal", str(photos), "--out", str(run), "--steps", "3", "--max-side", "64", "--no-install",
                 *QUICK]) == 0  # fmt: skip
    err = capsys.readouterr().err
    assert "little material: 4 frames" in err
    mat = load(run)
    assert len(mat.frames) == 4 and len(mat.holdout_frames) == 1
    assert [d["what"] for d in mat.left_out] == ["broken.jpg"] and "unreadable" in mat.left_out[0]["why"]
    score = json.loads((run / "score.json").read_text())
    assert score["frames"] == 1 and score["identity"] is True
    assert read_progress(run)["phase"] == "done"


def _one_line_exit_2(argv, capsys, *needles):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    for n in needles:
        assert n in err, err


def test_bad_input(tmp_path, samples_dir, capsys):
    from posestudio.sequence.export import write_mp4

    empty = tmp_path / "empty.mp4"
    rng = np.random.default_rng(0)
    write_mp4(empty, [np.full((128, 88, 3), 200 + 10 * i, np.uint8) + rng.integers(0, 5, (128, 88, 3), np.uint8)
                      for i in range(5)], 12)  # fmt: skip
    _one_line_exit_2(["personal", str(empty), "--out", str(tmp_path / "a")], capsys, str(empty),
                     "no person found in any of the 5 picture(s)")  # fmt: skip
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"\x00\x00\x00\x18ftypmp42 and then nothing useful" * 20)
    _one_line_exit_2(["personal", str(corrupt), "--out", str(tmp_path / "b")], capsys, str(corrupt),
                     "cannot read the video")  # fmt: skip
    one = tmp_path / "one"
    one.mkdir()
    shutil.copy(samples_dir / "2_A.jpg", one / "2_A.jpg")
    _one_line_exit_2(["personal", str(one), "--out", str(tmp_path / "c")], capsys, str(one),
                     "only 1 usable picture", "held out")  # fmt: skip
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    _one_line_exit_2(["personal", str(text), "--out", str(tmp_path / "d")], capsys, "neither a folder")
    _one_line_exit_2(["personal", "--out", str(tmp_path / "e")], capsys, "no material.json")
    _one_line_exit_2(["personal", str(one), "--out", str(tmp_path / "f"), "--minutes", "0"], capsys, "--minutes")
    assert read_progress(tmp_path / "c")["phase"] == "failed"


def test_scmnet_trains_on_the_material_and_is_scored_like_the_refiner(prepared, tmp_path):
    """SCM-Net (self-supervised: each frame its own target) needs the parsing map in every request,
    also in the identity and locality checks (they failed without it)."""
    run = fresh_run(prepared, tmp_path)
    assert main(["personal", "--out", str(run), "--model", "scmnet", "--steps", "2", "--max-side", "64",
                 *QUICK]) == 0  # fmt: skip
    score = json.loads((run / "score.json").read_text())
    assert score["identity"] is True and score["locality"]["photos"] == 2
    assert score["personal"] != score["engine"]  # two models were scored, not the engine twice
    assert score["wins"] is False  # two steps from scratch: the engine stays the choice
    from posestudio.engine.runner import Runner

    assert Runner.auto_card("pose", score["installed"]).is_puppet


def test_a_budget_run_reports_the_steps_its_budget_allows(tmp_path):
    from posestudio.training.personal.progress import Progress

    hooks = personal_run.PersonalHooks(tmp_path, Progress(tmp_path), None, 60.0, 25,
                                       personal_run.STEPS_WITH_BUDGET)  # fmt: skip
    assert hooks.expected_steps(5, hooks.eta(5)) is None  # no rate yet
    hooks._first = (5, hooks._first[1] - 10.0)  # 10 s for the first 10 steps: 1 s a step
    eta = hooks.eta(15)
    assert eta is not None and 0 < eta <= 60.0
    assert abs(hooks.expected_steps(15, eta) - (15 + eta)) <= 1
    fixed = personal_run.PersonalHooks(tmp_path, Progress(tmp_path), None, 60.0, 25, 300)
    assert fixed.expected_steps(15, 10.0) == 300
