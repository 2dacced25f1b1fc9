import numpy as np
import pytest

from posestudio.core import labels
from posestudio.core.formats import label_png
from posestudio.errors import InputError


def test_every_set_has_a_colour_per_label_and_distinct_colours():
    for s in labels.LABEL_SETS.values():
        assert len(s.palette) == len(s.names)
        assert len(set(s.palette)) == len(s.palette), s.name
        for a, b in s.lr_pairs:
            assert s.names[a].replace("left", "right") == s.names[b]


def test_lip_to_spt_table_is_explicit_and_complete():
    table = labels.CONVERSIONS[("lip20", "spt10")]
    assert len(table) == 20
    lip = np.arange(20).reshape(4, 5)
    out = labels.convert(lip, "lip20", "spt10")
    spt = labels.SPT10
    assert out[lip == labels.LIP20.index("coat")][0] == spt.index("upper clothes")
    assert out[lip == labels.LIP20.index("left shoe")][0] == spt.index("left leg")
    assert out[lip == labels.LIP20.index("skirt")][0] == spt.index("skirt")


def test_glove_takes_the_nearest_arm():
    lip = np.zeros((8, 12), int)
    lip[:, 0:3] = labels.LIP20.index("left arm")
    lip[:, 9:12] = labels.LIP20.index("right arm")
    lip[:, 3] = labels.LIP20.index("glove")
    lip[:, 8] = labels.LIP20.index("glove")
    out = labels.convert(lip, "lip20", "spt10")
    assert (out[:, 3] == labels.SPT10.index("left arm")).all()
    assert (out[:, 8] == labels.SPT10.index("right arm")).all()


def test_spt_to_eight_regions_on_real_maps(samples_dir):
    for stem in ("2_A", "3_B"):
        spt = label_png.read(samples_dir / f"{stem}_parsing.png")
        eight = labels.convert(spt, "spt10", "scm8")
        assert eight.max() < 8
        assert ((spt == 6) | (spt == 7)).sum() == (eight == labels.SCM8.index("arms")).sum()
        assert ((spt == 4) | (spt == 5)).sum() == (eight == labels.SCM8.index("lower clothes")).sum()
        np.testing.assert_array_equal(spt == 0, eight == 0)


def test_conversion_through_spt_for_other_pairs():
    cihp = np.array([[labels.CIHP20.index("torso skin"), labels.CIHP20.index("left leg")]])
    atr = labels.convert(cihp, "cihp20", "atr18")
    assert atr.tolist() == [[labels.ATR18.index("upper clothes"), labels.ATR18.index("left leg")]]


def test_mirror_swaps_left_and_right_labels(samples_dir):
    spt = label_png.read(samples_dir / "2_B_parsing.png")
    m = labels.mirror(spt, "spt10")
    assert (m == 6).sum() == (spt == 7).sum() and (m == 7).sum() == (spt == 6).sum()
    np.testing.assert_array_equal(labels.mirror(m, "spt10"), spt)
    assert np.array_equal(m[:, ::-1] == 3, spt == 3)


def test_bad_label_input():
    with pytest.raises(InputError, match="unknown label set"):
        labels.get("nope")
    with pytest.raises(InputError, match="values up to 12"):
        labels.convert(np.array([[12]]), "spt10", "scm8")
    assert labels.one_hot(np.array([[0, 9]]), "spt10").shape == (10, 1, 2)


def test_face_set_exists_and_has_no_side_pairs():
    face = labels.get("face8")
    assert face.names[0] == "background" and len(face) == 8 and face.lr_pairs == ()
    with pytest.raises(InputError, match="no conversion"):
        labels.convert(np.zeros((2, 2), int), "face8", "spt10")
