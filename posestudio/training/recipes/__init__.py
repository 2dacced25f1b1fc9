"""Training recipes: which networks, losses (with which weights), discriminators and
phases each paper trains; one module per paper or family, one table of names
(:mod:`.registry`).

- :mod:`.base`: :class:`Recipe`, :class:`Amp`, the shared update helpers
- :mod:`.pona` (PoNA), :mod:`.flow` + :mod:`.structflow` (001) + :mod:`.attnflow` (003)
- :mod:`.spt` (002) with :mod:`.spt_trainer` (Algorithm 1), :mod:`.spt_pseudo_search` and
  :mod:`.spt_pseudo_labels` (eq. 1's pseudo targets)
- :mod:`.scmnet` (000, people and faces), :mod:`.refine` (the prior refiners)

Importing this package imports no torch: ``Amp`` and ``Recipe`` load :mod:`.base` on first use.
"""

from __future__ import annotations

from posestudio.training.recipes.registry import RECIPES, make_recipe, recipe_class

__all__ = ["RECIPES", "Amp", "Recipe", "make_recipe", "recipe_class"]


def __getattr__(name: str):
    if name in ("Amp", "Recipe"):
        from posestudio.training.recipes import base

        return getattr(base, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
