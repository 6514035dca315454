"""Confidence that means something: temperature scaling (Guo et al. 2017) and its measure.

Label smoothing trains a model to say about 0.9 where it is right 99.6% of
the time. One number, the temperature T, fitted after training on the
validation digits, rescales its logits (logits / T) so that a confidence of
p is right about p of the time; the most likely digit never changes.
"""
import numpy as np

BINS = 15   # confidence bins of the expected calibration error, as in Guo et al.


def fit_temperature(logits, labels):
    """The T > 0 minimising the cross-entropy of softmax(logits / T) on
    `labels` (logits [n, 10], labels [n] ints)."""
    from scipy import optimize   # here: reading needs none of it, and it costs start-up time
    logits = np.asarray(logits, np.float64)

    def loss(log_t):
        scaled = logits / np.exp(log_t)
        top = scaled.max(axis=1)
        log_sum = top + np.log(np.exp(scaled - top[:, None]).sum(axis=1))
        return np.mean(log_sum - scaled[np.arange(len(labels)), labels])

    return float(np.exp(optimize.minimize_scalar(loss, bounds=(-4, 4), method='bounded').x))


def calibrated(probabilities, temperature):
    """Probabilities [..., 10] as they are after dividing the logits by
    `temperature`: p ** (1 / T), normalised (softmax's logits are log p plus a constant)."""
    if temperature == 1:
        return probabilities
    log_p = np.log(np.maximum(np.asarray(probabilities, np.float64), 1e-30)) / temperature
    scaled = np.exp(log_p - log_p.max(axis=-1, keepdims=True))
    return (scaled / scaled.sum(axis=-1, keepdims=True)).astype(np.float32)


def expected_calibration_error(probabilities, labels, bins=BINS):
    """The mean gap between confidence and accuracy over `bins` equal-width
    confidence bins, weighted by how many predictions fall in each
    (probabilities [n, 10], labels [n])."""
    probabilities = np.asarray(probabilities)
    confidence = probabilities.max(axis=1)
    right = probabilities.argmax(axis=1) == np.asarray(labels)
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    gap = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            gap += inside.sum() * abs(right[inside].mean() - confidence[inside].mean())
    return gap / len(confidence)
