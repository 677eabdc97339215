#!/usr/bin/env python3
"""Writes Sources/EMGClassifier/Resources/emg.csv: 400 rows x 8 channels of EMG-like samples.

Deterministic (fixed seed, no numpy): each channel is noise shaped by a first-order filter
(surface EMG is broadband noise) times an activation envelope, with bursts of muscle activity
at different times on different channels, plus a little baseline noise. Values are in about
[-1, 1], rounded to 4 decimals.

    python3 Examples/EMGClassifier/make_emg_csv.py
"""
import math
import os
import random

ROWS, CHANNELS = 400, 8
rng = random.Random(20240601)
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "Sources", "EMGClassifier", "Resources", "emg.csv")

state = [0.0] * CHANNELS
lines = ["ch" + ",ch".join(str(c) for c in range(CHANNELS))]
for t in range(ROWS):
    row = []
    for c in range(CHANNELS):
        # Two bursts per channel, staggered across channels.
        centre1, centre2 = 60 + 25 * c, 260 + 12 * c
        envelope = 0.08 + 0.7 * math.exp(-((t - centre1) / 22.0) ** 2) + 0.5 * math.exp(-((t - centre2) / 30.0) ** 2)
        state[c] = 0.55 * state[c] + rng.gauss(0.0, 1.0)
        value = max(-1.0, min(1.0, envelope * state[c] * 0.45 + rng.gauss(0.0, 0.01)))
        row.append(f"{value:.4f}")
    lines.append(",".join(row))
with open(path, "w") as f:
    f.write("\n".join(lines) + "\n")
print(f"wrote {path}: {ROWS} rows x {CHANNELS} channels")
