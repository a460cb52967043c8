"""The extractive answerer's fitted models: the feature names each model reads, a small
logistic model, and the calibration file that holds them (``qa/calibration.json``, written by
``isnad calibrate``; what they were fitted on and how they do on other sets: BENCHMARKS.md)."""
from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

SENTENCE_FEATURES = (
    "similarity",  # embedding similarity of the sentence to the question
    "similarity_below_best",  # ... minus the best among the passages' sentences (≤ 0)
    "similarity_rank",  # 1 / (1 + rank by similarity)
    "coverage",  # IDF-weighted share of the question's terms in the sentence
    "window_coverage",  # ... in the sentence and its neighbours
    "coverage_below_best",  # coverage minus the best coverage (≤ 0)
    "neighbour_gain",  # best neighbour similarity minus the sentence's own
    "passage_rank",  # 0 for the first passage
    "passage_score",  # the passage's fused retrieval score
    "log_length",  # log(1 + characters)
    "number_for_number_question",  # a how-many/when question and a sentence with a number
    "no_number_for_number_question",  # a how-many/when question and no number in sight
    "novelty",  # share of the sentence's terms that are not the question's
    "position",  # sentence index / sentences in the passage
    "best_clause_coverage",  # the question's terms in the sentence's best clause
    "term_proximity",  # matched question terms / the span of words they sit in (0: fewer than two)
    "similarity_z",  # similarity against the mean and spread of the passages' sentences
    "log_new_terms",  # log(1 + terms that are not the question's)
    "coverage_times_similarity",
    "first_in_passage",
    "holds_asked_kind",  # the question asks a kind (a quantity, a date, a person, a place) and the sentence holds it
    "lacks_asked_kind",  # ... and the sentence does not
    "names_asked_attribute",  # the sentence names what the question asks about (weight, cost...), by word or unit
    "other_quantity",  # a quantity of another attribute than the one asked (the capacity for a cost)
)
EVIDENCE_FEATURES = (
    "best_similarity",  # best sentence similarity
    "best_passage",  # best passage (chunk) similarity
    "best_coverage",
    "best_window_coverage",
    # the best similarity among sentences holding what the question asks for, minus the best
    # similarity (0 when the question asks no kind; -1 when no sentence holds it)
    "kind_similarity_gap",
    "similarity_over_baseline",  # best sentence similarity minus the question's sentence baseline
    "passage_over_baseline",  # best passage similarity minus its chunk baseline
)
# Without the question's baselines (a store too small for them): the evidence model that
# does without them, fitted on the same data.
EVIDENCE_FEATURES_WITHOUT_BASELINE = EVIDENCE_FEATURES[:5]
RELATIONS = ("same", "cross")
# Share of the answerable questions the floor keeps above it (below it: "the articles don't
# say"), and how far below the lead's logit a further sentence may score and still be quoted;
# both chosen on sets not used for fitting (BENCHMARKS.md). `isnad calibrate` takes others.
DEFAULT_FLOOR_RATE = 0.998
DEFAULT_SUPPORT_MARGIN = 1.0
# How far below the lead a sentence may score and still be quoted when it holds question terms
# that no sentence quoted before it holds (the lead names the dialogue, this sentence who chaired
# it); chosen on sets not used for fitting, like the support margin.
DEFAULT_COMPLETION_MARGIN = 3.0
# Added to the ranker's logit of a sentence that holds what a specific question asks for (a
# quantity of the named attribute, a number of what is counted), taken from one that states a
# quantity of another attribute: the ranker learns these questions from few examples. Chosen
# on sets not used for fitting (BENCHMARKS.md).
DEFAULT_KIND_BONUS = 2.0
CLAUSE_FEATURES = (
    "coverage",  # IDF-weighted share of the question's terms in the clause
    "neighbour_coverage",  # ... in the clauses next to it
    "novelty",  # share of the clause's terms that are not the question's
    "number_for_number_question",  # a how-many/when question and a clause with a number
    "no_number_for_number_question",
    "name_for_who_question",  # a who question and a clause with a word the question lacks, capitalised or not Arabic
    "position",  # clause index / clauses in the sentence
    "share_of_sentence",  # clause length / sentence length
    "log_length",
    "coverage_below_best",  # coverage minus the sentence's best clause coverage (≤ 0)
    "novelty_below_best",
    "has_question_term",
    "previous_coverage",  # coverage of the clause before (0 for the first)
    "next_coverage",  # ... after (0 for the last)
)


@dataclass(frozen=True)
class LinearModel:
    """A logistic model over named features: ``logit = ((x - mean) / scale) · weights + bias``.
    A missing feature (NaN, e.g. no baseline in a tiny store) counts as its training mean."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float

    def logit(self, x: np.ndarray) -> np.ndarray:
        z = (np.asarray(x, dtype=float) - self.mean) / self.scale
        return np.nan_to_num(z, nan=0.0) @ self.weights + self.bias

    @classmethod
    def fit(cls, features: Sequence[str], x: np.ndarray, y: np.ndarray, *, balanced: bool = False,
            l2: float = 1.0, iterations: int = 50) -> LinearModel:
        """L2-regularised logistic regression by Newton's method (no extra dependency). With
        ``balanced``, both classes weigh the same in total."""
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        if x.ndim != 2 or len(x) != len(y) or len(set(y.tolist())) < 2:
            raise ValueError("fitting needs rows of both classes")
        with warnings.catch_warnings():  # a feature missing in every row (a tiny calibration set)
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(x, axis=0)
            scale = np.nanstd(x, axis=0)
        mean = np.where(np.isnan(mean), 0.0, mean)
        scale = np.where(~np.isfinite(scale) | (scale < 1e-9), 1.0, scale)
        z = np.nan_to_num((x - mean) / scale, nan=0.0)
        a = np.hstack([z, np.ones((len(z), 1))])
        sample = np.ones(len(y))
        if balanced:
            sample = np.where(y > 0, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
        penalty = np.full(a.shape[1], l2)
        penalty[-1] = 0.0  # the bias is not shrunk
        w = np.zeros(a.shape[1])
        for _ in range(iterations):
            p = 1.0 / (1.0 + np.exp(-np.clip(a @ w, -30, 30)))
            grad = a.T @ (sample * (p - y)) + penalty * w
            hess = (a * (sample * p * (1 - p))[:, None]).T @ a + np.diag(penalty + 1e-9)
            step = np.linalg.solve(hess, grad)
            w -= step
            if np.abs(step).max() < 1e-8:
                break
        return cls(tuple(features), mean, scale, w[:-1], float(w[-1]))

    @classmethod
    def fit_listwise(cls, features: Sequence[str], x: np.ndarray, y: np.ndarray, groups: Sequence[int], *,
                     l2: float = 1.0, iterations: int = 30) -> LinearModel:
        """A ranker: within each group (one question's sentences), the softmax of the logits
        should put its mass on the rows labelled 1 (L2-regularised, Newton's method). Fitted to
        rank, not to calibrate: the logits compare rows of one group, not rows of different
        groups. The bias is 0 (a constant shifts every row of a group alike)."""
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        mean = np.nanmean(x, axis=0)
        scale = np.nanstd(x, axis=0)
        mean = np.where(np.isnan(mean), 0.0, mean)
        scale = np.where(~np.isfinite(scale) | (scale < 1e-9), 1.0, scale)
        z = np.nan_to_num((x - mean) / scale, nan=0.0)
        index: dict[int, list[int]] = {}
        for row, g in enumerate(groups):
            index.setdefault(g, []).append(row)
        blocks = [(z[rows], y[rows] / y[rows].sum()) for rows in map(np.array, index.values()) if y[rows].any()]
        if not blocks:
            raise ValueError("fitting a ranker needs groups with a row labelled 1")
        def loss(w: np.ndarray) -> float:
            total = 0.5 * l2 * w @ w
            for zg, target in blocks:
                logits = zg @ w
                top = logits.max()
                total += top + np.log(np.exp(logits - top).sum()) - target @ logits
            return float(total)

        w = np.zeros(z.shape[1])
        current = loss(w)
        for _ in range(iterations):
            grad, hess = l2 * w, l2 * np.eye(len(w))
            for zg, target in blocks:
                logits = zg @ w
                p = np.exp(logits - logits.max())
                p /= p.sum()
                grad += zg.T @ (p - target)
                weighted = zg * p[:, None]
                hess += zg.T @ weighted - np.outer(weighted.sum(0), weighted.sum(0))
            step = np.linalg.solve(hess, grad)
            # Newton's step, halved until the loss goes down (a full step can overshoot).
            for _ in range(30):
                trial = loss(w - step)
                if trial <= current:
                    break
                step = step / 2
            w, improvement, current = w - step, current - trial, trial
            if np.abs(step).max() < 1e-8 or improvement < 1e-9:
                break
        return cls(tuple(features), mean, scale, w, 0.0)

    def to_dict(self) -> dict:
        return {"features": list(self.features), "mean": self.mean.round(6).tolist(),
                "scale": self.scale.round(6).tolist(), "weights": self.weights.round(6).tolist(),
                "bias": round(self.bias, 6)}

    @classmethod
    def from_dict(cls, data: dict, expected: Sequence[str]) -> LinearModel:
        if tuple(data["features"]) != tuple(expected):
            raise ValueError(f"calibration features {data['features']} do not match this version's {list(expected)}: "
                             "run `isnad calibrate --write`")
        return cls(tuple(data["features"]), np.array(data["mean"], dtype=float), np.array(data["scale"], dtype=float),
                   np.array(data["weights"], dtype=float), float(data["bias"]))


@dataclass(frozen=True)
class Calibration:
    """The fitted models and the thresholds they are read with.

    - ``ranker``: scores every sentence (``SENTENCE_FEATURES``); the best is the lead;
    - ``support_margin``: a further sentence is quoted when its ranker logit is within this of
      the lead's; ``completion_margin``: or within this, when it holds question terms the
      sentences quoted before it lack;
    - ``clause``: scores the clauses of the lead (``CLAUSE_FEATURES``); the best is set in bold;
    - per script relation (``"same"``, ``"cross"``, each also ``"<relation>/no-baseline"``
      for stores too small for baselines) an evidence model, the least logit to answer
      (``thresholds``) and the least to offer the closest passage as a tentative answer
      (``floors``); below the floor the articles don't say.
    """

    ranker: LinearModel
    evidence: dict[str, LinearModel]
    thresholds: dict[str, float]
    floors: dict[str, float]
    clause: LinearModel
    support_margin: float
    completion_margin: float = DEFAULT_COMPLETION_MARGIN

    @classmethod
    def bundled(cls) -> Calibration:
        return _bundled_calibration()

    @classmethod
    def from_dict(cls, data: dict) -> Calibration:
        try:
            evidence, thresholds, floors = {}, {}, {}
            for r in RELATIONS:
                for key, entry, names in ((r, data["evidence"][r], EVIDENCE_FEATURES),
                                          (f"{r}/no-baseline", data["evidence"][r]["without_baseline"],
                                           EVIDENCE_FEATURES_WITHOUT_BASELINE)):
                    evidence[key] = LinearModel.from_dict(entry["model"], names)
                    thresholds[key] = float(entry["threshold"])
                    floors[key] = float(entry["floor"])
            return cls(LinearModel.from_dict(data["ranker"], SENTENCE_FEATURES), evidence, thresholds, floors,
                       LinearModel.from_dict(data["clause"], CLAUSE_FEATURES), float(data["support_margin"]),
                       # (a file written before it existed reads with the default: no model depends on it)
                       float(data.get("completion_margin", DEFAULT_COMPLETION_MARGIN)))
        except KeyError as err:
            raise ValueError(f"calibration file lacks {err}: run `isnad calibrate --write`") from None

    @classmethod
    def load(cls, path: Path) -> Calibration:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    @classmethod
    def configured(cls, path: Path | None) -> Calibration:
        """A user's models (``ISNAD_CALIBRATION``), else the bundled ones; a file that cannot be
        read is a :class:`~qa.settings.SettingsError` naming it."""
        if path is None:
            return cls.bundled()
        from .settings import SettingsError

        try:
            return cls.load(path)
        except (OSError, ValueError) as err:
            raise SettingsError(f"ISNAD_CALIBRATION={path}: {err}") from None


@lru_cache(maxsize=1)
def _bundled_calibration() -> Calibration:
    """``qa/calibration.json`` (written by ``isnad calibrate --write``), read once per process."""
    return Calibration.load(Path(str(resources.files("qa") / "calibration.json")))
