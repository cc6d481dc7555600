"""Small-cell suppression: which figures drawn from members' data may be shown, and which must be hidden so
that nobody can be singled out. Pure functions over whole numbers; nothing here reads the database.

A figure is one total and the rows that split it (one row per disaggregation: region, category ...). The rules:

1. Primary suppression. A count from 1 to 4 is shown as "<5" (SMALL). A total under 5 is SMALL too, and then
   every non-zero cell under it is under 5 and SMALL as well.
2. Zero is shown as 0. A zero counts nobody, so it cannot single anyone out, and "<5" on a zero would be untrue
   and would hide real information ("no escalations this year"). Rule 4 hides zeros in the one case where a
   zero would help someone work out the others.
3. Complementary suppression. While the total is shown, whatever is hidden in a row adds up to the total minus
   the cells shown. So the hidden cells of a row must together be large enough that no SMALL cell can be
   narrowed down from that sum: every SMALL cell must still be able to be anything from 1 to 4, given that each
   other SMALL cell is 1 to 4 and each other hidden cell at least 5 (a hidden cell that is not SMALL is a count
   of 5 or more, since every count of 1 to 4 is SMALL already). Until that holds, the smallest non-zero cell
   still shown is hidden too (HIDDEN, shown as "…"). Exactly one SMALL cell is never safe on its own (it
   would be the total minus the rest), so one always gets a companion.
   The rule is applied whether or not a row really adds up to the total (a report naming two categories counts
   in both): it assumes it does, which is the reader's best guess, and protects against it.
4. When a row runs out of cells to hide and is still not safe (cells of 4 and 4 under a total of 8: both are
   "<5" and together make 8, so both are 4), its SMALL cells lose their "<5" and become plain HIDDEN, so no
   upper bound is given away; if even that is not enough (five cells of 1 under a total of 5: five non-zero
   cells making 5 must each be 1), the whole row is hidden, zeros included.
5. The total itself is never hidden to protect a row: every other row of the same figure would give it away
   (the cells of a row that hides nothing add up to it), so rows are protected against a shown total instead.

What these rules do not cover, and why that is acceptable here: figures of different indicators or years are
not protected against each other (members at the end of two years differ by the new members minus those who
left, themselves hidden when small). Each of those figures is a count of events or of accounts, never a
record of what one person did, and the dashboard shows no figure smaller than a year.
"""

from collections.abc import Sequence
from dataclasses import dataclass

THRESHOLD = 5
SMALL_TEXT = "<5"
HIDDEN_TEXT = "…"

SHOWN = "shown"
SMALL = "small"
HIDDEN = "hidden"


@dataclass(frozen=True)
class Protected:
    """What may be shown of one figure: the state of its total and of each cell, row by row."""

    total: str
    rows: tuple[tuple[str, ...], ...]


def is_small(count: int) -> bool:
    return 0 < count < THRESHOLD


def _safe(cells: Sequence[int], states: list[str]) -> bool:
    """Whether every SMALL cell of the row can still be anything from 1 to 4, given the sum of the hidden ones."""
    hidden = [(count, state) for count, state in zip(cells, states, strict=True) if state != SHOWN]
    if not any(state == SMALL for _count, state in hidden):
        return True
    together = sum(count for count, _state in hidden)
    lowest = {SMALL: 1, HIDDEN: THRESHOLD}
    for index, (_count, state) in enumerate(hidden):
        if state != SMALL:
            continue
        others = [other for position, (_c, other) in enumerate(hidden) if position != index]
        # The largest this cell can be is the sum less the least the others can be; the smallest, the sum less
        # the most the others can be (a HIDDEN cell has no most, so then nothing bounds it from below).
        if together - sum(lowest[other] for other in others) < THRESHOLD - 1:
            return False
        if HIDDEN not in others and together - (THRESHOLD - 1) * len(others) > 1:
            return False
    return True


def _safe_without_bounds(cells: Sequence[int]) -> bool:
    """With no "<5" shown, a hidden non-zero cell is bounded only by the sum: it must still be able to be 4."""
    hidden = [count for count in cells if count]
    return sum(hidden) - (len(hidden) - 1) >= THRESHOLD - 1


def protect_row(total: int, cells: Sequence[int]) -> tuple[str, ...]:
    """The state of each cell of one row under a total (see the module's rules)."""
    if is_small(total):
        return tuple(SMALL if count else SHOWN for count in cells)
    states = [SMALL if is_small(count) else SHOWN for count in cells]
    while not _safe(cells, states):
        candidates = [(count, index) for index, count in enumerate(cells) if states[index] == SHOWN and count]
        if not candidates:
            break
        states[min(candidates)[1]] = HIDDEN
    else:
        return tuple(states)
    if _safe_without_bounds(cells):
        return tuple(HIDDEN if state != SHOWN else state for state in states)
    return tuple(HIDDEN for _count in cells)


def protect(total: int, rows: Sequence[Sequence[int]]) -> Protected:
    """The states of a total and of every row that splits it. Counts must be whole numbers, 0 or more."""
    return Protected(
        total=SMALL if is_small(total) else SHOWN,
        rows=tuple(protect_row(total, cells) for cells in rows),
    )


def shown_text(count: int, state: str) -> str:
    """A figure as it may be shown: the number, "<5" or "…"."""
    if state == SMALL:
        return SMALL_TEXT
    if state == HIDDEN:
        return HIDDEN_TEXT
    return str(count)
