"""Numerical edge cases: NaN and large magnitudes in the input, as Keras propagates them."""
import numpy as np

from ..case import Case
from ..env import L, keras
from ..helpers import branches, simple_case


def build_nan_propagation(seed):
    x = keras.Input((6, 3), name="x")
    conv = L.Conv1D(4, 3, padding="same", activation="relu", name="conv")(x)
    pooled = L.MaxPooling1D(2, name="pool")(conv)
    lstm = L.LSTM(5, return_sequences=True, name="lstm")(x)
    dense = L.Dense(2, activation="tanh", name="dense")(x)
    model = branches(x, [pooled, lstm, dense], "nan_propagation")
    built = simple_case(model, seed)
    # Sample 0: one NaN at step 2, feature 1; sample 1: +inf and a large finite value.
    built.inputs[0][0, 2, 1] = np.nan
    built.inputs[0][1, 4, 0] = np.inf
    built.inputs[0][1, 1, 2] = 1.0e30
    return built


def cases():
    return [
        Case("nan_propagation", build_nan_propagation, {"seed": 900},
             "NaN, +inf and 1e30 in the input of Conv1D(same, relu) -> MaxPooling1D, LSTM(return_sequences) and "
             "Dense(tanh) branches: expected NaN/inf patterns are Keras' own.",
             ["Functional", "input.nan", "input.inf", "Conv1D.padding=same", "MaxPooling1D.padding=valid",
              "LSTM.return_sequences=True", "Dense.activation=tanh"],
             allow_nonfinite=True),
    ]
