"""The puppet warp's public entry: :mod:`posestudio.engine.warp` does the work.

The backend, the garment editor, sequence rendering and the tests call
``posestudio.engine.puppet.puppet_warp`` and ``Warp``; they stay here.
"""

from __future__ import annotations

from posestudio.engine.warp import PreparedSource, Warp, prepare_source, puppet_warp, warp_prepared
from posestudio.engine.warp.inpaint import inpaint
from posestudio.engine.warp.parts import assign_parts, sides_from_parts
from posestudio.engine.warp.rig import (
    PARTS,
    _thick_torso_map,
    depth_order,
    mirrored_limbs,
    near_side,
    part_transforms,
)  # fmt: skip

__all__ = [
    "PARTS", "PreparedSource", "Warp", "assign_parts", "depth_order", "inpaint", "mirrored_limbs", "near_side",
    "part_transforms", "prepare_source", "puppet_warp", "sides_from_parts", "warp_prepared", "_thick_torso_map",
]  # fmt: skip
