"""Garment repaint, attribute transfer, face colorization and parsing of any
photo, weight-free, on the real DeepFashion samples (issue 15)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image
from skimage.color import deltaE_ciede2000, rgb2lab

from posestudio.core import labels
from posestudio.core.face_edges import draw_face_edges
from posestudio.core.formats import read_poses
from posestudio.engine.backends.puppet import run_puppet
from posestudio.engine.edit import face, garment, parsing
from posestudio.engine.results import Request
from posestudio.errors import InputError

LS = labels.get("spt10")
ARMS = (LS.index("left arm"), LS.index("right arm"))
TOP = LS.index("upper clothes")


@pytest.fixture(scope="module")
def person(samples_dir):
    def load(name):
        d = samples_dir
        img = np.array(Image.open(d / f"{name}.jpg").convert("RGB"))
        par = np.array(Image.open(d / f"{name}_parsing.png"))
        pose = read_poses(d / "keypoints.csv", name=f"{name}.jpg").people[0]
        return img, par, pose

    return load


def mean_lab(img, mask):
    return rgb2lab(img[mask].reshape(-1, 1, 3).astype(np.float64) / 255).reshape(-1, 3).mean(0)


def delta_e(a, b) -> float:
    return float(deltaE_ciede2000(a[None, None], b[None, None])[0, 0])


def local_std(img, mask) -> float:
    """Mean standard deviation of luminance in 9x9 windows centred on ``mask`` pixels."""
    y = img.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    m = cv2.blur(y, (9, 9))
    var = np.maximum(cv2.blur(y * y, (9, 9)) - m * m, 0)
    return float(np.sqrt(var)[mask].mean())


def beyond(mask, reach):
    k = np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)
    return ~cv2.dilate(mask.astype(np.uint8), k).astype(bool)


@pytest.mark.parametrize("task", ["garment", "attribute", "face", "parsing", "pose"])
@pytest.mark.parametrize("name", ["2_A", "3_A"])
def test_unchanged_inputs_give_the_picture_bit_for_bit(person, task, name):
    img, par, pose = person(name)
    req = Request(task=task, source_image=img, source_pose=pose, target_pose=pose, source_parsing=par,
                  target_parsing=par.copy(), reference_image=img, reference_parsing=par, reference_pose=pose,
                  region="upper clothes")
    if task == "face":
        crop = np.ascontiguousarray(img[0:96, 60:156])
        req = Request(task="face", source_image=crop, edges=face.sketch_for(96, 96), reference_image=crop.copy())
    res = run_puppet(req)
    if task == "parsing":
        assert np.array_equal(res.layers["parsing"], par)
    else:
        expected = req.source_image
        assert np.array_equal(res.image, expected), task


def test_a_left_right_label_swap_is_no_edit(person):
    img, par, pose = person("2_A")
    swapped = LS.swap_table()[par].astype(np.uint8)
    assert not np.array_equal(swapped, par)
    res = run_puppet(Request(task="garment", source_image=img, source_pose=pose, target_pose=pose,
                             source_parsing=par, target_parsing=swapped))
    assert np.array_equal(res.image, img)


def test_long_sleeves_take_the_tops_colour_and_texture(person):
    img, par, pose = person("2_A")
    want = par.copy()
    arms = np.isin(par, ARMS)
    want[arms] = TOP
    out = garment.repaint(img, par, want)
    top = par == TOP
    core = cv2.erode(arms.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)  # the sleeves, not their edge
    assert delta_e(mean_lab(out, core), mean_lab(img, top)) < 12
    before = delta_e(mean_lab(img, core), mean_lab(img, top))
    assert before > 12  # bare arms were far from the top's red
    ratio = local_std(out, core) / local_std(img, cv2.erode(top.astype(np.uint8), np.ones((5, 5))).astype(bool))
    assert 1 / 1.5 < ratio < 1.5
    # nothing beyond the sleeves and their feather moved
    far = beyond(arms, garment.feather_reach(arms.shape))
    assert np.array_equal(out[far], img[far])


def test_a_label_nobody_shows_is_a_clear_error_and_a_reference_that_shows_it_works(person):
    img, par, pose = person("2_A")
    want = par.copy()
    want[par == LS.index("pants")] = LS.index("skirt")
    with pytest.raises(InputError, match="skirt"):
        garment.repaint(img, par, want)
    ref, rpar, _ = person("3_A")
    rpar = rpar.copy()
    rpar[rpar == LS.index("pants")] = LS.index("skirt")  # 3_A's shorts, called a skirt
    out = garment.repaint(img, par, want, reference=ref, reference_parsing=rpar)
    legs = par == LS.index("pants")
    assert delta_e(mean_lab(out, legs), mean_lab(ref, rpar == LS.index("skirt"))) < 12


def test_3a_top_onto_2a(person):
    img, par, pose = person("2_A")
    ref, rpar, rpose = person("3_A")
    res = run_puppet(Request(task="attribute", source_image=img, source_pose=pose, target_pose=pose,
                             source_parsing=par, reference_image=ref, reference_parsing=rpar,
                             reference_pose=rpose, region="upper clothes"))
    new = res.layers["parsing"]
    region = new == TOP
    assert delta_e(mean_lab(res.image, region), mean_lab(ref, rpar == TOP)) < 12
    changed = region | (par == TOP)
    far = beyond(changed, garment.feather_reach(par.shape))
    assert np.array_equal(res.image[far], img[far])


def test_attribute_transfer_refuses_a_reference_with_no_person(person):
    img, par, pose = person("2_A")
    ref, rpar, rpose = person("3_A")
    with pytest.raises(InputError, match="no person"):
        run_puppet(Request(task="attribute", source_image=img, source_pose=pose, target_pose=pose,
                           source_parsing=par, reference_image=ref, reference_parsing=np.zeros_like(rpar),
                           reference_pose=rpose, region="upper clothes"))


def test_opened_mouth_changes_the_mouth_and_keeps_the_reference_colours(person):
    img, _, _ = person("3_A")
    crop = cv2.resize(np.ascontiguousarray(img[5:75, 60:130]), (160, 160), interpolation=cv2.INTER_CUBIC)
    ref_img, _, _ = person("2_B")
    ref = cv2.resize(np.ascontiguousarray(ref_img[5:75, 90:160]), (160, 160), interpolation=cv2.INTER_CUBIC)
    pts = face.placed_template(160, 160)
    opened = pts.copy()  # the artist opens the mouth: both lip contours taller
    c = opened[48:68].mean(0)
    opened[48:60, 1] = c[1] + (opened[48:60, 1] - c[1]) * 2.2
    opened[60:68, 1] = c[1] + (opened[60:68, 1] - c[1]) * 3
    # the reference face's landmarks: the template, laid where its face is in the crop
    same = face.colorize(crop, face.sketch_for(160, 160), ref, reference_landmarks=pts)
    out = face.colorize(crop, draw_face_edges(opened, 160, 160), ref, reference_landmarks=pts)
    mouth = np.zeros((160, 160), np.uint8)
    cv2.fillPoly(mouth, [np.round(opened[60:68]).astype(np.int32)], 1)
    mouth = mouth.astype(bool)
    assert np.abs(out[mouth].astype(int) - same[mouth]).mean() > 20
    # the rest of the face: the reference's colours
    skin = np.zeros((160, 160), np.uint8)
    cv2.fillConvexPoly(skin, cv2.convexHull(np.round(pts[:27]).astype(np.int32)), 1)
    rest = skin.astype(bool) & beyond(mouth, 6)
    lab_out, lab_ref = mean_lab(out, rest), mean_lab(ref, rest)
    assert delta_e(lab_out, lab_ref) < 6


def test_parsing_of_a_photo_without_a_map(person):
    img, par, pose = person("2_B")
    est = parsing.estimate(img, pose)
    assert est.shape == par.shape and est.max() < len(LS)
    person_iou = ((est > 0) & (par > 0)).sum() / ((est > 0) | (par > 0)).sum()
    assert person_iou > 0.7
    top_iou = ((est == TOP) & (par == TOP)).sum() / ((est == TOP) | (par == TOP)).sum()
    assert top_iou > 0.5


def test_labels_out_of_range_name_the_file(tmp_path):
    with pytest.raises(InputError, match="out of range"):
        garment.check_labels(np.full((4, 4), 12, np.uint8), "spt10", tmp_path / "map.png")
