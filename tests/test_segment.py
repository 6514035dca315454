"""digits.pieces.splits: the ways a piece of ink may be cut into touching digits."""
import numpy as np
import pytest

from digits.pieces import cut_paths, group_digits, mask_between, possible_counts, splits
pytestmark = pytest.mark.quick


def blob(widths, height=40, gap=6):
    """Box-shaped 'digits' of the given widths, `gap` apart, each joined to the
    next by a thin stroke: where they meet has the least ink."""
    mask = np.zeros((height + 20, sum(widths) + gap * len(widths) + 20), bool)
    x, joints = 10, []
    for w in widths:
        mask[10:10 + height, x:x + 3] = mask[10:10 + height, x + w - 3:x + w] = True
        mask[10:13, x:x + w] = mask[7 + height:10 + height, x:x + w] = True
        mask[30:32, x + w:x + w + gap] = True
        x += w + gap
        joints.append(x - gap // 2)
    mask[30:32, x - gap:x] = False       # no stroke after the last one
    return mask, joints[:-1]


def edges(parts, way):
    """The left edge of each part of a way, after the first."""
    return [int(np.nonzero(parts[i].any(axis=0))[0].min()) for i in way[1:]]


def test_narrow_piece_has_no_splits():
    mask, _ = blob([22])                  # 22 wide, 40 tall: narrower than a 1 beside a 0
    assert splits(mask) == ([], [])


def test_two_touching_digits_can_be_cut_where_they_meet():
    mask, joints = blob([30, 28])
    parts, ways = splits(mask)
    assert ways
    assert any(len(w) == 2 and all(abs(e - j) <= 4 for e, j in zip(edges(parts, w), joints))
               for w in ways)


def test_five_touching_digits_can_be_cut_where_they_meet():
    mask, joints = blob([30, 26, 34, 28, 30])
    parts, ways = splits(mask)
    assert any(len(w) == 5 and all(abs(e - j) <= 4 for e, j in zip(edges(parts, w), joints))
               for w in ways)


def test_every_way_covers_the_piece_with_digit_sized_parts():
    mask, _ = blob([30, 26, 34, 28])
    parts, ways = splits(mask)
    height = 40
    for way in ways:
        assert len(way) >= 2
        pieces = [parts[i] for i in way]
        assert np.array_equal(np.logical_or.reduce(pieces), mask)     # nothing lost
        assert not np.logical_and(pieces[0], pieces[1]).any()          # nothing twice
        for p in pieces:
            cols = np.nonzero(p.any(axis=0))[0]
            assert cols.max() - cols.min() + 1 <= 1.3 * height


def test_a_group_with_empty_columns_inside_gives_only_inked_parts():
    """A digit's pieces can leave empty columns between them (a long stray
    stroke above, as a shadow's edge in a photo). An empty part used to be
    returned, and preparing it crashed the reader."""
    mask = np.zeros((60, 150), bool)
    mask[5:12, 0:40] = True                 # a stroke at the top left
    mask[20:55, 70:74] = True               # a digit, 30 columns of nothing away...
    mask[20:24, 70:100] = mask[51:55, 70:100] = mask[20:55, 96:100] = True
    mask[20:55, 115:119] = mask[20:24, 115:145] = True   # ...and a second one
    parts, ways = splits(mask)
    assert ways
    assert all(p.any() for p in parts)
    assert sorted({i for w in ways for i in w}) == list(range(len(parts)))


def stroke(mask, x0, x1, y0, y1):
    mask[y0:y1, x0:x1] = True
    return mask


def test_pieces_stacked_one_above_the_other_are_one_digit():
    mask = np.zeros((60, 60), bool)
    stroke(mask, 28, 32, 5, 28)                # a 1 whose pen skipped halfway
    stroke(mask, 30, 34, 31, 55)
    assert len(group_digits(mask)) == 1


def test_a_speck_far_below_the_row_is_not_part_of_a_digit():
    """A photo's shadow edge left a speck at the bottom of the picture,
    under the first digit of 1447: joined to the 1, it made a piece twice
    as tall as the digits, which all then counted as short pieces and
    were merged into one."""
    mask = np.zeros((200, 200), bool)
    for x in (20, 60, 100, 140):
        stroke(mask, x, x + 5, 40, 100)          # four digits in a row, 60 tall
    stroke(mask, 18, 30, 185, 195)               # a speck 85 below the first
    groups = group_digits(mask)
    assert len(groups) == 4
    assert not groups[0][150:].any()


def test_a_digit_broken_across_its_middle_stays_one():
    """Far apart for their own heights, but not for the row's digits."""
    mask = np.zeros((200, 200), bool)
    stroke(mask, 20, 70, 40, 52)                 # a 5's top bar, 12 tall ...
    stroke(mask, 30, 70, 76, 100)                # ... 24 above the rest of it
    stroke(mask, 100, 105, 40, 100)              # and a 1 beside it, 60 tall
    groups = group_digits(mask)
    assert len(groups) == 2
    assert groups[0][40:52].any() and groups[0][76:100].any()


def test_pieces_side_by_side_stay_two_digits():
    mask = np.zeros((60, 80), bool)
    stroke(mask, 20, 24, 5, 55)                # 1 1, written close together
    stroke(mask, 34, 38, 8, 55)
    assert len(group_digits(mask)) == 2


def read(digit, confidence, several=0.0):
    """A part: a 28x28, its probabilities (`digit` read with `confidence`)
    and the head's probability that it holds several digits."""
    p = np.full(10, (1 - confidence) / 9, np.float32)
    p[digit] = confidence
    return (np.zeros((28, 28), np.float32), p, several)


def digits(way):
    return [int(p.argmax()) for _, p, *_ in way]


def test_the_cut_chosen_parts_the_digits_rather_than_leaving_two_together():
    from digits.reading import choose
    whole = read(8, 0.6)[:2]
    together = [read(1, 0.97), read(3, 0.97, several=0.9)]   # read surely, but "3" holds two
    parted = [read(1, 0.9), read(3, 0.9)]
    for ways in ([together, parted], [parted, together]):
        chosen = choose(whole, 0.99, ways)
        assert digits(chosen) == [1, 3] and chosen[1][1] is parted[1][1]


def test_fewer_parts_win_when_all_read_as_well():
    from digits.reading import choose
    two, three = [read(4, 0.95), read(7, 0.95)], [read(4, 0.95), read(1, 0.95), read(1, 0.95)]
    assert digits(choose(read(8, 0.6)[:2], 0.99, [three, two])) == [4, 7]


def test_a_cut_with_a_part_read_unsurely_leaves_the_piece_whole():
    from digits.reading import choose
    whole = read(0, 0.3)[:2]
    assert choose(whole, 0.99, [[read(1, 0.95), read(3, 0.45)]]) == [whole]
    assert choose(whole, 0.99, []) == [whole]
    assert digits(choose(whole, 0.99, [[read(1, 0.95), read(3, 0.55)]])) == [1, 3]


def test_a_cut_must_be_likelier_than_the_whole_which_one_digit_favours():
    """The head's probability of several digits against one, times each
    side's reading; a piece is one digit unless the cut is e (2.7) times likelier."""
    from digits.reading import choose
    cut = [read(1, 0.9), read(3, 0.9)]                  # likelihood 0.81
    whole = read(8, 0.6)[:2]
    assert digits(choose(whole, 0.9, [cut])) == [1, 3]   # 0.9 x 0.81 against 0.1 x 0.6 x e
    assert choose(whole, 0.6, [cut]) == [whole]          # 0.6 x 0.81 against 0.4 x 0.6 x e
    sure = read(8, 0.99)[:2]
    assert choose(sure, 0.75, [cut]) == [sure]           # 0.75 x 0.81 against 0.25 x 0.99 x e
    assert digits(choose(sure, 0.8, [cut])) == [1, 3]    # 0.8 x 0.81 against 0.2 x 0.99 x e


def test_a_piece_as_narrow_as_a_1_beside_a_0_may_be_cut():
    mask = np.zeros((60, 80), bool)
    stroke(mask, 10, 14, 5, 55)                  # a 1, joined by a short stroke ...
    stroke(mask, 14, 20, 28, 32)
    for x0, x1, y0, y1 in ((20, 50, 5, 9), (20, 50, 51, 55), (20, 24, 5, 55), (46, 50, 5, 55)):
        stroke(mask, x0, x1, y0, y1)             # ... to a 0 (a box)
    assert possible_counts(mask) == [2]  # 40 wide, 50 tall: 0.8
    mask[:, 36:] = False
    assert possible_counts(mask) == []   # 26 wide: 0.52, one digit


def test_a_cut_follows_the_gap_between_leaning_digits():
    """Two strokes leaning the same way overlap sideways: every straight
    cut between them slices one, the cut's path goes round."""
    mask = np.zeros((60, 60), bool)
    for row in range(60):
        x = row // 3
        mask[row, 5 + x:10 + x] = True           # from columns 5-9 down to 24-28
        mask[row, 27 + x:32 + x] = True          # from 27-31 down to 46-50
    assert all(mask[:, c].any() for c in range(5, 51))   # no straight cut misses them
    path = cut_paths(mask, [28], reach=12)[0]
    left = mask_between(mask, np.full(60, 0), path)
    assert (left == (mask & (np.arange(60) < 27 + np.arange(60)[:, None] // 3))).all()


def test_splits_cuts_leaning_touching_digits_round_their_strokes():
    first, second = np.zeros((60, 60), bool), np.zeros((60, 60), bool)
    for row in range(60):
        first[row, 5 + row // 3:10 + row // 3] = True
        second[row, 27 + row // 3:32 + row // 3] = True
    mask = first | second
    mask[28:31, 19:36] = True                    # joined by a short stroke
    parts, ways = splits(mask)
    assert any(len(w) == 2 and parts[w[0]][first].all() and not parts[w[0]][second].any()
               for w in ways)
