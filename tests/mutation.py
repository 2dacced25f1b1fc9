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

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "runs" / "mutation"

# name -> (modules to mutate, the tests that pin them)
MODULES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "structflow": (("posestudio/nets/structflow.py",),
                   ("tests/nets/test_structflow.py", "tests/nets/test_structflow_wiring.py")),
    "attnflow": (("posestudio/nets/attnflow.py",),
                 ("tests/nets/test_attnflow.py", "tests/nets/test_attnflow_wiring.py")),
    "spt": (("posestudio/nets/spt.py", "posestudio/nets/spt_parts.py"),
            ("tests/nets/test_spt_wiring.py", "tests/nets/test_spt_equations.py")),
    "scmnet": (("posestudio/nets/scmnet.py", "posestudio/nets/scmnet_losses.py"),
               ("tests/nets/test_scmnet_wiring.py", "tests/nets/test_scmnet_equations.py")),
    "recipes": (("posestudio/training/recipes/*",), ("tests/training/test_recipe_losses.py",)),
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
    )


def run_module(name: str) -> dict:
    mutate, tests = MODULES[name]
    work = OUT / name
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "posestudio", work / "posestudio", ignore=ignore)
    shutil.copytree(REPO / "tests", work / "tests", ignore=ignore)
    (work / "pyproject.toml").write_text(config(mutate, tests))
    env = {**os.environ, "POSESTUDIO_SHARED": str(REPO.parent / "shared"), "QT_QPA_PLATFORM": "offscreen",
           "PYTHONPATH": str(work / "mutants")}  # fmt: skip
    mutmut = [str(Path(sys.executable).with_name("mutmut"))]
    log = (work / "run.log").open("w")
    subprocess.run([*mutmut, "run", "--max-children", "1"], cwd=work, env=env, stdout=log, stderr=log)
    res = subprocess.run([*mutmut, "results", "--all", "true"], cwd=work, env=env, capture_output=True, text=True)
    counts: dict[str, int] = {}
    survivors = []
    for line in res.stdout.splitlines():
        m = STATUS.match(line)
        if m:
            counts[m.group(2)] = counts.get(m.group(2), 0) + 1
            if m.group(2) == "survived":
                survivors.append(m.group(1))
    (work / "survivors.txt").write_text("\n".join(survivors) + "\n")
    return {"modules": list(mutate), "tests": list(tests), "counts": counts}


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
