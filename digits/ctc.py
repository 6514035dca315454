"""Frames -> digits: CTC's greedy decoding, with each digit's ten probabilities.

The number reader (digits/number_net.py) says, per frame, how likely each
digit is to be written there, or none (the blank). The number is the most
likely class of each frame, runs of the same class merged and blanks
dropped ('11-1--' -> '11' needs the blank between the ones). Each digit
read gets the probabilities of the frame of its run where it is surest,
over the ten digits (the blank's share divided out): the same ten numbers
the single-digit models give. A reading is scored by its edit distance to
the truth: the digit error rate is their sum over the truth's digits.
"""
import numpy as np

BLANK = 10


def greedy(frames):
    """frames [t, 11] probabilities -> list of (digit, [10] probabilities,
    the frame where it is surest)."""
    best = frames.argmax(axis=1)
    digits, start = [], 0
    for t in range(1, len(best) + 1):
        if t == len(best) or best[t] != best[start]:
            if best[start] != BLANK:
                run = frames[start:t, best[start]]
                surest = start + int(run.argmax())
                p = frames[surest, :BLANK]
                digits.append((int(best[start]), p / max(p.sum(), 1e-12), surest))
            start = t
    return digits


def frames_in(width, step):
    """How many frames a line `width` columns wide has (pooling by `step`, SAME padding)."""
    return -(-width // step)


def edit_distance(a, b):
    """Levenshtein distance between two strings: digits left out, added or misread."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]
