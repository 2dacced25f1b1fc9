"""The prior refiners (nets/refine.py): an untrained refiner is exactly the engine's
puppet answer, the engine prepares ``prior_image`` as the puppet's answer to the whole
request, and a few optimiser steps on a real DeepFashion pair move the output towards
the real target."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from posestudio.engine import prepare
from posestudio.engine.backends.puppet import run_puppet
from posestudio.engine.results import Request
from posestudio.nets.registry import build


def _request(pair, task="pose"):
    src, sp, tgt, tp, par = pair("2_A", "2_B")
    req = Request(task=task, source_image=src, source_pose=sp, target_pose=tp, source_parsing=par,
                  label_set="lip20")  # fmt: skip
    return req, tgt


def _inputs(net, req):
    frame = prepare.frame_for((net.height, net.width), req.size, [req.source_pose, req.target_pose])
    return {k: torch.from_numpy(v) for k, v in prepare.prepare_inputs(net.inputs, req, frame).items()}, frame


def test_prior_input_is_the_puppet_answer_in_the_model_frame(pair):
    net = build("refine-pose", "tiny")
    req, _ = _request(pair)
    inputs, frame = _inputs(net, req)
    expect = prepare.image_tensor(prepare._warp(run_puppet(req).image, frame))
    assert inputs["prior_image"].shape == (1, 3, 128, 88)
    np.testing.assert_array_equal(inputs["prior_image"].numpy(), expect)
    # and it is not simply the source image: the puppet moved the person
    assert np.abs(inputs["prior_image"].numpy() - inputs["source_image"].numpy()).mean() > 0.05


@pytest.mark.parametrize("arch", ["refine-pose", "refine-garment", "refine-face"])
def test_untrained_refiner_returns_its_prior(arch):
    net = build(arch, "tiny").eval()
    x = net.example_inputs(batch=2, seed=3)
    out = net(**x)
    torch.testing.assert_close(out["image"], x["prior_image"].clamp(-1, 1), rtol=0, atol=0)
    assert float(out["repaint"].detach().abs().max()) == 0.0


def test_training_steps_move_the_output_towards_the_real_target(pair):
    torch.manual_seed(0)
    net = build("refine-pose", "tiny")
    req, tgt = _request(pair)
    inputs, frame = _inputs(net, req)
    target = torch.from_numpy(prepare.image_tensor(prepare._warp(tgt, frame)))
    before = F.l1_loss(net(**inputs)["image"], target).item()
    opt = torch.optim.Adam(net.parameters(), 2e-3)
    for _ in range(30):
        loss = F.l1_loss(net(**inputs)["image"], target)
        opt.zero_grad()
        loss.backward()
        opt.step()
    after = F.l1_loss(net(**inputs)["image"], target).item()
    assert after < 0.9 * before, (before, after)
    assert float(net(**inputs)["repaint"].mean()) > 0


def _install(net, tmp_path, name):
    from safetensors.torch import save_file

    from posestudio.engine import store

    path = tmp_path / f"{name}.safetensors"
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(path))
    return store.import_safetensors(path, net.arch, name, "tiny", None, True)


def test_engine_keeps_the_canvas_resolution_of_the_prior(pair, tmp_path):
    """On a 256x176 photo a 128x88 refiner's correction is added to the full-size puppet
    answer: an untrained refiner gives the puppet's image pixel for pixel, a changed one
    differs only where its correction is."""
    from posestudio.commands.models_archs import wake_zero_parameters
    from posestudio.engine import Engine

    req, _ = _request(pair)
    req.label_set = "lip20"
    puppet = run_puppet(req).image
    torch.manual_seed(0)
    net = build("refine-pose", "tiny").eval()
    card = _install(net, tmp_path, "refine-identity")
    engine = Engine(device="cpu")
    engine.force_sync(True)
    try:
        req.model = card.name
        res = engine.run(req)
        assert res.model == card.name and res.image.shape == puppet.shape
        np.testing.assert_array_equal(res.image, puppet)
        wake_zero_parameters(net)
        card = _install(net, tmp_path, "refine-awake")
        req.model = card.name
        res = engine.run(req)
    finally:
        engine.shutdown()
    diff = np.abs(res.image.astype(int) - puppet.astype(int)).max(2)
    assert diff.max() > 0
    # the model's own 128x88 output, scaled up, agrees with the pasted canvas to rounding + resampling
    raw = prepare.tensor_image(res.raw)
    frame = prepare.frame_for((128, 88), req.size, [req.source_pose, req.target_pose])
    small = prepare._warp(res.image, frame)
    assert np.abs(small.astype(int) - raw.astype(int)).mean() < 6
