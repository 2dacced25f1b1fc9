"""Fréchet Inception Distance (Heusel et al. 2017): pool3 features of both image sets
as Gaussians, ``FID = |mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2))``.

The trace of the matrix square root uses ``scipy.linalg.sqrtm`` when scipy is
installed (as pytorch-fid does), else the identity Tr((S1 S2)^(1/2)) =
Tr((S1^(1/2) S2 S1^(1/2))^(1/2)) with two symmetric eigen-decompositions in numpy.
"""

from __future__ import annotations

import numpy as np

from posestudio.errors import InputError


def statistics(feats) -> tuple[np.ndarray, np.ndarray]:
    """(mean, covariance with N-1 normalisation) of (N, D) features."""
    f = np.asarray(feats, np.float64)
    if f.ndim != 2 or f.shape[0] < 2:
        raise InputError(f"FID needs at least two feature vectors (N, D), got shape {f.shape}")
    return f.mean(0), np.atleast_2d(np.cov(f, rowvar=False))


def _trace_sqrt_product(s1: np.ndarray, s2: np.ndarray, use_scipy: bool | None) -> float:
    if use_scipy is not False:
        try:
            from scipy import linalg
        except ImportError:
            if use_scipy:
                raise
        else:
            covmean = linalg.sqrtm(s1 @ s2)
            if not np.isfinite(covmean).all():  # singular product: nudge as pytorch-fid does
                off = np.eye(s1.shape[0]) * 1e-6
                covmean = linalg.sqrtm((s1 + off) @ (s2 + off))
            return float(np.real(np.trace(covmean)))
    w, v = np.linalg.eigh((s1 + s1.T) / 2)
    r1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    m = r1 @ s2 @ r1
    ev = np.linalg.eigvalsh((m + m.T) / 2)
    return float(np.sqrt(np.clip(ev, 0, None)).sum())


def frechet_distance(mu1, s1, mu2, s2, use_scipy: bool | None = None) -> float:
    mu1, mu2 = np.atleast_1d(mu1).astype(np.float64), np.atleast_1d(mu2).astype(np.float64)
    s1, s2 = np.atleast_2d(s1).astype(np.float64), np.atleast_2d(s2).astype(np.float64)
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * _trace_sqrt_product(s1, s2, use_scipy))


def fid_from_features(f1, f2, use_scipy: bool | None = None) -> float:
    return frechet_distance(*statistics(f1), *statistics(f2), use_scipy=use_scipy)


class FID:
    """Set metric: ``FID(weights)(generated_images, real_images)`` (lower is better);
    ``from_features`` skips the network."""

    kind = "set"
    higher_is_better = False
    name = "fid"

    def __init__(self, inception_weights=None, device: str = "cpu", batch: int = 32):
        self.weights, self.device, self.batch = inception_weights, device, batch
        self._net = None

    def features(self, images) -> np.ndarray:
        from posestudio.training.metrics.inception import features, load_inception

        if self._net is None:
            self._net = load_inception(self.weights, self.device)
        return features(self._net, images, self.batch, self.device)[0]

    def __call__(self, generated, real) -> float:
        return fid_from_features(self.features(generated), self.features(real))

    @staticmethod
    def from_features(f1, f2) -> float:
        return fid_from_features(f1, f2)
