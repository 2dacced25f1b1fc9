"""Rebuild docs/puppet/pair2.png and pair3.png and print the DeepFashion table of docs/PUPPET.md.

Run from the project root: .venv/bin/python docs/make_puppet_strips.py
Strips: source | puppet (parsing) | puppet (no parsing) | real target | SPT output.
"""

from pathlib import Path

import numpy as np
from PIL import Image
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from posestudio.core.formats import read_poses
from posestudio.engine.puppet import puppet_warp

S = Path(__file__).resolve().parents[1] / ".." / "shared" / "samples" / "deepfashion"
OUT = Path(__file__).resolve().parent / "puppet"


def load(name):
    return np.array(Image.open(S / name).convert("RGB"))


for a, b, n in (("2_A", "2_B", 2), ("3_A", "3_B", 3)):
    src, tgt = load(f"{a}.jpg"), load(f"{b}.jpg")
    par = np.array(Image.open(S / f"{a}_parsing.png"))
    sp = read_poses(S / "keypoints.csv", name=f"{a}.jpg").people[0]
    tp = read_poses(S / "keypoints.csv", name=f"{b}.jpg").people[0]
    with_par, without = puppet_warp(src, sp, tp, par).image, puppet_warp(src, sp, tp).image
    spt = load(f"reference_outputs/spt_{a}_to_{b}.png")[:, 512:]  # source | target | SPT output
    for label, im in (
        ("source", src),
        ("puppet, parsing", with_par),
        ("puppet, no parsing", without),
        ("SPT", spt),
    ):
        ssim = structural_similarity(im, tgt, channel_axis=2, data_range=255)
        print(
            f"{a}->{b} {label:20s} SSIM {ssim:.3f} PSNR {peak_signal_noise_ratio(tgt, im, data_range=255):.1f} dB"
        )
    strip = Image.fromarray(np.concatenate([src, with_par, without, tgt, spt], 1))
    strip.quantize(colors=256, dither=Image.Dither.NONE).save(OUT / f"pair{n}.png", optimize=True)  # ~110 KB
