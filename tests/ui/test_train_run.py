"""The window's side of a personal-model run folder: reading curves as they grow,
material.json and its poses, the command line, a run followed without its process."""

from __future__ import annotations

import json

import numpy as np
import pytest

from posestudio.core.pose import default_pose
from posestudio.core.project import pose_to_json
from posestudio.errors import InputError
from posestudio.ui import train_run


def test_curves_are_read_as_they_grow_never_half_a_line(tmp_path):
    path = tmp_path / "curves.jsonl"
    reader = train_run.CurveReader(path)
    assert reader.read_new() == []  # not there yet
    with open(path, "w") as fh:
        fh.write('{"step": 1, "loss": 0.9}\n{"step": 2, "lo')
    assert reader.read_new() == [{"step": 1, "loss": 0.9}]
    with open(path, "a") as fh:
        fh.write('ss": 0.8}\nnot json\n{"step": 3, "val_ssim": 0.5, "val_psnr": 17.0}\n')
    assert reader.read_new() == [{"step": 2, "loss": 0.8}, {"step": 3, "val_ssim": 0.5, "val_psnr": 17.0}]
    assert reader.read_new() == []
    path.write_text('{"step": 1, "loss": 1.0}\n')  # a run that started its file again
    assert reader.read_new() == [{"step": 1, "loss": 1.0}]


def material_folder(tmp_path, frames=3):
    run = tmp_path / "run"
    run.mkdir()
    pose = pose_to_json(default_pose(120, 160))
    obj = {"source": "x", "frames": [{"file": f"frames/{i:06d}.png", "pose": pose, "matte": f"mattes/{i:06d}.png",
                                      "parsing": None, "holdout": i == frames - 1} for i in range(frames)],
           "left_out": [{"what": "frame 7", "why": "no person found"}], "notes": ["few frames"]}
    (run / "material.json").write_text(json.dumps(obj))
    return run, obj


def test_a_frame_pose_is_written_back_with_the_project_codec(tmp_path):
    run, before = material_folder(tmp_path)
    pose = default_pose(120, 160)
    pose.xy[4] += (11.5, -3.25)
    pose.visible[9] = False
    train_run.save_frame_pose(run, 1, pose)
    material = train_run.read_material(run)
    back = material.pose(1)
    assert np.allclose(back.xy, pose.xy) and not back.visible[9] and back.visible[4]
    assert material.raw["frames"][0] == before["frames"][0] and material.left_out == before["left_out"]
    assert material.held_out == 1 and material.notes == ["few frames"]
    with pytest.raises(InputError, match="there is no frame 5"):
        train_run.save_frame_pose(run, 5, pose)


@pytest.mark.parametrize("text, problem", [(None, "no such file"), ("{", "not valid JSON"),
                                           ('{"frames": 3}', "no frames list"),
                                           ('{"frames": [{"pose": null}]}', "frame 0 names no file")])
def test_a_missing_or_damaged_material_file_is_one_line_naming_it(tmp_path, text, problem):
    if text is not None:
        (tmp_path / "material.json").write_text(text)
    with pytest.raises(InputError) as err:
        train_run.read_material(tmp_path)
    assert str(err.value).startswith(str(tmp_path / "material.json")) and problem in str(err.value)
    assert "\n" not in str(err.value)


def test_the_command_follows_the_cli_contract():
    cmd = train_run.personal_command("clip.mp4", "/runs/a", model="scmnet", minutes=2.5, device="cuda",
                                     resume=True, name="a")
    assert cmd[:len(train_run.PERSONAL_PROGRAM)] == train_run.PERSONAL_PROGRAM
    assert cmd[len(train_run.PERSONAL_PROGRAM):] == ["clip.mp4", "--out", "/runs/a", "--model", "scmnet", "--device",
                                                     "cuda", "--minutes", "2.5", "--name", "a", "--resume"]
    prep = train_run.personal_command("f", "r", prepare_only=True)
    assert prep[-1] == "--prepare-only" and "--minutes" not in prep and "--resume" not in prep


def test_a_run_followed_without_its_process_ends_with_its_phase(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    follow = train_run.AttachedRun(run)
    (run / "progress.json").write_text(json.dumps({"phase": "train", "step": 3, "steps": 9}))
    assert train_run.AttachedRun.going_on(run) and follow.poll() is None
    follow.stop()
    assert (run / "STOP").exists()
    for phase, code in (("cancelled", 3), ("done", 0), ("failed", 1)):
        (run / "progress.json").write_text(json.dumps({"phase": phase, "message": "disk full\n"}))
        assert follow.poll() == code and not train_run.AttachedRun.going_on(run)
    assert follow.error_line() == "disk full"
