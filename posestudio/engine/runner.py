"""Runs one request: picks the model and backend, prepares inputs, pastes back.

A refiner (a model with a ``prior`` input) runs as an explicit composition: the
weight-free engine answers the request first, the refiner corrects that answer, and
the correction is kept only near the pixels the engine changed (a grown mask of them),
so a refiner cannot repaint the rest of the photo. A pose request whose target pose
is the source pose returns the source image bit for bit, whatever model is chosen.

Loaded backends are cached per (model, backend, device). A model whose file
is corrupt fails with a one-line error naming the file, and only that model.
A CUDA out-of-memory error retries the request on the CPU with a warning.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import numpy as np

from posestudio.engine import store
from posestudio.engine.cards import ModelCard, default_verdict, personal_verdict, puppet_card
from posestudio.engine.results import Request, Result
from posestudio.errors import InputError

# tasks whose refiners may only touch what the engine changed (a face refiner redraws the
# face from its edge map where the engine changed nothing, so it is not confined)
CONFINED_TASKS = ("pose", "garment")


def _is_oom(exc: BaseException) -> bool:
    return type(exc).__name__ == "OutOfMemoryError" or "out of memory" in str(exc).lower()


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def attribute_regions(req: Request) -> tuple[int, ...]:
    """The 8-region ids (SCM-Net's style slices) of ``req.region``, a label name of
    the request's label set or of the 8-region set itself."""
    from posestudio.core import labels

    if not req.region:
        raise InputError("attribute editing needs a region (e.g. 'upper clothes', 'pants', 'hair')")
    if req.reference_image is None or req.reference_parsing is None:
        raise InputError("attribute editing needs a reference image and its parsing map")
    scm8 = labels.get("scm8")
    if req.region in scm8.names:
        return (scm8.index(req.region),)
    src = labels.get(req.label_set)
    if req.region not in src.names:
        raise InputError(f"unknown region {req.region!r}; {src.title} has: {', '.join(src.names[1:])}")
    return (int(labels.convert(np.array([[src.index(req.region)]]), src.name, "scm8")[0, 0]),)


class Runner:
    def __init__(self, device: str = "auto", backend: str = "auto", providers: Sequence[str] | None = None):
        self.device_pref = device
        self.backend_pref = backend
        self.providers = providers
        self._cache: dict[tuple[str, str, str], object] = {}
        self._lock = threading.Lock()

    # -- choosing ------------------------------------------------------------------
    def device(self) -> str:
        if self.device_pref != "auto":
            return self.device_pref
        try:
            import torch

            return "cuda" if torch.cuda.is_available() else "cpu"
        except ImportError:
            return "cpu"

    def available_models(self, task: str) -> list[ModelCard]:
        return [*store.list_cards(task), puppet_card(task)]

    def card_for(self, req: Request) -> ModelCard:
        if req.model in ("puppet", "") or self.backend_pref == "puppet":
            return puppet_card(req.task)
        if req.model in ("auto", None):
            return self.auto_card(req.task, req.personal_model)
        card = store.find(req.model)
        if not card.serves(req.task):
            raise InputError(f"model {card.name!r} is for task {card.task!r}, not {req.task!r}", card.path)
        return card

    @staticmethod
    def auto_card(task: str, personal: str | None = None) -> ModelCard:
        """What ``auto`` means: the installed model for ``task`` whose card records that it
        beats the weight-free engine on real photos and passes identity and locality
        (:func:`cards.default_verdict`), the best real-pair SSIM first; else the engine.
        ``personal``: the document's personal model, first when its card says it wins."""
        earned = Runner.auto_candidates(task, personal)
        return earned[0] if earned else puppet_card(task)

    @staticmethod
    def auto_candidates(task: str, personal: str | None = None) -> list[ModelCard]:
        """The models ``auto`` may pick for ``task`` (:func:`cards.default_verdict`), best real-pair SSIM first;
        before them the personal model ``personal`` (named by the request, i.e. by the character's document)
        when it serves ``task`` and its card says it beats the engine on its held-out frames
        (:func:`cards.personal_verdict`). A personal model is never picked for anyone else's document."""
        earned = [c for c in store.list_cards(task) if c.task == task and default_verdict(c)[0]]
        earned.sort(key=lambda c: -float(c.metrics["realpairs"]["model"]["ssim"]))
        if personal:
            try:
                own = store.find(personal)
            except InputError:
                own = None  # removed since the document named it: the usual choice
            if own is not None and own.task == task and personal_verdict(own)[0]:
                earned = [own, *[c for c in earned if c.name != own.name]]
        return earned

    def backend_for(self, card: ModelCard, backend: str, device: str):
        key = (card.name, backend, device)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        if backend == "torch":
            from posestudio.engine.backends.torch_backend import TorchBackend

            be = TorchBackend(card, device)
        elif backend == "onnx":
            from posestudio.engine.backends.onnx_backend import OnnxBackend

            be = OnnxBackend.for_card(card, device=device, providers=self.providers)
        else:
            raise ValueError(f"unknown backend {backend!r}")
        with self._lock:
            self._cache[key] = be
        return be

    def attribute_backend(self, card: ModelCard, regions: tuple[int, ...], device: str):
        """SCM-Net attribute editing: the source's style codes with ``regions`` (8-region
        ids) swapped in from the reference, generated in the target pose."""
        if card.arch != "scmnet":
            raise InputError(f"model {card.name!r} ({card.arch}) cannot swap attributes; use an scmnet model",
                             card.path)
        key = (card.name, "attribute:" + ",".join(map(str, regions)), device)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        from posestudio.engine.backends.torch_backend import TorchBackend
        from posestudio.nets.scmnet import AttributeEditor

        be = TorchBackend(card, device, net=AttributeEditor(store.build_model(card), regions))
        with self._lock:
            self._cache[key] = be
        return be

    def forget(self, name: str | None = None) -> None:
        """Drop loaded backends (of model ``name``, or all): after a model is replaced or removed."""
        with self._lock:
            for k in [k for k in self._cache if name is None or k[0] == name]:
                del self._cache[k]

    # -- running ---------------------------------------------------------------------
    def run(self, req: Request, card: ModelCard | None = None) -> Result:
        """Answer ``req`` with ``card`` (default: the model the request names, :meth:`card_for`)."""
        req.validate()
        chosen = card is not None
        card = card if chosen else self.card_for(req)
        unchanged = req.task == "pose" and req.source_pose == req.target_pose
        if card.is_puppet:
            res = self.engine_answer(req)
            if unchanged:  # the engine's layers stay; its picture is the photo itself
                res.image = np.array(req.source_image, np.uint8, copy=True)
            return res
        backend = self.backend_pref
        if backend == "auto":
            backend = "torch" if torch_available() else "onnx"
        device = self.device()
        skipped: list[str] = []
        if req.model in ("auto", None) and not chosen:
            card = self._first_loadable(req, backend, device, skipped)
            if card.is_puppet:  # every model auto could pick is broken: the engine, with the reasons
                res = self.engine_answer(req)
                if unchanged:
                    res.image = np.array(req.source_image, np.uint8, copy=True)
                res.warnings[:0] = skipped
                return res
        if unchanged:  # nothing to move: the photo itself, never a model's re-rendering of it
            be = self.backend_for(card, backend, device)  # loaded all the same: a broken model says so now
            image = np.array(req.source_image, np.uint8, copy=True)
            return Result(image, {}, 0.0, card.name, backend, getattr(be, "device", device), skipped)
        try:
            res = self._run_model(req, card, backend, device)
            res.warnings[:0] = skipped
            return res
        except Exception as exc:
            if device != "cuda" or not _is_oom(exc):
                raise
            self._free_cuda()
            res = self._run_model(req, card, backend, "cpu")
            res.warnings.insert(0, f"the GPU ran out of memory; {card.name} ran on the CPU instead")
            return res

    def _first_loadable(self, req: Request, backend: str, device: str, skipped: list[str]) -> ModelCard:
        """``auto``: the first installed card for the task whose model loads; a broken one (unknown
        arch, bad config, missing or corrupt weights) is skipped with a line in ``skipped``."""
        for card in self.auto_candidates(req.task, req.personal_model):
            if req.task == "attribute" and card.arch != "scmnet":
                return card  # attribute_backend explains what is needed
            try:
                self.backend_for(card, backend, device)
            except InputError as exc:
                if str(exc).startswith("--device"):
                    raise
                skipped.append(f"skipped model {card.name}: {exc}")
            except (KeyError, TypeError, ValueError, ImportError, RuntimeError) as exc:
                skipped.append(f"skipped model {card.name}: {card.path}: {' '.join(str(exc).split())[:120]}")
            else:
                return card
        return puppet_card(req.task)

    @staticmethod
    def _free_cuda() -> None:
        try:
            import torch

            torch.cuda.empty_cache()
        except Exception:  # noqa: BLE001 - best effort
            pass

    @staticmethod
    def engine_answer(req: Request) -> Result:
        """The weight-free engine's answer: the whole result for the puppet, step one for a refiner."""
        from posestudio.engine.backends.puppet import run_puppet

        return run_puppet(req)

    @staticmethod
    def _refines(specs: dict) -> bool:
        return any((s["kind"] if isinstance(s, dict) else s.kind) == "prior" for s in specs.values())

    def _run_model(self, req: Request, card: ModelCard, backend: str, device: str) -> Result:
        from posestudio.engine import prepare

        t0 = time.perf_counter()
        warnings: list[str] = []
        if req.task == "attribute":
            if backend != "torch":
                warnings.append("attribute editing runs on the torch backend (the swap happens between two encodings)")
            be = self.attribute_backend(card, attribute_regions(req), device)
            specs = be.net.INPUTS
        else:
            be = self.backend_for(card, backend, device)
            specs = card.inputs
        frame = prepare.frame_for(card.resolution, req.size, [req.source_pose, req.target_pose])
        extras: dict = {}
        engine = None
        if self._refines(specs):  # 1. the weight-free engine answers
            engine = extras["prior"] = self.engine_answer(req)
        inputs = prepare.prepare_inputs(specs, req, frame, extras)
        outs = be.run(inputs)  # 2. the model (a refiner: its correction of that answer)
        warnings += list(getattr(be, "warnings", []))
        layers: dict[str, np.ndarray] = {}
        raw = None
        if "image" in outs:
            raw = np.asarray(outs["image"], np.float32)
            if "prior" in extras and "prior_image" in inputs and not frame.identity:
                # refiners: their correction on the full-size puppet answer keeps the canvas resolution
                image = prepare.paste_correction(raw, inputs["prior_image"], frame, extras["prior"].image)
            else:
                image = prepare.paste_back(prepare.tensor_image(raw), frame, np.asarray(req.source_image))
            if engine is not None and req.task in CONFINED_TASKS:  # 3. only where the engine changed the photo
                image = prepare.confine_to_changes(image, engine.image, np.asarray(req.source_image))
        else:
            image = np.asarray(req.source_image).copy()
        for k, v in outs.items():
            if k == "image" or np.ndim(v) != 4:
                continue
            arr = np.asarray(v)[0]
            if k == "parsing" or (arr.shape[0] > 2 and k.endswith("parsing")):
                lab = arr.argmax(0).astype(np.uint8)
                layers[k] = prepare.paste_layer(lab, frame, nearest=True)
                if req.task == "parsing":
                    from posestudio.core import labels

                    image = labels.colorize(layers[k], card.label_set or req.label_set)
            elif arr.shape[0] in (1, 2):
                lay = np.ascontiguousarray(
                    arr.transpose(1, 2, 0).squeeze(-1) if arr.shape[0] == 1 else arr.transpose(1, 2, 0)
                )
                layers[k] = prepare.paste_layer(lay.astype(np.float32), frame)
        return Result(image, layers, time.perf_counter() - t0, card.name, backend, device, warnings, raw)
