"""Recovery never offers work older than the saved file, never stalls on a bad entry (issue 13)."""

import json
import os
import subprocess
import sys
import time

import pytest

from posestudio.core import project
from posestudio.core.document import Document
from posestudio.core.project import Autosave, read_image, recoverable, save_project


def _dead_pid() -> int:
    out = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(out.stdout)


@pytest.fixture(scope="module")
def doc(samples_dir):
    return Document.from_image(read_image(samples_dir / "2_A.jpg"), "2_A")


def _crashed(directory, doc, saved_at=None, **info_changes) -> Autosave:
    """An autosave as a killed session leaves it."""
    a = Autosave(directory)
    a.save(doc, taken_at=saved_at)
    info = json.loads(a.info_path.read_text())
    info.update(pid=_dead_pid(), started=None, **info_changes)
    a.info_path.write_text(json.dumps(info))
    return a


def test_an_autosave_older_than_the_saved_file_is_not_offered(tmp_path, doc):
    doc = doc.snapshot()
    doc.path = tmp_path / "mine.psproj"
    save_project(doc, doc.path)  # edit A saved once
    a = _crashed(tmp_path / "auto", doc, saved_at=time.time() - 60)  # autosave of A, a minute ago
    save_project(doc, doc.path)  # edit B saved now, then the app crashed
    problems: list[str] = []
    assert recoverable(tmp_path / "auto", problems) == []
    assert len(problems) == 1 and "older than" in problems[0] and str(doc.path) in problems[0]
    assert not a.path.exists() and not a.info_path.exists()


def test_a_month_old_autosave_is_pruned_and_a_recent_one_says_its_age(tmp_path, doc):
    old = _crashed(tmp_path / "auto", doc, saved_at=time.time() - 30 * 86400)
    new = _crashed(tmp_path / "auto", doc, saved_at=time.time() - 3 * 3600)
    problems: list[str] = []
    found = recoverable(tmp_path / "auto", problems)
    assert [e.path for e in found] == [new.path]
    assert "3 hours ago" in found[0].describe()
    assert len(problems) == 1 and "30 days old" in problems[0] and not old.path.exists()


@pytest.mark.parametrize("bad", [{"saved_at": "yesterday"}, {"pid": "x"}, None])
def test_a_damaged_sidecar_or_autosave_never_blocks_the_others(tmp_path, doc, bad):
    good = _crashed(tmp_path / "auto", doc)
    broken = _crashed(tmp_path / "auto", doc)
    if bad is None:  # the autosave itself is damaged
        broken.path.write_bytes(b"PK\x03\x04 not really a zip")
    else:
        info = json.loads(broken.info_path.read_text())
        info.update(bad)
        broken.info_path.write_text(json.dumps(info))
    problems: list[str] = []
    found = recoverable(tmp_path / "auto", problems)
    assert [e.path for e in found] == [good.path]
    assert len(problems) == 1 and broken.path.name.rsplit(".", 1)[0] in problems[0]
    assert found[0].load().size == doc.size


def test_temporaries_of_killed_autosaves_are_removed(tmp_path, doc):
    d = tmp_path / "auto"
    d.mkdir()
    dead = d / f".autosave-1-2-abc.psproj.{_dead_pid()}.tmp"
    live = d / f".autosave-3-4-def.psproj.{os.getpid()}.tmp"
    dead.write_bytes(b"half a zip")
    live.write_bytes(b"being written")
    recoverable(d)
    assert not dead.exists() and live.exists()


def test_describe_and_load_of_a_recovered_entry(tmp_path, doc):
    a = _crashed(tmp_path / "auto", doc)
    (entry,) = project.recoverable(tmp_path / "auto")
    assert entry.path == a.path and "less than a minute ago" in entry.describe()
