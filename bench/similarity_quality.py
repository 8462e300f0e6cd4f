"""How well the similarity engines tell disguised copies from independent work (a benchmark).

Corpus: ``bench/similarity_corpus/<language>/<task>/`` holds an ``original`` and independent
solutions of each task (Java and Python), plus the shared test programs of
``submissions/tests/similarity_programs.py`` as one more Python task. For each original,
``bench/similarity_disguise.py`` makes ``--variants`` copies at each of the six levels; each
independent solution also gets ``--variants`` disguised versions (disguised, but still
independent of the original, so a detector cannot score the disguise instead of the copying).

Each task is one exam: its original, copies and independent solutions are compared in one
``compare()`` call. Labelled pairs, as on the held-out benchmark: original vs each copy
(positive, by level) and original vs each independent solution (negative); independent
solutions against each other are negatives too. For the combined engine the other tasks of
the same language stand for the independent exams of the common-code cut.

Printed for the old engine (``method="winnow"``, defaults) and the new one (``combined``),
overall and per language: ROC AUC, the best recall at precision >= 0.9 with the recall of each
level at that threshold, and precision / recall at the production threshold 0.5.
``--fit`` also fits the combined score's logistic weights on the overlaps, with
leave-one-task-out figures (each task scored by weights fitted on the others). The fit adds
a second, different corpus so the weights do not follow one style of code: the long
generated programs and copy rings of ``bench/similarity.py`` (200 submissions: every planted
pair, and as many unrelated pairs, the highest-scoring first).

Run from the repository root:  .venv/bin/python bench/similarity_quality.py [--variants 4]
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from similarity_disguise import LEVELS, disguise  # noqa: E402

from submissions.similarity import Source, compare, exams_common  # noqa: E402
from submissions.similarity.combined import OVERLAPS  # noqa: E402
from submissions.tests import similarity_programs  # noqa: E402

CORPUS = Path(__file__).resolve().parent / "similarity_corpus"
SUFFIX = {"java": ".java", "python": ".py"}


@dataclass
class Task:
    language: str
    name: str
    original: str
    independents: list[str]


@dataclass
class Pair:
    task: str
    language: str
    a: str
    b: str
    level: int  # 0 = independent (negative)


def tasks_load() -> list[Task]:
    tasks = []
    for language, suffix in SUFFIX.items():
        for folder in sorted((CORPUS / language).iterdir()):
            files = sorted(folder.glob(f"*{suffix}"))
            original = (folder / f"original{suffix}").read_text()
            independents = [f.read_text() for f in files if f.stem != "original"]
            tasks.append(Task(language, f"{language}/{folder.name}", original, independents))
    tasks.append(
        Task(
            "python",
            "python/grid-path (tests)",
            similarity_programs.PY_ORIGINAL,
            [similarity_programs.PY_INDEPENDENT],
        )
    )
    return tasks


def exam_build(task: Task, variants: int, seed: int) -> tuple[list[Source], list[Pair]]:
    rng = random.Random(f"{seed}:{task.name}")
    sources = [Source("original", task.original)]
    pairs: list[Pair] = []
    for level in LEVELS:
        for v in range(variants):
            code = disguise(task.original, task.language, level, rng)
            sources.append(Source(f"copy-L{level}-{v}", code))
            pairs.append(Pair(task.name, task.language, "original", sources[-1].id, level))
    independent_ids = []
    for i, code in enumerate(task.independents):
        versions = [code] + [
            disguise(code, task.language, rng.choice(LEVELS), rng) for _ in range(variants)
        ]
        for v, version in enumerate(versions):
            sources.append(Source(f"indep-{i}-{v}", version))
            pairs.append(Pair(task.name, task.language, "original", sources[-1].id, 0))
        independent_ids.append(f"indep-{i}-0")
    for x, first in enumerate(independent_ids):
        for second in independent_ids[x + 1 :]:
            pairs.append(Pair(task.name, task.language, first, second, 0))
    return sources, pairs


def exam_scores(
    sources: list[Source], pairs: list[Pair], language: str, method: str, common: dict | None
) -> tuple[np.ndarray, np.ndarray]:
    results = compare(
        sources, language=language, threshold=0.0, method=method, common=common, min_shared=1
    )
    by_pair = {frozenset((r.a, r.b)): r for r in results}
    scores = np.zeros(len(pairs))
    overlaps = np.zeros((len(pairs), len(OVERLAPS)))
    for n, pair in enumerate(pairs):
        result = by_pair.get(frozenset((pair.a, pair.b)))
        if result is not None:
            scores[n] = result.score
            overlaps[n] = [result.overlaps.get(name, 0.0) for name in OVERLAPS]
    return scores, overlaps


def roc_auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Probability that a random copy outscores a random independent pair (ties count half)."""
    pos, neg = scores[positive], scores[~positive]
    if not len(pos) or not len(neg):
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum()
    ties = (pos[:, None] == neg[None, :]).sum()
    return float((greater + 0.5 * ties) / (len(pos) * len(neg)))


def recall_at_precision(
    scores: np.ndarray, positive: np.ndarray, min_precision: float = 0.9
) -> tuple[float, float]:
    """The best recall with precision >= ``min_precision``, and the threshold giving it."""
    best = (0.0, float("inf"))
    for threshold in np.unique(scores):
        flagged = scores >= threshold
        if not flagged.any():
            continue
        precision = (flagged & positive).sum() / flagged.sum()
        recall = (flagged & positive).sum() / max(positive.sum(), 1)
        if precision >= min_precision and recall > best[0]:
            best = (float(recall), float(threshold))
    return best


def report(name: str, scores: np.ndarray, levels: np.ndarray) -> None:
    positive = levels > 0
    recall, threshold = recall_at_precision(scores, positive)
    flagged = scores >= threshold
    per_level = " ".join(
        f"L{level}={(flagged & (levels == level)).sum() / max((levels == level).sum(), 1):.2f}"
        for level in LEVELS
    )
    at_half = scores >= 0.5
    precision = (at_half & positive).sum() / max(at_half.sum(), 1)
    recall_half = (at_half & positive).sum() / max(positive.sum(), 1)
    zeros = (scores[positive] == 0).mean()
    print(
        f"  {name:<9} AUC {roc_auc(scores, positive):.3f}  recall@P>=0.9 {recall:.2f} "
        f"(threshold {threshold:.3f}: {per_level})  at 0.5: P {precision:.2f} R {recall_half:.2f}"
        f"  copies at 0: {zeros:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", type=int, default=4)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--fit", action="store_true", help="fit the logistic weights")
    parser.add_argument(
        "--no-common", action="store_true", help="no other exams for the common-code cut"
    )
    args = parser.parse_args()

    tasks = tasks_load()
    exams = {t.name: exam_build(t, args.variants, args.seed) for t in tasks}
    rows: dict[str, list] = {"winnow": [], "combined": []}
    overlaps_all, meta = [], []
    for task in tasks:
        sources, pairs = exams[task.name]
        others = [
            [s.code for s in exams[o.name][0]]
            for o in tasks
            if o.language == task.language and o.name != task.name
        ]
        common = {task.language: exams_common(others, language=task.language, k=12)}
        if args.no_common:
            common = None
        levels = np.array([p.level for p in pairs])
        for method in rows:
            scores, overlaps = exam_scores(
                sources, pairs, task.language, method, common if method == "combined" else None
            )
            rows[method].append((task, scores, levels))
            if method == "combined":
                overlaps_all.append(overlaps)
                meta += [(task.name, task.language, level) for level in levels]

    count = sum(len(r[2]) for r in rows["winnow"])
    positives = sum(int((r[2] > 0).sum()) for r in rows["winnow"])
    print(
        f"{len(tasks)} tasks, {count} labelled pairs ({positives} copies, "
        f"{count - positives} independent), {args.variants} variants per level"
    )
    for scope in ("all", "java", "python"):
        print(scope)
        for method, items in rows.items():
            chosen = [i for i in items if scope in ("all", i[0].language)]
            scores = np.concatenate([i[1] for i in chosen])
            levels = np.concatenate([i[2] for i in chosen])
            report("old" if method == "winnow" else "new", scores, levels)
    if args.fit:
        synthetic, synthetic_labels = synthetic_overlaps(200)
        fit(np.concatenate(overlaps_all), meta, synthetic, synthetic_labels)


def synthetic_overlaps(count: int) -> tuple[np.ndarray, np.ndarray]:
    """Overlaps of the planted pairs of ``bench/similarity.py`` and as many unrelated ones."""
    import similarity as generated

    from submissions.similarity.combined import pairs_score, program_prepare
    from submissions.similarity.common import code_common

    sources, planted = generated.make_submissions(count)
    cut = code_common([generated.STARTER], language="python", k=12)
    programs = [program_prepare(s.code, "python", 12, 8, cut) for s in sources]
    pairs = pairs_score(programs, threshold=0.0)
    ids = [s.id for s in sources]
    labels = np.array(
        [
            frozenset((ids[i], ids[j])) in planted
            for i, j in zip(pairs.first, pairs.second, strict=True)
        ]
    )
    negatives = np.flatnonzero(~labels)
    hardest = negatives[np.argsort(-pairs.overlaps[negatives].sum(axis=1))][: labels.sum()]
    chosen = np.concatenate([np.flatnonzero(labels), hardest])
    return pairs.overlaps[chosen], labels[chosen]


def fit(
    overlaps: np.ndarray,
    meta: list[tuple[str, str, int]],
    synthetic: np.ndarray,
    synthetic_labels: np.ndarray,
) -> None:
    from sklearn.linear_model import LogisticRegression

    labels = np.array([m[2] > 0 for m in meta])
    tasks = np.array([m[0] for m in meta])
    languages = np.array([m[1] for m in meta])
    levels = np.array([m[2] for m in meta])

    def model() -> LogisticRegression:
        return LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000)

    held_out = np.zeros(len(labels))
    for task in np.unique(tasks):
        train = tasks != task
        held_out[~train] = (
            model().fit(overlaps[train], labels[train]).predict_proba(overlaps[~train])[:, 1]
        )
    print("leave-one-task-out (each task scored by weights fitted on the other tasks)")
    for scope in ("all", "java", "python"):
        chosen = np.ones(len(labels), bool) if scope == "all" else languages == scope
        report(scope, held_out[chosen], levels[chosen])
    final = model().fit(
        np.concatenate([overlaps, synthetic]), np.concatenate([labels, synthetic_labels])
    )
    synthetic_scores = final.predict_proba(synthetic)[:, 1]
    print(f"generated corpus ({len(synthetic)} pairs), final weights:")
    report("generated", synthetic_scores, synthetic_labels.astype(int))
    weights = ", ".join(f"{w:.2f}" for w in final.coef_[0])
    print(f"weights ({', '.join(OVERLAPS)}) = [{weights}], intercept {final.intercept_[0]:.2f}")


if __name__ == "__main__":
    main()
