"""The case writer: `Case` and its spec_hash, whether a case on disk is current, and writing a
case's files (arrays, summaries, case.json) into Conformance/cases/<case>/."""
import hashlib
import inspect
import json
import os
import shutil

import numpy as np

from .env import TF_LABEL
from .helpers import SHARED_HELPERS

GENERATOR_VERSION = "kconv-conformance-gen/1"
DEFAULT_TOLERANCE = 1e-5

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CASES_DIR = os.path.join(ROOT, "Conformance", "cases")


class Case:
    """One conformance case.  `keras=3` cases (families/keras3.py) are built and saved with Keras 3
    (`import keras`) by their own `generate` function, which replaces the tf_keras pipeline
    (pipeline.py) and may write other formats (.keras, Keras 3 legacy .h5, .weights.h5, hand-made
    fixtures)."""

    def __init__(self, name, builder, params, description, covers, fmt="h5", deps=(), tolerance=DEFAULT_TOLERANCE,
                 allow_nonfinite=False, keras=2, generate=None, layer_outputs=False):
        assert fmt in ("h5", "json+weights") or generate is not None
        self.keras = keras
        self.generate = generate
        self.name = name
        self.builder = builder
        self.params = params
        self.description = description
        self.covers = covers
        self.fmt = fmt
        self.deps = list(deps)
        self.tolerance = tolerance
        self.allow_nonfinite = allow_nonfinite  # NaN/inf in the expected outputs are intended
        self.layer_outputs = layer_outputs  # also write every layer's output under layers/

    def spec_hash(self):
        h = hashlib.sha256()
        h.update(GENERATOR_VERSION.encode())
        for fn in [self.builder] + self.deps + SHARED_HELPERS:
            h.update(b"\0" + inspect.getsource(fn).encode())
        h.update(b"\0" + json.dumps(self.params, sort_keys=True).encode())
        h.update(b"\0" + self.fmt.encode())
        if self.layer_outputs:
            h.update(b"\0layer_outputs")
        if self.keras != 2 or self.generate is not None:  # (absent for tf_keras cases: their hashes stay)
            h.update(b"\0keras=" + str(self.keras).encode())
            if self.generate is not None:
                h.update(b"\0" + inspect.getsource(self.generate).encode())
        return h.hexdigest()


def case_files(meta):
    files = ["case.json", "summary.json", "summary.txt", meta["model"]]
    if meta.get("weights"):
        files.append(meta["weights"])
    files += [f for chunk in meta.get("chunks", []) for f in chunk["inputs"] + chunk["expected"]]
    return files + list(meta["inputs"]) + list(meta["expected"]) + list(meta.get("layers", []))


def is_current(case, spec_hash):
    path = os.path.join(CASES_DIR, case.name, "case.json")
    if not os.path.exists(path):
        return False, "new"
    with open(path) as f:
        meta = json.load(f)
    if meta.get("spec_hash") != spec_hash:
        return False, "changed"
    missing = [p for p in case_files(meta) if not os.path.exists(os.path.join(CASES_DIR, case.name, p))]
    if missing:
        return False, "incomplete (missing " + ", ".join(missing) + ")"
    return True, "unchanged"


def refresh_metadata(case):
    """Rewrites a current case's case.json when only its description or covers changed (they are not
    part of the spec_hash), leaving the model and arrays untouched. Returns whether it did."""
    path = os.path.join(CASES_DIR, case.name, "case.json")
    with open(path) as f:
        meta = json.load(f)
    if meta.get("description") == case.description and meta.get("covers") == case.covers:
        return False
    meta["description"], meta["covers"] = case.description, case.covers
    with open(path, "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    return True


def save_npy(path, array):
    np.save(path, np.ascontiguousarray(np.asarray(array, dtype=np.float32)), allow_pickle=False)


def write_case(case, spec_hash, tmp, keras_label, model_file, weights_file, inputs, expected, summary, text,
               extra=None):
    """Writes inputs, expected outputs, summaries and case.json into `tmp` (which already holds the
    model file), then moves it into place as Conformance/cases/<case>/. `extra`: further case.json
    fields ("layers", "chunks"), written after "expected"."""
    input_names = [f"input_{i}.npy" for i in range(len(inputs))]
    expected_names = [f"expected_{i}.npy" for i in range(len(expected))]
    for n, a in zip(input_names, inputs):
        save_npy(os.path.join(tmp, n), a)
    for n, a in zip(expected_names, expected):
        save_npy(os.path.join(tmp, n), a)
    with open(os.path.join(tmp, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")
    with open(os.path.join(tmp, "summary.txt"), "w") as f:
        f.write(text)
    meta = {
        "name": case.name, "description": case.description, "keras": keras_label, "tensorflow": TF_LABEL,
        "format": case.fmt, "model": model_file, "weights": weights_file, "inputs": input_names,
        "expected": expected_names, **(extra or {}), "tolerance": case.tolerance, "covers": case.covers,
        "spec_hash": spec_hash, "generator": GENERATOR_VERSION,
    }
    with open(os.path.join(tmp, "case.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    final = os.path.join(CASES_DIR, case.name)
    if os.path.exists(final):
        shutil.rmtree(final)
    os.rename(tmp, final)
    os.chmod(final, 0o755)
