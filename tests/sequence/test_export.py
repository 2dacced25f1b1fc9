"""Exports read back: MP4 and GIF with 24 frames at the chosen fps, APNG/WebP,
the skeleton sequence with the keyframe poses exactly at the keyframes."""

from __future__ import annotations

import json

import imageio.v3 as iio
import numpy as np
import pytest
from PIL import Image

from posestudio.core.formats import read_poses, skeleton_image
from posestudio.core.timeline import Timeline
from posestudio.errors import InputError
from posestudio.sequence import export as sx
from posestudio.sequence import render_sequence
from tests.sequence.conftest import LAST


@pytest.fixture(scope="module")
def rendered(request):
    return {}


@pytest.fixture
def frames128(small_doc, engine, rendered):
    if "images" not in rendered:  # render the 128x128 sequence once for this module
        tl = Timeline.from_document(small_doc)
        rendered["images"] = render_sequence(small_doc, tl, engine).images
    return rendered["images"]


def _gif_frames(path):
    with Image.open(path) as im:
        durations = []
        for i in range(im.n_frames):
            im.seek(i)
            durations.append(im.info["duration"])
        return im.n_frames, durations, im.info.get("loop")


def test_mp4_reads_back_24_frames_at_fps(frames128, tmp_path):
    path = sx.export_images(tmp_path / "walk.mp4", frames128, fps=12)[0]
    meta = iio.immeta(path, plugin="FFMPEG")
    assert meta["codec"] == "h264" and meta["fps"] == pytest.approx(12)
    frames = list(iio.imiter(path, plugin="FFMPEG"))
    assert len(frames) == 24 and frames[0].shape == (128, 128, 3)
    # lossy, but the content is the rendered sequence
    assert np.abs(frames[12].astype(int) - frames128[12]).mean() < 6


def test_mp4_odd_size_is_padded_and_loop_repeats(frames128, tmp_path):
    path = sx.export_images(tmp_path / "odd.mp4", frames128[:5], fps=24, size=(63, 47), loop=2)[0]
    frames = list(iio.imiter(path, plugin="FFMPEG"))
    assert len(frames) == 10 and frames[0].shape == (48, 64, 3)


def test_gif_reads_back_24_frames_at_fps(frames128, tmp_path):
    path = sx.export_images(tmp_path / "walk.gif", frames128, fps=10, loop=0)[0]
    n, durations, loop = _gif_frames(path)
    assert n == 24 and durations == [100] * 24 and loop == 0
    # 12 fps is not whole hundredths: the durations still add up to 2 s
    n, durations, _ = _gif_frames(sx.export_images(tmp_path / "w12.gif", frames128, fps=12)[0])
    assert n == 24 and sum(durations) == 2000 and set(durations) <= {80, 90}
    back = iio.imread(path, index=None)
    assert back.shape[:3] == (24, 128, 128)


def test_apng_and_webp_read_back(frames128, tmp_path):
    for name in ("walk.apng", "walk.webp"):
        path = sx.export_images(tmp_path / name, frames128, fps=12)[0]
        with Image.open(path) as im:
            assert im.n_frames == 24 and im.size == (128, 128)
            total = 0
            for i in range(im.n_frames):
                im.seek(i)
                im.load()  # WebP sets the frame's duration on load
                total += im.info["duration"]
            assert total == pytest.approx(2000, abs=1)
    with Image.open(tmp_path / "walk.apng") as im:  # lossless: the frame is the render
        im.seek(5)
        np.testing.assert_array_equal(np.array(im.convert("RGB")), frames128[5])


def test_png_sequence_with_template(frames128, tmp_path):
    paths = sx.export_images(tmp_path / "frames", frames128[:3], "png", frames=[10, 11, 12],
                             template="pose_{frame:04d}.png")
    assert [p.name for p in paths] == ["pose_0010.png", "pose_0011.png", "pose_0012.png"]
    np.testing.assert_array_equal(np.array(Image.open(paths[1])), frames128[1])


def test_openpose_sequence_keyframes_exact(doc, timeline, keyposes, tmp_path):
    paths = sx.export_skeleton(tmp_path / "op", timeline, doc.width, doc.height, "openpose")
    assert len(paths) == 24 and paths[0].name == "frame_00000_keypoints.json"
    sp, tp = keyposes
    for frame, pose in ((0, sp), (LAST, tp)):
        ps = read_poses(paths[frame])
        assert (ps.width, ps.height) == (256, 256) and len(ps.people) == 1
        assert ps.people[0] == pose
        np.testing.assert_array_equal(ps.people[0].to_array(), pose.to_array())
    mid = read_poses(paths[12]).people[0]
    assert mid != sp and mid != tp
    np.testing.assert_allclose(mid.xy[mid.visible], timeline.pose_at(12)[0].xy[mid.visible], atol=1e-3)
    assert json.loads(paths[0].read_text())["people"][0]["pose_keypoints_2d"][:3] == \
        [sp.xy[0, 0], sp.xy[0, 1], 1]


def test_controlnet_sequence_draws_the_frame_poses(doc, timeline, keyposes, tmp_path):
    paths = sx.export_skeleton(tmp_path / "cn", timeline, doc.width, doc.height, "controlnet",
                               frames=[0, 7, LAST], size=(128, 128))
    assert [p.name for p in paths] == ["frame_00000.png", "frame_00007.png", "frame_00023.png"]
    half = np.array([[0.5, 0, 0], [0, 0.5, 0]])
    for p, f in zip(paths, (0, 7, LAST), strict=True):
        want = skeleton_image.render([q.transformed(half) for q in timeline.pose_at(f)], 128, 128)
        np.testing.assert_array_equal(np.array(Image.open(p)), want)


def test_durations_and_formats():
    assert sum(sx.durations_ms(24, 24)) == 1000
    assert sum(sx.durations_ms(7, 30, 10)) == 230  # 233 ms in 10 ms steps
    assert sx.format_for_path("a/b.MP4") == "mp4" and sx.format_for_path("out/frames") == "png"
    with pytest.raises(InputError, match="suffix"):
        sx.format_for_path("x.avi")
    with pytest.raises(InputError, match="frame"):
        sx.export_images("x", [np.zeros((4, 4, 3), np.uint8)], "png", template="static.png")


def test_hold_frames_keep_their_time(keyposes, tmp_path):
    """Identical frames (a hold): GIF, APNG and WebP merge them into longer frames but
    keep the total time; MP4 keeps every frame."""
    sp, tp = keyposes
    tl = Timeline({0: [sp], 12: [tp], LAST: [tp]}, interpolation={0: "hold"})
    images = [skeleton_image.render(tl.pose_at(f), 64, 64, 2, 2, scale=(0.25, 0.25)) for f in tl.frames()]
    assert len(images) == 24
    for name in ("hold.gif", "hold.apng", "hold.webp"):
        with Image.open(sx.export_images(tmp_path / name, images, fps=10)[0]) as im:
            total = 0
            for i in range(im.n_frames):
                im.seek(i)
                im.load()
                total += im.info["duration"]
            assert im.n_frames == 2 and total == 2400, name
    assert len(list(iio.imiter(sx.export_images(tmp_path / "hold.mp4", images, fps=10)[0], plugin="FFMPEG"))) == 24
