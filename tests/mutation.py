"""Mutation testing per paper module (``make mutation``), with mutmut 3.

Each paper module is mutated on its own, in ``runs/mutation/<name>/`` (a copy of
``posestudio/`` and ``tests/`` with a ``pyproject.toml`` whose ``[tool.mutmut]`` names that
module and only its own fast tests), so that a module's mutants never wait on another
paper's tests. mutmut also runs, for each mutant, only the tests that execute the mutated
function. The per-module counts are written to ``runs/mutation/summary.json``; the
narrative (which survivors are equivalent) is in docs/MUTATION.md.

    python tests/mutation.py [name ...]     # default: every module in MODULES
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "runs" / "mutation"

# name -> (modules to mutate, the tests that pin them, the functions whose mutants run: the
# forward wiring and the losses; mutmut's own names, x_<function> or xǁ<Class>ǁ<method>).
# Constructors are left out: a mutated layer width fails at once or changes no equation.
MODULES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "structflow": (("posestudio/nets/structflow.py",), ("tests/nets/test_structflow_wiring.py",),
                   ("x_select_by_visibility", "xǁStructFlowGeneratorǁforward", "xǁPartFlowGeneratorǁforward",
                    "xǁStructFlowLossǁforward", "xǁStructFlowLossǁsampling")),
    "attnflow": (("posestudio/nets/attnflow.py",), ("tests/nets/test_attnflow_wiring.py",),
                 ("x_correlation", "x_attention_warp", "x_combine", "xǁCombinationMapǁforward",
                  "xǁAttnFlowGeneratorǁdeform", "xǁAttnFlowGeneratorǁforward", "x_face_loss")),
    "spt": (("posestudio/nets/spt.py",), ("tests/nets/test_spt_wiring.py",),
            ("xǁSPTAppearanceǁforward", "xǁSPTAppearanceǁpart_transforms", "xǁSPTParsingǁlogits",
             "xǁSPTParsingǁforward")),
    "scmnet": (("posestudio/nets/scmnet.py", "posestudio/nets/scmnet_losses.py"),
               ("tests/nets/test_scmnet_wiring.py",),
               ("x_centred_cosine", "x_correlation_field", "x_rearrange", "xǁSCMNetBaseǁgenerate_from_style",
                "xǁSCMNetBaseǁstyle_codes", "x_body_graph", "x_graph_loss")),
    # the recipes package, one entry per paper, each against the tests of its own recipe
    "recipe-base": (("posestudio/training/recipes/base.py",), ("tests/training/test_recipe_losses.py",),
                    ("xǁRecipeǁphases", "xǁRecipeǁphase_at", "x_frozen", "x_g_update", "x_gan_step")),
    "recipe-pona": (("posestudio/training/recipes/pona.py",), ("tests/training/test_recipe_losses.py",),
                    ("xǁPoNARecipeǁstep",)),
    "recipe-structflow": (("posestudio/training/recipes/structflow.py", "posestudio/training/recipes/flow.py"),
                          ("tests/training/test_recipe_losses.py",),
                          ("xǁStructFlowRecipeǁstep", "xǁStructFlowRecipeǁflow_terms", "x_warp_l1")),
    "recipe-attnflow": (("posestudio/training/recipes/attnflow.py",), ("tests/training/test_recipe_losses.py",),
                        ("xǁAttnFlowRecipeǁstep", "xǁAttnFlowRecipeǁdeform_terms")),
    "recipe-spt": (("posestudio/training/recipes/spt.py", "posestudio/training/recipes/spt_trainer.py"),
                   ("tests/training/test_recipe_spt.py",),
                   ("xǁSPTRecipeǁstep", "xǁSPTRecipeǁsize_at", "xǁSPTRecipeǁresize", "x_hs_step", "x_ha_step")),
    "recipe-scmnet": (("posestudio/training/recipes/scmnet.py",), ("tests/training/test_recipe_losses.py",),
                      ("xǁSCMNetRecipeǁstep", "xǁSCMNetRecipeǁunpack", "xǁSCMNetFaceRecipeǁunpack")),
}  # fmt: skip

STATUS = re.compile(r"^\s*(\S+): (killed|survived|no tests|timeout|suspicious|skipped|segfault|not checked|"
                    r"caught by type check|check was interrupted by user)\s*$")  # fmt: skip


def config(mutate: tuple[str, ...], tests: tuple[str, ...]) -> str:
    lst = lambda xs: "[" + ", ".join(json.dumps(x) for x in xs) + "]"  # noqa: E731
    return (
        "[tool.mutmut]\n"
        'source_paths = ["posestudio"]\n'
        f"only_mutate = {lst(mutate)}\n"
        f"pytest_add_cli_args_test_selection = {lst(tests)}\n"
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q", "-x"]\n'
        "use_git_change_detection = false\n"
        # a test's module fixture (one forward pass) is timed with its first test only: give
        # every mutant a flat minute so that slow runs on a shared machine are not "timeouts"
        "timeout_constant = 60.0\n"
    )


def run_module(name: str) -> dict:
    mutate, tests, functions = MODULES[name]
    dotted = [m.removesuffix(".py").replace("/", ".") for m in mutate]
    patterns = [f"{d}.{f}__mutmut_*" for d in dotted for f in functions]
    work = OUT / name
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "posestudio", work / "posestudio", ignore=ignore)
    shutil.copytree(REPO / "tests", work / "tests", ignore=ignore)
    (work / "pyproject.toml").write_text(config(mutate, tests))
    env = {**os.environ, "POSESTUDIO_SHARED": str(REPO.parent / "shared"), "QT_QPA_PLATFORM": "offscreen",
           "PYTHONPATH": str(work / "mutants"),
           # mutmut forks one worker per mutant from a process where torch has started its
           # intra-op thread pool; a forked child then waits forever on that pool: one thread
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}  # fmt: skip
    mutmut = [str(Path(sys.executable).with_name("mutmut"))]
    for attempt in range(2):
        # mutmut 3.8's first run in a fresh folder can stop at its stats pass with pytest's
        # usage error (exit 4) before the copy settles; the second run reuses the mutants
        log_path = work / f"run{attempt}.log"
        with log_path.open("w") as log:
            cmd = [*mutmut, "run", "--max-children", "1", *patterns]
            subprocess.run(cmd, cwd=work, env=env, stdout=log, stderr=log)
        if "BadTestExecutionCommandsException" not in log_path.read_text(errors="replace"):
            break
    res = subprocess.run([*mutmut, "results", "--all", "true"], cwd=work, env=env, capture_output=True, text=True)
    counts: dict[str, int] = {}
    survivors = []
    for line in res.stdout.splitlines():
        m = STATUS.match(line)
        if m and any(fnmatch.fnmatch(m.group(1), p) for p in patterns):
            counts[m.group(2)] = counts.get(m.group(2), 0) + 1
            if m.group(2) == "survived":
                survivors.append(m.group(1))
    (work / "survivors.txt").write_text("\n".join(survivors) + "\n")
    return {"modules": list(mutate), "tests": list(tests), "functions": list(functions), "counts": counts}


def main(names: list[str]) -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    summary_path = OUT / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    for name in names or list(MODULES):
        if name not in MODULES:
            print(f"unknown module {name!r}; known: {', '.join(MODULES)}", file=sys.stderr)
            return 2
        summary[name] = run_module(name)
        summary_path.write_text(json.dumps(summary, indent=2) + "\n")
        c = summary[name]["counts"]
        print(f"{name}: {json.dumps(c)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
