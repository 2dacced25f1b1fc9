"""``--preset paper``: each recipe as its paper trains it — resolution, batch, step count,
optimiser — with where each number comes from. Loss weights are not here: they live with
the losses (``nets.losses.PONA_LOSS_WEIGHTS``, ``StructFlowLoss.DEFAULT_WEIGHTS``,
``AttnFlowLoss.DEFAULT_WEIGHTS``, ``spt_losses.WEIGHTS``, ``scmnet_losses.WEIGHTS``) and every
preset uses them. The generator is built from its ``full`` preset at the paper's size.
docs/TRAINING.md has the same table for readers; tests/training/test_paper_presets.py keeps
the two in step with the papers' text.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PaperPreset:
    size: tuple[int, int]  # (height, width)
    batch: int
    steps: int
    lr: float
    betas: tuple[float, float]
    lr_d_ratio: float  # discriminator lr = lr_d_ratio * lr
    source: str  # where the numbers come from; what we chose where the paper is silent


PAPER_PRESETS: dict[str, PaperPreset] = {
    "pona": PaperPreset(
        (256, 176), 8, 90_000, 2e-4, (0.5, 0.999), 1.0,
        "PoNA Sec. IV-G: Adam (0.5, 0.999), 90k iterations, DeepFashion 256x176 (Sec. IV-A); "
        "lr 2e-4 from the authors' code; batch not printed: 8 (our choice)",
    ),
    "structflow": PaperPreset(
        (256, 256), 6, 200_000, 1e-3, (0.0, 0.99), 1.0,
        "001 Implementation Details: Adam (0, 0.99), lr fixed at 1e-3, DeepFashion 256x256, batch 6; "
        "step count not printed: 200k (about 12 epochs of the 101,966 training pairs; our choice)",
    ),
    "attnflow": PaperPreset(
        (256, 256), 24, 200_000, 2e-4, (0.0, 0.999), 0.1,
        "003 Sec. 4 Implementation Details: DeepFashion 256x256, batch 24, deformation module "
        "pre-trained then end to end, historical average; optimiser deferred to the supplement: "
        "GFLA's (model/pose_model.py: Adam (0, 0.999), D lr = 0.1 x G lr); lr 2e-4 and 200k steps "
        "are our choice",
    ),
    "spt": PaperPreset(
        (256, 256), 4, 200_000, 2e-4, (0.5, 0.999), 1.0,
        "SPT Sec. 4.1: Adam 2e-4 (0.5, 0.999), DeepFashion batch 4 at 256x256 (H_S jointly refined at "
        "128x128, then progressive training to 256: --progressive, on in this preset, training.recipes.spt), "
        "lambda_pose 700, lambda_cont 0.03, lambda_sty 1; step count not printed: 200k (our choice)",
    ),
    "scmnet": PaperPreset(
        (256, 256), 8, 200_000, 2e-4, (0.5, 0.999), 1.0,
        "SCM-Net Sec. 4.1: loss weights (5, 1, 1, 150, 1), correlation at 32x32 (= 256x256 at the "
        "encoders' stride 8); optimiser, batch and steps not printed: Adam 2e-4 (0.5, 0.999), batch 8, "
        "200k steps (our choice, the pix2pix-family defaults the paper's baselines use)",
    ),
    "scmnet-face": PaperPreset(
        (256, 256), 8, 200_000, 2e-4, (0.5, 0.999), 1.0,
        "SCM-Net Sec. 4.5 (CelebA-HQ edges): as scmnet; the paper prints no face-specific settings",
    ),
}
