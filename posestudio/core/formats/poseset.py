"""A pose file's content: several people on one canvas."""

from __future__ import annotations

from dataclasses import dataclass, field

from posestudio.core.pose import Pose


@dataclass
class PoseSet:
    """People in one image; ``width``/``height`` are the canvas size when the file says it."""

    people: list[Pose] = field(default_factory=list)
    width: int | None = None
    height: int | None = None

    @property
    def first(self) -> Pose:
        if not self.people:
            raise IndexError("no person in this pose set")
        return self.people[0]

    def __eq__(self, other) -> bool:
        if not isinstance(other, PoseSet):
            return NotImplemented
        return (self.width, self.height) == (other.width, other.height) and len(self.people) == len(
            other.people
        ) and all(a == b for a, b in zip(self.people, other.people, strict=True))
