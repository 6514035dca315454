"""Frames -> digits: CTC's greedy decoding, with each digit's ten probabilities.

The number reader (digits/number_net.py) says, per frame, how likely each
digit is to be written there, or none (the blank). The number is the most
likely class of each frame, runs of the same class merged and blanks
dropped ('11-1--' -> '11' needs the blank between the ones). Each digit
read gets the probabilities of the frame of its run where it is surest,
over the ten digits (the blank's share divided out): the same ten numbers
the single-digit models give.
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
