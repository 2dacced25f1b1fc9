"""Shared losses and discriminators."""

from __future__ import annotations

import pytest
import torch

from posestudio.nets.discriminators import PatchDiscriminator, PoNADiscriminators, ResnetDiscriminator
from posestudio.nets.losses import (
    VGG19_LAYERS,
    AdversarialLoss,
    PerceptualLoss,
    StyleLoss,
    VGG19Features,
    gram_matrix,
)


def test_gram_matrix_by_hand():
    f = torch.tensor([[[[1.0, 2.0]], [[3.0, 4.0]]]])  # B1 C2 H1 W2
    g = gram_matrix(f)
    assert torch.allclose(g, torch.tensor([[[5.0, 11.0], [11.0, 25.0]]]) / 4)


def test_vgg_layers_and_shapes():
    vgg = VGG19Features(layers=("conv1_2", "relu2_1", "relu3_1", "relu4_1"))
    out = vgg(torch.rand(1, 3, 32, 24) * 2 - 1)
    assert {k: tuple(v.shape[1:]) for k, v in out.items()} == {
        "conv1_2": (64, 32, 24),
        "relu2_1": (128, 16, 12),
        "relu3_1": (256, 8, 6),
        "relu4_1": (512, 4, 3),
    }
    assert not any(p.requires_grad for p in vgg.parameters())
    assert len(VGG19_LAYERS) == 16 * 2 + 5


def test_vgg_is_truncated_at_the_deepest_layer():
    assert len(VGG19Features(layers=("conv1_2",)).features) == 3


def test_vgg_loads_user_weights_in_torchvision_layout(tmp_path):
    src = VGG19Features(layers=("relu2_1",))
    sd = {f"features.{k}": torch.randn_like(v) for k, v in src.features.state_dict().items()}
    sd["classifier.0.weight"] = torch.zeros(2, 2)  # a full torchvision file has more: ignored
    path = tmp_path / "vgg19.pth"
    torch.save(sd, path)
    loaded = VGG19Features(path, layers=("relu2_1",))
    assert loaded.pretrained and not src.pretrained
    assert torch.equal(loaded.features[0].weight, sd["features.0.weight"])


def test_vgg_rejects_other_weights(tmp_path):
    path = tmp_path / "x.pth"
    torch.save({"a": torch.zeros(1)}, path)
    with pytest.raises(ValueError, match="not VGG-19"):
        VGG19Features(path)


def test_unknown_vgg_layer():
    with pytest.raises(ValueError):
        VGG19Features(layers=("conv9_9",))


def test_perceptual_and_style_are_zero_for_identical_images_and_grow_otherwise():
    vgg = VGG19Features(layers=("relu1_1", "relu2_1"))
    a = torch.rand(1, 3, 16, 16) * 2 - 1
    assert PerceptualLoss(vgg)(a, a) == 0 and StyleLoss(vgg)(a, a) == 0
    b = a.flip(-1) * 0.5
    assert PerceptualLoss(vgg)(a, b) > 0 and StyleLoss(vgg)(a, b) > 0


@pytest.mark.parametrize("mode", ["lsgan", "hinge", "vanilla"])
def test_adversarial_loss_prefers_the_right_side(mode):
    gan = AdversarialLoss(mode)
    hi, lo = torch.full((2, 1, 3, 3), 0.9), torch.full((2, 1, 3, 3), 0.1)
    assert gan(hi, True) < gan(lo, True)
    assert gan(lo, False) < gan(hi, False)
    assert gan(hi, True, for_discriminator=False) < gan(lo, True, for_discriminator=False)


def test_adversarial_values():
    assert AdversarialLoss("lsgan")(torch.zeros(4), True).item() == 1.0
    assert AdversarialLoss("hinge")(torch.zeros(4), True).item() == 1.0
    assert AdversarialLoss("hinge")(torch.full((4,), 3.0), True, for_discriminator=False).item() == -3.0
    with pytest.raises(ValueError):
        AdversarialLoss("wgan")


def test_discriminator_shapes():
    assert PatchDiscriminator(6, ndf=8)(torch.rand(2, 6, 64, 48)).shape == (2, 1, 6, 4)
    assert ResnetDiscriminator(21, ndf=8, n_blocks=2)(torch.rand(1, 21, 32, 24)).shape == (1, 1, 8, 6)
    a, p = PoNADiscriminators(ndf=8, n_blocks=1)(
        torch.rand(1, 3, 32, 24), torch.rand(1, 3, 32, 24), torch.rand(1, 18, 32, 24)
    )
    assert a.shape == p.shape == (1, 1, 8, 6)


def test_ssim_loss_is_one_minus_the_papers_ssim_on_real_photos(samples_dir):
    """The refiners' training loss is the metric they are judged by (PATN variant)."""
    import numpy as np
    from PIL import Image

    from posestudio.nets.losses import ssim_loss
    from posestudio.training.metrics.ssim import ssim

    a = np.array(Image.open(samples_dir / "2_A.jpg").convert("RGB"))
    b = np.array(Image.open(samples_dir / "2_B.jpg").convert("RGB"))

    def t(img):
        return torch.from_numpy(img.astype(np.float32) / 127.5 - 1.0).permute(2, 0, 1)[None].double()

    want = ssim(a, b, "patn")
    got = 1.0 - float(ssim_loss(t(a), t(b)))
    assert 0.3 < want < 0.95
    assert abs(got - want) < 1e-5, (got, want)
    assert float(ssim_loss(t(a), t(a))) == pytest.approx(0.0, abs=1e-9)
