"""PoNA generator: sizes from the paper, configurable blocks/norm, loader errors,
D_A/D_P, one training step that reaches every parameter."""

from __future__ import annotations

import pytest
import torch

from posestudio.nets.discriminators import PoNADiscriminators
from posestudio.nets.losses import PONA_LOSS_WEIGHTS, PoNALoss
from posestudio.nets.official import load_pona_checkpoint, pona_key
from posestudio.nets.registry import arch_info, build
from tests.nets.training_helpers import assert_every_parameter_trained, wake_zero_parameters


def _meta(**cfg):
    with torch.device("meta"):
        return build("pona", preset=None, **cfg)


def test_full_preset_has_the_papers_34_33_million_parameters():
    with torch.device("meta"):
        model = build("pona", "full")
    assert model.config["ngf"] == 64 and model.config["n_blocks"] == 3 and model.config["norm"] == "instance"
    assert round(model.num_parameters() / 1e6, 2) == 34.33


def test_two_blocks_match_the_papers_23_31_million():
    # Table II: 23.31 M with 2 blocks (we count 23.299 M; the paper rounds up)
    assert abs(_meta(ngf=64, n_blocks=2).num_parameters() / 1e6 - 23.31) < 0.02


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_block_count_is_configurable(n):
    model = build("pona", "tiny", n_blocks=n).eval()
    assert len(model.blocks) == n
    with torch.no_grad():
        out = model(**model.example_inputs(2))
    assert list(out) == ["image", "attention"]
    assert out["image"].shape == (2, 3, 32, 24)
    assert out["attention"].shape == (2, n, 8, 6)
    assert out["image"].abs().max() <= 1


@pytest.mark.parametrize("n", [0, 6])
def test_block_count_out_of_range_is_refused(n):
    with pytest.raises(ValueError, match="n_blocks"):
        build("pona", "tiny", n_blocks=n)


def test_batch_norm_variant_has_running_stats_and_no_encoder_bias():
    model = build("pona", "tiny", norm="batch")
    keys = model.state_dict().keys()
    assert "image_encoder.0.norm.running_mean" in keys
    assert "blocks.0.pose_conv1.norm1.running_mean" in keys
    assert "image_encoder.0.conv.bias" not in keys  # authors: bias only with instance norm
    model.eval()
    with torch.no_grad():
        assert torch.isfinite(model(**model.example_inputs())["image"]).all()


def test_width_changes_parameters():
    assert _meta(ngf=32).num_parameters() < _meta(ngf=64).num_parameters()


def test_attention_summary_is_one_on_average():
    model = build("pona", "tiny").eval()
    with torch.no_grad():
        att = model(**model.example_inputs())["attention"]
    assert torch.allclose(att.mean(), torch.tensor(1.0), atol=1e-5)


def test_presets_and_interface():
    info = arch_info("pona")
    assert set(info.presets) >= {"full", "small", "tiny"}
    for p in info.presets.values():
        assert "height" in p and "width" in p
    model = build("pona", "tiny")
    assert {k: (s.channels, s.kind) for k, s in model.inputs.items()} == {
        "source_image": (3, "image"),
        "source_heatmaps": (18, "heatmaps"),
        "target_heatmaps": (18, "heatmaps"),
    }


# -- official loader ---------------------------------------------------------------
def test_loader_accepts_wrapped_and_dataparallel_dicts(parity_dir, tmp_path):
    sd = torch.load(parity_dir / "netG_pona_ngf16_random.pth", map_location="cpu", weights_only=True)
    wrapped = {"state_dict": {"module." + k: v for k, v in sd.items()}, "epoch": 3}
    path = tmp_path / "wrapped.pth"
    torch.save(wrapped, path)
    cfg, ours = load_pona_checkpoint(path)
    assert cfg["ngf"] == 16 and cfg["n_blocks"] == 3
    _, direct = load_pona_checkpoint(parity_dir / "netG_pona_ngf16_random.pth")
    assert ours.keys() == direct.keys()


def test_loader_maps_every_authors_key_to_a_distinct_key_of_ours(parity_dir):
    sd = torch.load(parity_dir / "netG_pona_ngf16_random.pth", map_location="cpu", weights_only=True)
    mapped = [pona_key(k[len("model.") :]) for k in sd]
    assert None not in mapped and len(set(mapped)) == len(sd) == 111


def test_loader_rejects_a_file_that_is_not_torch(tmp_path):
    bad = tmp_path / "notes.pth"
    bad.write_text("hello")
    with pytest.raises(ValueError, match="notes.pth"):
        load_pona_checkpoint(bad)


def test_loader_rejects_another_network(tmp_path):
    path = tmp_path / "other.pth"
    torch.save(torch.nn.Conv2d(3, 8, 3).state_dict(), path)
    with pytest.raises(ValueError, match="not a PoNA generator checkpoint"):
        load_pona_checkpoint(path)


def test_loader_rejects_a_truncated_pona(parity_dir, tmp_path):
    sd = torch.load(parity_dir / "netG_pona_ngf16_random.pth", map_location="cpu", weights_only=True)
    del sd["model.att.1.value_conv.weight"]
    path = tmp_path / "cut.pth"
    torch.save(sd, path)
    with pytest.raises(ValueError, match="missing"):
        load_pona_checkpoint(path)


def test_loader_rejects_wrong_shapes(parity_dir, tmp_path):
    sd = torch.load(parity_dir / "netG_pona_ngf16_random.pth", map_location="cpu", weights_only=True)
    sd["model.att.0.conv.conv.0.weight"] = torch.zeros(64, 64, 5, 5)
    path = tmp_path / "shape.pth"
    torch.save(sd, path)
    with pytest.raises(ValueError, match="shape"):
        load_pona_checkpoint(path)


# -- discriminators, losses and one training step ----------------------------------
def test_loss_weights_are_the_papers():
    assert PONA_LOSS_WEIGHTS["deepfashion"] == (5.0, 1.0, 1.0)
    assert PONA_LOSS_WEIGHTS["market"] == (5.0, 10.0, 10.0)
    assert PoNALoss("market").weights == (5.0, 10.0, 10.0)
    assert PoNALoss().perceptual.layers == ("conv1_2",)
    with pytest.raises(ValueError):
        PoNALoss("cityscapes")


def test_one_training_step_reaches_every_parameter():
    torch.manual_seed(0)
    g = build("pona", "tiny")
    wake_zero_parameters(g)  # gamma/beta start at 0 and would block the attention paths
    d = PoNADiscriminators(ndf=8, n_blocks=2)
    wake_zero_parameters(d)
    crit = PoNALoss("deepfashion")
    x = g.example_inputs(2)
    target = torch.rand(2, 3, 32, 24) * 2 - 1
    fake = g(**x)["image"]
    da, dp = d(x["source_image"], fake, x["target_heatmaps"])
    loss, parts = crit.generator_loss(fake, target, da, dp)
    assert set(parts) == {"cgan", "l1", "perceptual"}
    loss.backward()
    assert_every_parameter_trained(g)
    # discriminator side
    d.zero_grad()
    ra, rp = d(x["source_image"], target, x["target_heatmaps"])
    fa, fp = d(x["source_image"], fake.detach(), x["target_heatmaps"])
    crit.discriminator_loss(ra, fa, rp, fp).backward()
    assert_every_parameter_trained(d)


def _authors_names() -> dict[str, str]:
    """Our key -> the authors' key, by running pona_key over every key their layout can have."""
    suffixes = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")
    cands = [f"stream{s}_down.{i}.{x}" for s in (1, 2) for i in (1, 2, 4, 5, 7, 8) for x in suffixes]
    cands += [f"stream1_up.{i}.{x}" for i in (0, 1, 3, 4, 7) for x in suffixes]
    for b in range(5):
        cands += [f"att.{b}.gamma", f"att.{b}.att2.gamma", f"att.{b}.att2.beta"]
        for conv in ("query_conv", "key_conv", "value_conv"):
            cands += [f"att.{b}.{conv}.{x}" for x in suffixes] + [
                f"att.{b}.att2.{conv}.{x}" for x in suffixes
            ]
        for part in ("conv", "conv2", "dconv", "dconv2"):
            cands += [f"att.{b}.{part}.conv.{i}.{x}" for i in (0, 1, 4, 5) for x in suffixes]
    return {pona_key(c): c for c in cands if pona_key(c)}


def test_market_style_batch_norm_checkpoint_round_trips(tmp_path):
    torch.manual_seed(1)
    # the authors' Market-1501 generator: batch norm in the encoders/decoder, no conv biases there,
    # instance norm inside the blocks (their double_conv hard-codes it)
    ours = build(
        "pona", preset=None, height=64, width=32, ngf=8, n_blocks=2, norm="batch", block_norm="instance"
    )
    wake_zero_parameters(ours)
    for m in ours.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    names = _authors_names()
    theirs = {"model." + names[k]: v for k, v in ours.state_dict().items()}
    path = tmp_path / "latest_net_netG.pth"
    torch.save(theirs, path)
    cfg, sd = load_pona_checkpoint(path)
    assert (cfg["norm"], cfg["block_norm"], cfg["bias"], cfg["n_blocks"], cfg["ngf"]) == (
        "batch",
        "instance",
        False,
        2,
        8,
    )
    assert (cfg["height"], cfg["width"]) == (128, 64)
    loaded = build("pona", preset=None, **{**cfg, "height": 64, "width": 32})
    loaded.load_state_dict(sd, strict=True)
    x = ours.example_inputs(2)
    with torch.no_grad():
        assert torch.equal(loaded.eval()(**x)["image"], ours.eval()(**x)["image"])


def test_eq2_fusion_self_attention_with_zero_gates_is_identity():
    from posestudio.nets.blocks import SelfAttention

    sa = SelfAttention(16, beta=True)
    x = torch.randn(2, 16, 5, 4)
    assert torch.equal(sa(x), x)
    torch.nn.init.constant_(sa.beta, 0.5)
    assert torch.allclose(sa(x), 1.5 * x)


def test_eq4_7_block_attention_rows_sum_to_one_and_gamma_gates_it():
    from posestudio.nets.pona import PoNABlock

    block = PoNABlock(16).eval()
    x, p = torch.randn(2, 16, 6, 5), torch.randn(2, 16, 6, 5)
    with torch.no_grad():
        y0, p0, alpha = block(x, p)
        assert alpha.shape == (2, 30, 30)
        assert torch.allclose(alpha.sum(-1), torch.ones(2, 30), atol=1e-5)  # softmax over source positions
        conv_i = block.image_conv2(block.image_conv1(x))
        assert torch.equal(y0, conv_i)  # gamma = 0: C_t^I = conv_I(C_{t-1}^I)  (eq. 7)
        torch.nn.init.constant_(block.gamma, 2.0)
        y1, _, _ = block(x, p)
        v = block.value(conv_i).flatten(2)
        o = torch.bmm(v, alpha.transpose(1, 2)).reshape_as(conv_i)  # eq. 6
        assert torch.allclose(y1, 2.0 * o + conv_i, atol=1e-5)
        assert p0.shape == (2, 16, 6, 5)  # pose code back to d channels (eq. 3)
