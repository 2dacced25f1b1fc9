"""The store's listing is cached: a preview does not re-read every card, yet a card added,
removed or rewritten shows at once."""

from __future__ import annotations

import json
import os

from posestudio import paths
from posestudio.engine import store
from posestudio.engine.cards import ModelCard

SHIPPED = paths.repo_root() / "models"


def _count_loads(monkeypatch) -> list:
    calls = []
    real = ModelCard.load.__func__

    def counting(cls, path):
        calls.append(path)
        return real(cls, path)

    monkeypatch.setattr(ModelCard, "load", classmethod(counting))
    return calls


def _write_card(folder, name: str, task: str = "pose") -> None:
    src = json.loads(next(SHIPPED.glob("refine-pose-*.card.json")).read_text())
    src.update(name=name, task=task)
    (folder / f"{name}.card.json").write_text(json.dumps(src))


def test_listing_reads_the_cards_once_until_a_folder_changes(tmp_path, monkeypatch):
    monkeypatch.setenv("POSESTUDIO_MODELS_DIR", str(tmp_path))
    _write_card(tmp_path, "a")
    store.forget()
    calls = _count_loads(monkeypatch)
    assert [c.name for c in store.list_cards()] == ["a"]
    n = len(calls)
    assert n >= 1
    for _ in range(5):
        assert [c.name for c in store.list_cards("pose")] == ["a"]
    assert len(calls) == n  # no re-read

    _write_card(tmp_path, "b")  # a new file changes the folder's mtime
    assert sorted(c.name for c in store.list_cards()) == ["a", "b"]
    assert len(calls) > n

    (tmp_path / "b.card.json").unlink()
    assert [c.name for c in store.list_cards()] == ["a"]


def test_a_card_rewritten_in_place_is_seen_and_forget_rereads(tmp_path, monkeypatch):
    monkeypatch.setenv("POSESTUDIO_MODELS_DIR", str(tmp_path))
    _write_card(tmp_path, "a")
    store.forget()
    assert store.list_cards()[0].task == "pose"
    path = tmp_path / "a.card.json"
    data = json.loads(path.read_text())
    data["task"] = "garment"
    with open(path, "w") as f:  # in place: the folder's mtime stays
        f.write(json.dumps(data))
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert store.list_cards()[0].task == "garment"

    calls = _count_loads(monkeypatch)
    store.forget()
    store.list_cards()
    assert len(calls) >= 1


def test_callers_get_copies(tmp_path, monkeypatch):
    monkeypatch.setenv("POSESTUDIO_MODELS_DIR", str(tmp_path))
    _write_card(tmp_path, "a")
    store.forget()
    card = store.list_cards()[0]
    card.resolution = (8, 8)
    card.metrics["x"] = 1
    again = store.find("a")
    assert again.resolution != (8, 8) and "x" not in again.metrics


def test_an_unreadable_card_is_reported_on_every_listing(tmp_path, monkeypatch):
    monkeypatch.setenv("POSESTUDIO_MODELS_DIR", str(tmp_path))
    (tmp_path / "bad.card.json").write_text("{not json")
    store.forget()
    for _ in range(2):
        errors: list[str] = []
        assert store.list_cards(errors=errors) == []
        assert len(errors) == 1 and "bad.card.json" in errors[0]
