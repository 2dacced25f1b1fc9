"""The dataset-side eq. 1 search over the real samples folder, written as a pairs CSV
that the pose-transfer data set reads back."""

from __future__ import annotations

import pytest

from posestudio.errors import InputError
from posestudio.training.datasets import PoseTransferPairs, read_pairs
from posestudio.training.recipes import spt_pseudo_labels


def test_pseudo_pairs_from_real_samples(samples_dir, tmp_path):
    rows = spt_pseudo_labels.search_folder(samples_dir, samples_dir / "keypoints.csv")
    names = {"2_A.jpg", "2_B.jpg", "3_A.jpg", "3_B.jpg"}
    assert {a for a, _, _ in rows} <= names and len(rows) >= 3
    assert all(a != b and b in names and c >= 0 for a, b, c in rows)
    out = tmp_path / "spt_pairs.csv"
    spt_pseudo_labels.write_pairs(out, rows)
    assert read_pairs(out) == [(a, b) for a, b, _ in rows]
    ds = PoseTransferPairs(samples_dir, samples_dir / "keypoints.csv", out, parsing_dir=samples_dir)
    item = ds[0]
    assert item["target_parsing"].shape == (10, 256, 176)


def test_pseudo_pairs_need_parsing_maps(tmp_path, samples_dir):
    with pytest.raises(InputError):
        spt_pseudo_labels.search_folder(tmp_path, samples_dir / "keypoints.csv")
