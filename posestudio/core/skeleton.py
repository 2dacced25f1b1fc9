"""The COCO-18 skeleton as OpenPose and the pose-transfer papers use it.

Joint order, the 17 drawn limbs, OpenPose colours, left/right pairs, the
kinematic tree used for posing, and the body-part groups of the papers.
"""

from __future__ import annotations

JOINTS: tuple[str, ...] = (
    "nose", "neck",
    "r_shoulder", "r_elbow", "r_wrist",
    "l_shoulder", "l_elbow", "l_wrist",
    "r_hip", "r_knee", "r_ankle",
    "l_hip", "l_knee", "l_ankle",
    "r_eye", "l_eye", "r_ear", "l_ear",
)  # fmt: skip
NUM_JOINTS = len(JOINTS)
JOINT_INDEX = {name: i for i, name in enumerate(JOINTS)}

# OpenPose's 17 drawn limbs of COCO-18 (0-based), in OpenPose's order; limb i
# is drawn with COLORS[i], joint i with COLORS[i].
LIMBS: tuple[tuple[int, int], ...] = (
    (1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7),
    (1, 8), (8, 9), (9, 10), (1, 11), (11, 12), (12, 13),
    (1, 0), (0, 14), (14, 16), (0, 15), (15, 17),
)  # fmt: skip

# OpenPose / ControlNet colours (RGB).
COLORS: tuple[tuple[int, int, int], ...] = (
    (255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0), (85, 255, 0),
    (0, 255, 0), (0, 255, 85), (0, 255, 170), (0, 255, 255), (0, 170, 255), (0, 85, 255),
    (0, 0, 255), (85, 0, 255), (170, 0, 255), (255, 0, 255), (255, 0, 170), (255, 0, 85),
)  # fmt: skip

# Left/right joint pairs (right first).
LR_PAIRS: tuple[tuple[int, int], ...] = ((2, 5), (3, 6), (4, 7), (8, 11), (9, 12), (10, 13), (14, 15), (16, 17))

# Permutation that swaps left and right joints: mirrored[i] = original[FLIP_PERMUTATION[i]].
FLIP_PERMUTATION: tuple[int, ...] = tuple(
    {**{r: l for r, l in LR_PAIRS}, **{l: r for r, l in LR_PAIRS}}.get(i, i) for i in range(NUM_JOINTS)
)

# Kinematic tree rooted at the neck: PARENT[i] is the joint a limb rotates about.
PARENT: tuple[int | None, ...] = (
    1, None,        # nose -> neck, neck is the root
    1, 2, 3,        # right arm
    1, 5, 6,        # left arm
    1, 8, 9,        # right leg (hip hangs from the neck through the torso)
    1, 11, 12,      # left leg
    0, 0, 14, 15,   # eyes from the nose, ears from the eyes
)  # fmt: skip


def children(joint: int) -> list[int]:
    return [j for j, p in enumerate(PARENT) if p == joint]


def descendants(joint: int) -> list[int]:
    """All joints below ``joint`` in the kinematic tree (not including it)."""
    out, stack = [], children(joint)
    while stack:
        j = stack.pop()
        out.append(j)
        stack.extend(children(j))
    return sorted(out)


def topological_order() -> list[int]:
    """Joints ordered so every parent comes before its children."""
    order, frontier = [], [i for i, p in enumerate(PARENT) if p is None]
    while frontier:
        j = frontier.pop(0)
        order.append(j)
        frontier.extend(children(j))
    return order


# Sub-poses of the structure-aware paper (Tang et al. 2021, 001): head, torso,
# legs. The paper groups joints "based on their inherent connections" without
# listing them; our choice: the arms move with the upper body, so they belong
# to the torso; neck and hips are shared so neighbouring flows overlap.
SUBPOSES: dict[str, tuple[int, ...]] = {
    "head": (0, 1, 14, 15, 16, 17),
    "torso": (1, 2, 3, 4, 5, 6, 7, 8, 11),
    "legs": (8, 9, 10, 11, 12, 13),
}

# The ten rigid body sub-parts of Def-GAN (Siarohin et al. 2018) that SPT's
# pseudo-label search (eq. 1) aligns with affine transforms. Each is the set of
# joints whose bounding region defines the part.
RIGID_PARTS: dict[str, tuple[int, ...]] = {
    "head": (0, 14, 15, 16, 17),
    "torso": (2, 5, 8, 11),
    "r_upper_arm": (2, 3),
    "r_forearm": (3, 4),
    "l_upper_arm": (5, 6),
    "l_forearm": (6, 7),
    "r_thigh": (8, 9),
    "r_shin": (9, 10),
    "l_thigh": (11, 12),
    "l_shin": (12, 13),
}

# Joints that sit on the head, for face crops (face losses, face editing).
HEAD_JOINTS: tuple[int, ...] = (0, 14, 15, 16, 17)
