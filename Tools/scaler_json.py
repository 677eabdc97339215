#!/usr/bin/env python3
"""Writes the scaler JSON that `kconv import --scaler` keeps with a model, from a fitted
scikit-learn StandardScaler or MinMaxScaler saved with pickle or joblib.

    python3 Tools/scaler_json.py scaler.pkl scaler.json

The JSON holds scikit-learn's own fitted attributes, which kconv applies as `transform` does
(in float64, then cast to float32):

    {"class": "StandardScaler", "mean_": [...], "scale_": [...]}   # (x - mean_) / scale_
    {"class": "MinMaxScaler", "scale_": [...], "min_": [...]}      # x * scale_ + min_

`mean_` (`scale_`) is null for a StandardScaler made with with_mean=False (with_std=False).
Numbers are written with Python's repr, so they read back bit for bit.
"""
import json
import pickle
import sys


def scaler_dict(scaler):
    """The JSON object for a fitted StandardScaler or MinMaxScaler."""
    name = type(scaler).__name__

    def vector(values):
        return None if values is None else [float(v) for v in values]

    if name == "StandardScaler":
        return {"class": name,
                "mean_": vector(scaler.mean_) if scaler.with_mean else None,
                "scale_": vector(scaler.scale_) if scaler.with_std else None}
    if name == "MinMaxScaler":
        if getattr(scaler, "clip", False):
            raise SystemExit("MinMaxScaler(clip=True) is not supported: kconv does not clip")
        return {"class": name, "scale_": vector(scaler.scale_), "min_": vector(scaler.min_)}
    raise SystemExit(f"{name} is not supported: give a fitted StandardScaler or MinMaxScaler")


def main(argv):
    if len(argv) != 3:
        raise SystemExit("usage: scaler_json.py SCALER.pkl OUT.json")
    with open(argv[1], "rb") as f:
        try:
            scaler = pickle.load(f)
        except Exception:  # joblib files are pickles with numpy arrays stored alongside
            import joblib
            scaler = joblib.load(argv[1])
    with open(argv[2], "w") as f:
        json.dump(scaler_dict(scaler), f)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv)
