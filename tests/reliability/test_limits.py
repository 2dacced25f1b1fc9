"""The one limit policy: refusals before allocating, one line naming the limit and its variable."""

import os
import threading
import zipfile

import numpy as np
import pytest
from PIL import Image

from posestudio.core import limits
from posestudio.core.formats import label_png, read_poses
from posestudio.core.project import read_image
from posestudio.errors import InputError


def test_a_limit_is_raised_by_its_environment_variable(tmp_path, monkeypatch):
    Image.new("L", (300, 200)).save(tmp_path / "p.png")
    monkeypatch.setenv("POSESTUDIO_MAX_PIXELS", "50000")
    with pytest.raises(InputError, match="POSESTUDIO_MAX_PIXELS") as err:
        read_image(tmp_path / "p.png")
    assert str(tmp_path / "p.png") in str(err.value) and "300x200" in str(err.value)
    monkeypatch.setenv("POSESTUDIO_MAX_PIXELS", "60000")
    assert read_image(tmp_path / "p.png").shape == (200, 300, 3)
    monkeypatch.setenv("POSESTUDIO_MAX_PIXELS", "lots")
    with pytest.raises(InputError, match="POSESTUDIO_MAX_PIXELS='lots'"):
        read_image(tmp_path / "p.png")


def test_dev_zero_is_refused_without_reading_it_all_and_a_fifo_without_waiting(tmp_path):
    os.symlink("/dev/zero", tmp_path / "z.json")
    with pytest.raises(InputError, match="not a regular file"):
        read_poses(tmp_path / "z.json")
    os.mkfifo(tmp_path / "f.png")
    done = []
    t = threading.Thread(target=lambda: done.append(pytest.raises(InputError, label_png.read, tmp_path / "f.png")))
    t.daemon = True
    t.start()
    t.join(10)
    assert done, "reading a FIFO waited for a writer"


def test_text_files_are_read_only_up_to_their_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("POSESTUDIO_MAX_TEXT_BYTES", "1000")
    (tmp_path / "big.json").write_text('{"people": [' + " " * 2000 + "]}")
    with pytest.raises(InputError, match="POSESTUDIO_MAX_TEXT_BYTES"):
        read_poses(tmp_path / "big.json")


def test_a_zip_is_judged_by_its_directory_before_extracting(tmp_path, monkeypatch):
    p = tmp_path / "a.zip"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("zeros", b"\0" * 200_000)
    monkeypatch.setenv("POSESTUDIO_MAX_PROJECT_BYTES", "100000")
    with zipfile.ZipFile(p) as z, pytest.raises(InputError, match="200,000 bytes.*POSESTUDIO_MAX_PROJECT_BYTES"):
        limits.check_zip(z, p)


def test_engine_scale_shrinks_big_photos_only():
    assert limits.engine_scale(1000, 1000) == 1.0
    s = limits.engine_scale(12000, 12000)
    assert 0 < s < 1 and 12000 * 12000 * s * s <= limits.limit("engine_pixels") * 1.0001


def test_huge_coordinates_are_refused(tmp_path):
    (tmp_path / "p.csv").write_text("name:keypoints_y:keypoints_x\na.jpg: " + str([1e18] * 18) + ": "
                                    + str([1.0] * 18) + "\n")
    with pytest.raises(InputError, match="coordinate of 1e\\+18"):
        read_poses(tmp_path / "p.csv")
    assert np.isfinite(limits.limit("coordinate"))
