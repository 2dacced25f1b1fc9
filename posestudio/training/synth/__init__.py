"""Procedural training data: mannequins with exact keypoints and parsing, faces with landmarks
and edge maps. numpy/OpenCV only (no torch), deterministic by seed. See docs/SYNTH.md."""

from posestudio.training.synth.appearance import Appearance, random_appearance
from posestudio.training.synth.generator import MannequinGenerator, MannequinSample, load_real_poses
from posestudio.training.synth.mannequin import Rendered, render
from posestudio.training.synth.poses import Figure, annotate, figure_from_pose, random_figure

__all__ = [
    "Appearance", "random_appearance", "MannequinGenerator", "MannequinSample", "load_real_poses",
    "Rendered", "render", "Figure", "annotate", "figure_from_pose", "random_figure",
]  # fmt: skip
