"""Two CPU processes under torchrun (gloo): each reads its own shard, gradients are
averaged, and both ranks hold the same parameters afterwards."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_torchrun_two_ranks_agree(tmp_path):
    run = tmp_path / "ddp"
    cmd = [
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(free_port()),
        "-m", "posestudio", "train", "pona", "--data", "synth", "--preset", "tiny", "--size", "32x24",
        "--batch", "2", "--steps", "2", "--sample-every", "0", "--no-progress", "--out", str(run),
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    p = subprocess.run(
        cmd, capture_output=True, text=True, timeout=300, env=env, cwd=Path(__file__).parents[2]
    )
    assert p.returncode == 0, p.stderr[-3000:]
    assert "batch 2 x 2 process(es)" in p.stderr
    c0 = (run / "checksum_rank0.txt").read_text().strip()
    c1 = (run / "checksum_rank1.txt").read_text().strip()
    assert len(c0) == 64 and c0 == c1
    rows = [json.loads(x) for x in (run / "stats.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2]
    assert (run / "weights.safetensors").is_file() and (run / "state.pt").is_file()
