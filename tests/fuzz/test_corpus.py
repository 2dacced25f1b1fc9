"""The hand-made corpus through the real command line: no traceback, no hang, the memory
budget, a one-line error naming the file, and no file changed but the command's own outputs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fuzz import corpus

REPO = Path(__file__).resolve().parents[2]
MEMORY_BUDGET_KB = 2 << 20  # 2 GiB peak resident memory
TIME_BUDGET_S = float(os.environ.get("POSESTUDIO_FUZZ_CASE_SECONDS", "90"))
SOAK = os.environ.get("POSESTUDIO_FUZZ_SOAK") == "1"
# the CLI in a child that reports its own peak resident memory (KiB) when it ends, however it ends
RUNNER = """
import resource, sys
from posestudio.cli import main
try:
    code = main(sys.argv[2:])
finally:
    open(sys.argv[1], "w").write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
sys.exit(code)
"""
CASES = [c for c in corpus.cases() if SOAK or not c.soak]


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("corpus")


@pytest.fixture(scope="module")
def files(corpus_dir):
    return corpus.write(corpus_dir)


@pytest.fixture(scope="module")
def samples(tmp_path_factory, samples_dir):
    d = tmp_path_factory.mktemp("samples")
    for f in ("2_A.jpg", "keypoints.csv"):
        shutil.copy(samples_dir / f, d / f)
    return d


def _state(*folders: Path) -> dict:
    out = {}
    for folder in folders:
        for p in folder.rglob("*"):
            st = p.lstat()
            out[str(p)] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return out


def _ok_project(o: Path, samples: Path) -> None:
    from posestudio.core.document import Document
    from posestudio.core.project import read_image, save_project

    doc = Document.from_image(read_image(samples / "2_A.jpg")[:64, :48], "ok")
    doc.keyframes[0] = [p.copy() for p in doc.pose_layer().poses]
    save_project(doc, o / "ok.psproj")


def run_case(case: corpus.Case, d: Path, s: Path, o: Path) -> tuple[int, str, int, float]:
    """Run the case's command line in a child; (exit code, stderr + stdout, peak KB, seconds)."""
    argv = [a.format(d=d, s=s, o=o) for a in case.argv]
    env = dict(os.environ, PYTHONPATH=str(REPO), QT_QPA_PLATFORM="offscreen", POSESTUDIO_HOME=str(o / "home"))
    card = next((n for n in ("card_deep", "card_escape", "card_name", "card_arch", "card_config")
                 if case.name.endswith(n)), None)
    if card:
        models = o / "mods" / "m"
        models.mkdir(parents=True)
        shutil.copy(d / f"{card}.card.json", models / f"{card}.card.json")
        env["POSESTUDIO_MODELS_DIR"] = str(models)
    t0 = time.monotonic()
    peak_file = o / "peak.txt"
    child = subprocess.Popen([sys.executable, "-c", RUNNER, str(peak_file), *argv], env=env, cwd=o, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        out, _ = child.communicate(timeout=TIME_BUDGET_S)
    except subprocess.TimeoutExpired:
        child.kill()
        out, _ = child.communicate()
        pytest.fail(f"{case.name}: still running after {TIME_BUDGET_S:.0f} s (a hang): {out[-500:]}")
    seconds = time.monotonic() - t0
    peak = int(peak_file.read_text()) if peak_file.is_file() else 0
    return child.returncode, out, peak, seconds


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_corpus_case(case, files, corpus_dir, samples, tmp_path):
    o = tmp_path
    if "ok.psproj" in " ".join(case.argv):
        _ok_project(o, samples)
    if "big.png" in " ".join(case.argv):
        from PIL import Image

        Image.new("L", (12000, 12000), 90).save(o / "big.png")
    victim = o / "victim.safetensors"
    victim.write_bytes(b"precious")
    before = _state(corpus_dir, samples)
    code, out, peak_kb, seconds = run_case(case, corpus_dir, samples, o)
    assert "Traceback" not in out, out[-3000:]
    assert code == case.expect, f"{case.name}: exit {code}, expected {case.expect}: {out[-1500:]}"
    if case.expect == 2:
        errors = [line for line in out.splitlines() if line.startswith("posestudio: error:")]
        assert len(errors) == 1, out[-1500:]
        assert case.names in errors[0], errors[0]
    assert peak_kb < MEMORY_BUDGET_KB, f"{case.name}: peak {peak_kb >> 10} MiB"
    assert _state(corpus_dir, samples) == before, f"{case.name} changed an input"
    assert victim.read_bytes() == b"precious"
    _record(case, code, peak_kb, seconds)


def _record(case, code, peak_kb, seconds) -> None:
    """Append the case's numbers for docs/RELIABILITY.md when POSESTUDIO_FUZZ_LOG names a file."""
    log = os.environ.get("POSESTUDIO_FUZZ_LOG")
    if log:
        with open(log, "a") as f:
            f.write(json.dumps({"case": case.name, "exit": code, "peak_mib": peak_kb >> 10,
                                "seconds": round(seconds, 2)}) + "\n")
