"""Small-cell suppression, rule by rule (suppression.py), and against a reader who knows the rules and adds up
what is shown, over thousands of random rows."""

import random

import pytest

from sombrilla.monitoring.suppression import HIDDEN, SHOWN, SMALL, protect, protect_row, shown_text

S, M, H = SHOWN, SMALL, HIDDEN


@pytest.mark.parametrize(
    ("total", "cells", "states"),
    [
        # Nothing under 5: everything shown, zeros included.
        (30, [10, 0, 20], (S, S, S)),
        # Zero counts nobody: shown as 0, and never hidden to protect another cell (it adds nothing to the sum).
        (43, [3, 0, 40], (M, S, H)),
        # One cell under 5 alone would be the total less the rest: the smallest other non-zero cell goes too.
        (32, [20, 9, 3], (S, H, M)),
        # Hiding 5 with a 1 is not enough: hidden cells are 5 or more, so 6 - 5 pins the small one to 1.
        (56, [1, 5, 50], (M, H, H)),
        # Two small cells whose sum leaves each of them anything from 1 to 4 need no companion: 2 + 3 = 5.
        (35, [2, 3, 30], (M, M, S)),
        # 4 and 4 make 8, which says both are 4: a larger cell is hidden with them.
        (58, [4, 4, 50], (M, M, H)),
    ],
)
def test_it_hides_small_cells_and_just_enough_others(total, cells, states):
    assert protect_row(total, cells) == states


def test_it_drops_the_under_5_mark_when_nothing_else_can_be_hidden():
    # 4 and 4 under a total of 8: "<5" and "<5" adding up to 8 means both are 4. Without the mark, two hidden
    # cells adding up to 8 could be anything from 1 to 7.
    assert protect_row(8, [4, 4]) == (H, H)
    # A 7 and a 1 under 8: the 7 hidden with the 1 would pin it to 1 (8 - 7), so neither says "<5".
    assert protect_row(8, [7, 1]) == (H, H)


def test_it_hides_the_whole_row_when_even_unmarked_cells_would_give_themselves_away():
    # Five non-zero cells adding up to 5 are all 1, marked or not: the zeros go too, so nothing is known.
    assert protect_row(5, [1, 1, 1, 1, 1, 0]) == (H,) * 6


def test_it_marks_a_small_total_and_every_cell_under_it():
    assert protect(3, [[1, 2, 0], [3]]).total == SMALL
    assert protect(3, [[1, 2, 0], [3]]).rows == ((M, M, S), (M,))
    assert protect(0, [[0, 0]]).total == SHOWN


def test_it_protects_every_split_of_a_figure_against_the_same_total():
    protected = protect(17, [[6, 8, 2, 1], [9, 7, 1]])
    assert protected.total == SHOWN
    assert protected.rows == ((H, H, M, M), (H, H, M))


def test_it_writes_marks_for_hidden_figures_and_numbers_for_the_rest():
    assert [shown_text(3, M), shown_text(40, H), shown_text(0, S), shown_text(12, S)] == ["<5", "…", "0", "12"]


def _what_a_reader_can_tell(total: int, cells: list[int], states: tuple[str, ...]) -> list[set[int]]:
    """For each cell marked "<5", the values from 1 to 4 a reader who knows the rules cannot rule out.

    The reader assumes the row adds up to the total, knows every shown cell, knows a "<5" cell is 1 to 4 and a
    hidden one 5 or more (when the row has a "<5"; else only that it is not 0, as zeros are shown), and sees
    whether the whole row was hidden (then nothing is known)."""
    if all(state == H for state in states):
        return []
    hidden_sum = total - sum(count for count, state in zip(cells, states, strict=True) if state == S)
    marked = any(state == M for state in states)
    low = {M: 1, H: 5 if marked else 1}
    high = {M: 4, H: hidden_sum}
    found = []
    for index, state in enumerate(states):
        if state != M:
            continue
        others = [other for position, other in enumerate(states) if position != index and other != S]
        possible = {
            value
            for value in range(1, 5)
            if sum(low[o] for o in others) <= hidden_sum - value <= sum(high[o] for o in others)
        }
        found.append(possible)
    return found


def test_it_never_lets_a_reader_narrow_down_a_small_cell_in_thousands_of_random_rows():
    generator = random.Random(20240101)  # noqa: S311 - test data with a fixed seed, so a failure can be replayed
    checked = 0
    for _row in range(5000):
        size = generator.randint(1, 8)
        cells = [generator.choice([0, 0, 1, 2, 3, 4, 5, 6, 7, 9, 12, 30]) for _cell in range(size)]
        total = sum(cells)
        states = protect_row(total, cells)
        # Every count from 1 to 4 is hidden, and nothing is shown that is not its real value.
        assert all(state != S for count, state in zip(cells, states, strict=True) if 0 < count < 5), (cells, states)
        if 0 < total < 5:
            continue
        for possible in _what_a_reader_can_tell(total, cells, states):
            assert possible == {1, 2, 3, 4}, (cells, states)
            checked += 1
    assert checked > 1000
