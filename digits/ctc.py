"""Frames -> digits: CTC decoding, with each digit's ten probabilities.

The number reader (digits/number_net.py) says, per frame, how likely each
digit is to be written there, or none (the blank). Greedy decoding takes
the most likely class of each frame, runs of the same class merged and
blanks dropped ('11-1--' -> '11' needs the blank between the ones): the
likeliest path, which is not always the likeliest number, since a number
is the sum of all the paths that spell it. `decode` finds that number by
a prefix beam search where the greedy path could be beaten, and the path
that spells it best. Each digit read gets the probabilities of the frame
of its run where it is surest, over the ten digits (the blank's share
divided out): the same ten numbers the single-digit models give. A
reading is scored by its edit distance to the truth: the digit error rate
is their sum over the truth's digits.
"""
import numpy as np

BLANK = 10
BEAM = 8          # numbers kept at each frame of the beam search
UNLIKELY = 1e-4   # a digit less likely than this in a frame starts no number there


def greedy(frames):
    """frames [t, 11] probabilities -> list of (digit, [10] probabilities,
    the frame where it is surest)."""
    best = frames.argmax(axis=1)
    digits, start = [], 0
    for t in range(1, len(best) + 1):
        if t == len(best) or best[t] != best[start]:
            if best[start] != BLANK:
                digits.append(read_run(frames, int(best[start]), np.arange(start, t)))
            start = t
    return digits


def decode(frames):
    """frames [t, 11] probabilities -> the likeliest number, as greedy's list
    of (digit, [10] probabilities, the frame where it is surest). Where the
    greedy path alone holds over half the probability, no other number can
    be likelier, and it is the answer (most lines, and cheap)."""
    if greedy_is_likeliest(frames):
        return greedy(frames)
    number = beam_search(frames)
    return [read_run(frames, digit, run) for digit, run in zip(number, runs(frames, number))]


def greedy_is_likeliest(frames):
    """Whether the greedy path alone holds over half the probability (or
    there are no frames): then no other number can be likelier."""
    return len(frames) == 0 or np.prod(frames.max(axis=1)) > 0.5


def read_run(frames, digit, run):
    """(digit, its [10] probabilities, frame): those of the frame of its
    run (frame indices) where it is surest, the blank's share divided out."""
    surest = int(run[int(frames[run, digit].argmax())])
    p = frames[surest, :BLANK]
    return digit, p / max(p.sum(), 1e-12), surest


def beam_search(frames, width=BEAM):
    """CTC prefix beam search (Hannun et al. 2014): the likeliest number, a
    tuple of digits. Each prefix keeps two probabilities: of the paths that
    spell it ending in a blank, and ending in its last digit, since only
    after a blank may that digit be written again."""
    beams = {(): (1.0, 0.0)}
    for p in frames:
        grown = {}

        def add(prefix, blank, digit):
            b, d = grown.get(prefix, (0.0, 0.0))
            grown[prefix] = (b + blank, d + digit)

        for prefix, (blank, digit) in beams.items():
            add(prefix, (blank + digit) * p[BLANK], 0.0)
            last = prefix[-1] if prefix else None
            for c in np.flatnonzero(p[:BLANK] >= UNLIKELY):
                c = int(c)
                if c == last:
                    add(prefix, 0.0, digit * p[c])           # the same digit's run goes on
                    add(prefix + (c,), 0.0, blank * p[c])    # written again after a blank
                else:
                    add(prefix + (c,), 0.0, (blank + digit) * p[c])
        kept = sorted(grown.items(), key=lambda kv: -sum(kv[1]))[:width]
        total = sum(sum(v) for _, v in kept) or 1.0           # rescaled, so long lines do not underflow
        beams = {k: (b / total, d / total) for k, (b, d) in kept}
    return max(beams, key=lambda k: sum(beams[k]))


def runs(frames, number):
    """The frames of each digit of `number` on the likeliest path that spells
    it (Viterbi over CTC's states: blank, digit, blank, digit, ..., blank)."""
    if not number:
        return []
    states = np.full(2 * len(number) + 1, BLANK)
    states[1::2] = number
    logp = np.log(np.maximum(frames[:, states], 1e-30))      # [t, states]
    # A state is reached from itself, the one before, or, for a digit
    # unlike the one before it, the digit two before (skipping the blank).
    skip = np.zeros(len(states), bool)
    skip[3::2] = states[3::2] != states[1:-2:2]
    score = np.full(len(states), -np.inf)
    score[:2] = logp[0, :2]
    came = np.zeros((len(frames), len(states)), int)
    for t in range(1, len(frames)):
        options = np.stack([score, np.r_[-np.inf, score[:-1]],
                            np.where(skip, np.r_[-np.inf, -np.inf, score[:-2]], -np.inf)])
        best = options.argmax(axis=0)
        came[t] = np.arange(len(states)) - best
        score = options.max(axis=0) + logp[t]
    state = len(states) - 1 if score[-1] >= score[-2] else len(states) - 2   # ends on the last blank or digit
    path = [state]
    for t in range(len(frames) - 1, 0, -1):
        state = came[t, state]
        path.append(state)
    path = np.array(path[::-1])
    return [np.flatnonzero(path == 2 * i + 1) for i in range(len(number))]


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
