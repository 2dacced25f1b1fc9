"""Inception Score (Salimans et al. 2016): ``IS = exp(E_x KL(p(y|x) || p(y)))`` per split,
reported as mean and standard deviation over ``splits`` (10 by convention). Class
probabilities are the softmax of the FID Inception's 1008 logits (the TF graph's
classes, as the original IS code used)."""

from __future__ import annotations

import numpy as np

from posestudio.errors import InputError


def softmax(logits) -> np.ndarray:
    z = np.asarray(logits, np.float64)
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def inception_score_from_probs(probs, splits: int = 10) -> tuple[float, float]:
    p = np.asarray(probs, np.float64)
    if p.ndim != 2 or len(p) < splits:
        raise InputError(
            f"IS needs (N, classes) probabilities with N >= splits={splits}, got shape {p.shape}"
        )
    scores = []
    for part in np.array_split(p, splits):
        py = part.mean(0, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            kl = np.where(part > 0, part * (np.log(part) - np.log(py)), 0.0).sum(1)
        scores.append(float(np.exp(kl.mean())))
    return float(np.mean(scores)), float(np.std(scores))


class InceptionScore:
    """Set metric: ``InceptionScore(weights)(images) -> (mean, std)`` (higher is better)."""

    kind = "set"
    higher_is_better = True
    name = "is"

    def __init__(self, inception_weights=None, device: str = "cpu", batch: int = 32, splits: int = 10):
        self.weights, self.device, self.batch, self.splits = inception_weights, device, batch, splits
        self._net = None

    def __call__(self, images) -> tuple[float, float]:
        from posestudio.training.metrics.inception import features, load_inception

        if self._net is None:
            self._net = load_inception(self.weights, self.device)
        logits = features(self._net, images, self.batch, self.device)[1]
        return inception_score_from_probs(softmax(logits), self.splits)
