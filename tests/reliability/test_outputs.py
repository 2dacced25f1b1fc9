"""Outputs never replace an input, a device or someone else's file (issue 13)."""

import os
import shutil

import pytest

from posestudio.cli import main
from posestudio.commands import outputs


@pytest.fixture()
def work(tmp_path, samples_dir):
    for f in ("2_A.jpg", "keypoints.csv"):
        shutil.copy(samples_dir / f, tmp_path / f)
    return tmp_path


def _generate(work, out, *extra):
    return main(["generate", "--source", str(work / "2_A.jpg"), "--source-pose", str(work / "keypoints.csv"),
                 "--source-name", "2_A.jpg", "--target-name", "2_B.jpg", "--model", "puppet",
                 "--out", str(out), *extra])


def test_generate_refuses_to_write_over_its_source(work, capsys):
    before = (work / "2_A.jpg").read_bytes()
    assert _generate(work, work / "2_A.jpg") == 2
    assert "one of the command's inputs" in capsys.readouterr().err
    assert (work / "2_A.jpg").read_bytes() == before


def test_pose_convert_of_a_csv_onto_itself_is_refused(work, capsys):
    before = (work / "keypoints.csv").read_bytes()
    assert main(["pose", "convert", str(work / "keypoints.csv"), str(work / "keypoints.csv")]) == 2
    assert (work / "keypoints.csv").read_bytes() == before
    assert "inputs" in capsys.readouterr().err


def test_render_refuses_to_write_over_its_project(work, capsys):
    from posestudio.core.document import Document
    from posestudio.core.project import read_image, save_project

    proj = work / "p.psproj"
    save_project(Document.from_image(read_image(work / "2_A.jpg"), "a"), proj)
    before = proj.read_bytes()
    assert main(["render", str(proj), "--out", str(proj), "--format", "mp4"]) == 2
    assert proj.read_bytes() == before


def test_a_fifo_or_device_is_never_replaced(work, capsys):
    fifo = work / "out.json"
    os.mkfifo(fifo)
    assert main(["pose", "convert", str(work / "keypoints.csv"), str(fifo), "--name", "2_A.jpg", "--force"]) == 2
    assert "not a regular file" in capsys.readouterr().err
    assert not fifo.is_file() and fifo.exists()


def test_someone_elses_file_needs_force_and_own_earlier_output_does_not(work, capsys):
    out = work / "pose.json"
    out.write_text("my notes")
    args = ["pose", "convert", str(work / "keypoints.csv"), str(out), "--name", "2_A.jpg"]
    assert main(args) == 2
    assert "--force" in capsys.readouterr().err and out.read_text() == "my notes"
    assert main(args + ["--force"]) == 0
    assert "people" in out.read_text()
    assert outputs.is_own_output(out, "pose convert")
    assert main(args) == 0  # re-running the same command replaces its own output
    out.write_text("edited by hand since")
    assert main(args) == 2 and out.read_text() == "edited by hand since"
    # another command's output is not this command's
    assert main(["pose", "render", str(work / "keypoints.csv"), str(work / "s.png"), "--name", "2_A.jpg"]) == 0
    assert not outputs.is_own_output(work / "s.png", "pose convert")


def test_unknown_output_type_and_too_long_names_fail_before_any_work(work, capsys):
    assert _generate(work, work / "x.xyz") == 2
    assert "extension" in capsys.readouterr().err
    assert _generate(work, work / ("n" * 300 + ".png")) == 2
    assert "longer than 255" in capsys.readouterr().err
    assert not list(work.glob("x.*"))


def test_a_frame_sequence_is_bounded_by_the_output_file_limit(work, capsys, monkeypatch):
    from posestudio.core.document import Document
    from posestudio.core.project import read_image, save_project

    doc = Document.from_image(read_image(work / "2_A.jpg")[:32, :24], "a")
    doc.keyframes[0] = [p.copy() for p in doc.pose_layer().poses]
    save_project(doc, work / "p.psproj")
    monkeypatch.setenv("POSESTUDIO_MAX_OUTPUT_FILES", "3")
    assert main(["render", str(work / "p.psproj"), "--out", str(work / "frames"), "--range", "0:9"]) == 2
    assert "POSESTUDIO_MAX_OUTPUT_FILES" in capsys.readouterr().err
    assert not (work / "frames").exists()


def test_bench_json_needs_force_over_a_foreign_file_and_is_checked_before_timing(work, capsys):
    notes = work / "notes.json"
    notes.write_text("my notes")
    args = ["bench", "--model", "puppet", "--size", "32x24", "--runs", "1", "--warmup", "0", "--json", str(notes)]
    assert main(args) == 2
    assert "--force" in capsys.readouterr().err and notes.read_text() == "my notes"
    assert main(args + ["--force"]) == 0 and "latency_ms_p50" in notes.read_text()
    capsys.readouterr()
    assert main(args) == 0  # its own earlier output


def test_eval_json_and_grid_are_checked_before_the_evaluation(work, capsys, monkeypatch):
    from posestudio.training import evaluate

    def never(*a, **k):
        raise AssertionError("evaluated although the output was refused")

    monkeypatch.setattr(evaluate, "evaluate", never)
    photo = work / "2_A.jpg"
    before = photo.read_bytes()
    assert main(["eval", "--baseline", "source", "--pairs", "1", "--size", "32x24", "--grid", str(photo)]) == 2
    assert "--grid" in capsys.readouterr().err and photo.read_bytes() == before


def test_train_never_starts_over_an_earlier_run_without_force(work, capsys):
    run = work / "run"
    run.mkdir()
    (run / "weights.safetensors").write_bytes(b"an earlier run's weights")
    args = ["train", "pona", "--data", "synth", "--preset", "tiny", "--size", "32x24", "--batch", "2", "--steps", "1",
            "--no-progress", "--sample-every", "0", "--out", str(run)]  # fmt: skip
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--resume" in err and "--force" in err
    assert (run / "weights.safetensors").read_bytes() == b"an earlier run's weights"
    assert main(args + ["--force"]) == 0
    assert (run / "weights.safetensors").read_bytes() != b"an earlier run's weights"
    (work / "afile").write_text("x")
    assert main(args[:-1] + [str(work / "afile")]) == 2
