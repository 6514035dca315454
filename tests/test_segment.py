"""segment.splits: the ways a piece of ink may be cut into touching digits."""
import numpy as np

import segment


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
    mask, _ = blob([30])                  # 30 wide, 40 tall
    assert segment.splits(mask) == ([], [])


def test_two_touching_digits_can_be_cut_where_they_meet():
    mask, joints = blob([30, 28])
    parts, ways = segment.splits(mask)
    assert ways
    assert any(len(w) == 2 and all(abs(e - j) <= 4 for e, j in zip(edges(parts, w), joints))
               for w in ways)


def test_five_touching_digits_can_be_cut_where_they_meet():
    mask, joints = blob([30, 26, 34, 28, 30])
    parts, ways = segment.splits(mask)
    assert any(len(w) == 5 and all(abs(e - j) <= 4 for e, j in zip(edges(parts, w), joints))
               for w in ways)


def test_every_way_covers_the_piece_with_digit_sized_parts():
    mask, _ = blob([30, 26, 34, 28])
    parts, ways = segment.splits(mask)
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
    parts, ways = segment.splits(mask)
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
    assert len(segment.group_digits(mask)) == 1


def test_pieces_side_by_side_stay_two_digits():
    mask = np.zeros((60, 80), bool)
    stroke(mask, 20, 24, 5, 55)                # 1 1, written close together
    stroke(mask, 34, 38, 8, 55)
    assert len(segment.group_digits(mask)) == 2


def test_a_wide_piece_is_cut_on_less_evidence():
    from predict import choose

    def read(digit, confidence):
        p = np.full(10, (1 - confidence) / 9, np.float32)
        p[digit] = confidence
        return (np.zeros((28, 28), np.float32), p)

    whole = read(8, 0.6)
    cut = [read(1, 0.87), read(3, 0.95)]
    assert choose(whole, [cut], wide=False) == [whole]      # 0.87 is below the usual 0.9
    assert choose(whole, [cut], wide=True) == cut
    sure = read(8, 0.8)
    assert choose(sure, [cut], wide=True) == [sure]          # not 0.1 above the whole
    mask = np.zeros((50, 130), bool)
    mask[10:40, 10:48] = True                                 # 38 wide, 30 tall
    assert segment.is_wide(mask)
    mask[10:40, 40:48] = False                                # 30 wide
    assert not segment.is_wide(mask)
