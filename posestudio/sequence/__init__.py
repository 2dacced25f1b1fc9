"""Image sequences from a timeline: render every frame through the engine
(:mod:`posestudio.sequence.render`) and write them as PNG frames, GIF, APNG,
WebP, MP4 or a skeleton sequence (:mod:`posestudio.sequence.export`).

May import ``posestudio.core`` and ``posestudio.engine``; never Qt, never
``posestudio.ui``, and never torch itself (only a trained model run by the
engine imports it)."""

from posestudio.sequence.export import FORMATS, export_images, export_skeleton, format_for_path
from posestudio.sequence.render import RenderedSequence, SequenceInputs, render_sequence

__all__ = ["FORMATS", "RenderedSequence", "SequenceInputs", "export_images", "export_skeleton",
           "format_for_path", "render_sequence"]
