"""Merge the fingerprints two programs share into contiguous matching regions with line ranges."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .fingerprints import Fingerprints

# A hash repeated this often inside one program is repetitive code (a table, a switch); pairing
# every occurrence with every other would be quadratic and would not locate anything.
_MAX_OCCURRENCES = 16


@dataclass(frozen=True, slots=True)
class Match:
    """Lines ``a_lines`` of program a match lines ``b_lines`` of program b (1-based, inclusive)."""

    a_lines: tuple[int, int]
    b_lines: tuple[int, int]

    def to_dict(self) -> dict[str, list[int]]:
        return {"a_lines": list(self.a_lines), "b_lines": list(self.b_lines)}


@dataclass(slots=True)
class _Region:
    a_end: int
    b_end: int
    size: int
    a_from: int
    a_to: int
    b_from: int
    b_to: int


def matching_regions(
    a: Fingerprints,
    b: Fingerprints,
    shared: np.ndarray,
    *,
    max_gap: int = 3,
    line_gap: int = 2,
    min_fingerprints: int = 3,
) -> list[Match]:
    """Return the regions where ``a`` and ``b`` share fingerprints, ordered by lines of ``a``.

    A region is a chain of shared fingerprints that follow each other in both programs (at most
    ``max_gap`` fingerprints apart on each side, so a small edit does not split a copied
    function). Reordered code therefore yields one region per moved block, each pointing at the
    right lines on both sides. Regions of fewer than ``min_fingerprints`` fingerprints are
    dropped unless nothing longer exists, because a lone k-gram is usually an idiom.
    """
    shared_set = set(shared.tolist())
    b_positions: dict[int, list[int]] = {}
    for index, value in enumerate(b.hashes.tolist()):
        if value in shared_set:
            b_positions.setdefault(value, []).append(index)

    regions: list[_Region] = []
    ends: dict[tuple[int, int], int] = {}
    for ia, value in enumerate(a.hashes.tolist()):
        candidates = b_positions.get(value)
        if not candidates or len(candidates) > _MAX_OCCURRENCES:
            continue
        for ib in candidates:
            region_index = _find_chain(ends, ia, ib, max_gap)
            if region_index is None:
                region_index = len(regions)
                regions.append(
                    _Region(
                        ia,
                        ib,
                        0,
                        int(a.first_lines[ia]),
                        int(a.last_lines[ia]),
                        int(b.first_lines[ib]),
                        int(b.last_lines[ib]),
                    )
                )
            else:
                region = regions[region_index]
                del ends[(region.a_end, region.b_end)]
            region = regions[region_index]
            region.a_end, region.b_end = ia, ib
            region.size += 1
            region.a_from = min(region.a_from, int(a.first_lines[ia]))
            region.a_to = max(region.a_to, int(a.last_lines[ia]))
            region.b_from = min(region.b_from, int(b.first_lines[ib]))
            region.b_to = max(region.b_to, int(b.last_lines[ib]))
            ends[(ia, ib)] = region_index

    kept = [r for r in regions if r.size >= min_fingerprints] or regions
    return [
        Match((r.a_from, r.a_to), (r.b_from, r.b_to))
        for r in _merge_adjacent(kept, line_gap)
    ]


def _find_chain(
    ends: dict[tuple[int, int], int], ia: int, ib: int, max_gap: int
) -> int | None:
    # Prefer the closest predecessor so parallel chains (repeated code) stay apart.
    best: tuple[int, int] | None = None
    for da in range(1, max_gap + 1):
        for db in range(1, max_gap + 1):
            index = ends.get((ia - da, ib - db))
            if index is not None and (best is None or da + db < best[0]):
                best = (da + db, index)
    return None if best is None else best[1]


def _merge_adjacent(regions: list[_Region], line_gap: int) -> list[_Region]:
    """Join regions that continue each other on both sides and drop ones nested in another."""
    merged: list[_Region] = []
    for region in sorted(regions, key=lambda r: (r.a_from, r.b_from, -r.a_to)):
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and region.a_from <= previous.a_to + line_gap
            and previous.b_from <= region.b_from <= previous.b_to + line_gap
        ):
            previous.a_to = max(previous.a_to, region.a_to)
            previous.b_to = max(previous.b_to, region.b_to)
            previous.size += region.size
            continue
        if any(_contains(other, region) for other in merged):
            continue
        merged.append(region)
    return merged


def _contains(outer: _Region, inner: _Region) -> bool:
    return (
        outer.a_from <= inner.a_from
        and inner.a_to <= outer.a_to
        and outer.b_from <= inner.b_from
        and inner.b_to <= outer.b_to
    )
