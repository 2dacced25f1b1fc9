"""The one table of training recipes: name -> where its class lives, the registry archs it
trains and its optimiser defaults. ``posestudio train``'s choices, :class:`TrainConfig` and
:func:`make_recipe` read it; docs/TRAINING.md lists the same names.

Like ``posestudio.nets.registry``, a recipe's module is imported only when it is asked for
(:func:`recipe_class`), so this table is plain data: the command line and the bundle (which
leaves torch out) read it without importing torch or any paper's code.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class RecipeEntry:
    module: str  # under posestudio.training.recipes
    cls: str
    archs: tuple[str, ...]  # registry archs it trains; the first is the exported "weights.safetensors"
    lr: float  # when --lr is not given
    betas: tuple[float, float]  # Adam's


# lr / betas: paper 001 (Sec. Implementation) uses Adam(0, 0.99) at 1e-3; SPT (Sec. 4.1)
# Adam(0.5, 0.999) at 2e-4; the others state none in the paper and follow PoNA's / GFLA's
# public training code (2e-4, (0.5, 0.999)); the refiners (no GAN) Adam's usual betas.
_GAN = (2e-4, (0.5, 0.999))
RECIPES: dict[str, RecipeEntry] = {
    "pona": RecipeEntry("pona", "PoNARecipe", ("pona",), *_GAN),
    "structflow": RecipeEntry("structflow", "StructFlowRecipe", ("structflow",), 1e-3, (0.0, 0.99)),
    "attnflow": RecipeEntry("attnflow", "AttnFlowRecipe", ("attnflow",), *_GAN),
    "spt": RecipeEntry("spt", "SPTRecipe", ("spt-appearance", "spt-parsing"), *_GAN),
    "scmnet": RecipeEntry("scmnet", "SCMNetRecipe", ("scmnet",), *_GAN),
    "scmnet-face": RecipeEntry("scmnet", "SCMNetFaceRecipe", ("scmnet-face",), *_GAN),
    "refine-pose": RecipeEntry("refine", "PoseRefineRecipe", ("refine-pose",), 5e-4, (0.9, 0.999)),
    "refine-garment": RecipeEntry("refine", "GarmentRefineRecipe", ("refine-garment",), 5e-4, (0.9, 0.999)),
    "refine-face": RecipeEntry("refine", "FaceRefineRecipe", ("refine-face",), 5e-4, (0.9, 0.999)),
}


def names() -> tuple[str, ...]:
    return tuple(RECIPES)


def recipe_class(name: str) -> type:
    """The recipe class of ``name``, importing only its module."""
    if name not in RECIPES:
        raise KeyError(f"unknown recipe {name!r}; known: {', '.join(RECIPES)}")
    e = RECIPES[name]
    return getattr(importlib.import_module(f"posestudio.training.recipes.{e.module}"), e.cls)


def make_recipe(cfg, device, info, amp):
    """Build the recipe ``cfg.arch`` names (a ``TrainConfig``) on ``device``."""
    return recipe_class(cfg.arch)(cfg, device, info, amp)
