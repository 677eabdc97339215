#!/usr/bin/env python3
"""Open a .kconv file with the reference `safetensors` package and compare it with its source .h5.

Run by hand (not in CI), in a virtualenv with `pip install safetensors h5py numpy`:

    /work/venv/bin/python Tools/check_safetensors.py OUT.kconv SOURCE.h5 [--inputs X.npy ...] [--expected Y.npy ...]

Checks that:
  - safetensors (the Hugging Face reference reader) opens the file and every tensor is float32;
  - __metadata__ has format "kconv", format_version "1", a graph that is JSON with layers,
    and source_sha256 (source_weights_sha256 for a JSON architecture) equal to the sha256 of SOURCE.h5;
  - for every layer of SOURCE.h5's weights, the kconv tensors "<layer>/<i>" equal the h5 datasets
    listed in the layer's weight_names, bit for bit (in order, or as a permutation for nested
    models, whose weights kconv stores sublayer by sublayer); no other weight tensors exist;
  - the stored __test__ vectors equal the given .npy files, when given.
Keras 1 and Theano sources are the exception: kconv stores their weights converted to its own
layouts, so those layers are expected to differ here.
Exit 0 when everything matches, 1 otherwise.
"""
import argparse
import hashlib
import json
import sys

import h5py
import numpy as np
from safetensors import safe_open


def attr_list(group, name):
    """A string-list attribute, also when Keras split it over name0, name1, ..."""
    if name in group.attrs:
        values = list(group.attrs[name])
    else:
        values, i = [], 0
        while f"{name}{i}" in group.attrs:
            values.extend(group.attrs[f"{name}{i}"])
            i += 1
    return [v.decode("utf8") if isinstance(v, bytes) else str(v) for v in values]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kconv")
    parser.add_argument("source_h5")
    parser.add_argument("--inputs", nargs="*", default=[])
    parser.add_argument("--expected", nargs="*", default=[])
    args = parser.parse_args()
    problems = []

    with safe_open(args.kconv, framework="numpy") as f:
        meta = f.metadata() or {}
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    print(f"{args.kconv}: safetensors opened it: {len(tensors)} tensors, metadata keys {sorted(meta)}")

    for key, want in [("format", "kconv"), ("format_version", "1")]:
        if meta.get(key) != want:
            problems.append(f"metadata {key} = {meta.get(key)!r}, expected {want!r}")
    try:
        graph = json.loads(meta.get("graph", ""))
        print(f"graph: {graph.get('class_name')} '{graph.get('name')}' with {len(graph.get('layers', []))} layers")
        if not isinstance(graph.get("layers"), list):
            problems.append("metadata graph has no layer list")
    except ValueError as e:
        problems.append(f"metadata graph is not JSON: {e}")
    for name, t in tensors.items():
        if t.dtype != np.float32:
            problems.append(f"tensor {name} has dtype {t.dtype}")

    with open(args.source_h5, "rb") as src:
        digest = hashlib.sha256(src.read()).hexdigest()
    # A JSON architecture's weights file is recorded as source_weights_sha256.
    key = "source_weights_sha256" if "source_weights_sha256" in meta else "source_sha256"
    if meta.get(key) != digest:
        problems.append(f"{key} {meta.get(key)} != sha256({args.source_h5}) {digest}")
    else:
        print(f"{key} matches {args.source_h5}")

    weight_keys = {k for k in tensors if not k.startswith("__test__/")}
    used = set()
    compared = reordered = 0
    with h5py.File(args.source_h5, "r") as h5:
        group = h5["model_weights"] if "model_weights" in h5 else h5
        for layer in attr_list(group, "layer_names"):
            names = attr_list(group[layer], "weight_names")
            h5_arrays = [np.asarray(group[layer][n], dtype=np.float32) for n in names]
            ours = []
            while f"{layer}/{len(ours)}" in tensors:
                ours.append(tensors[f"{layer}/{len(ours)}"])
                used.add(f"{layer}/{len(ours) - 1}")
            if len(ours) != len(h5_arrays):
                problems.append(f"layer {layer}: {len(ours)} tensors in .kconv, {len(h5_arrays)} in the h5")
                continue

            def same(a, b):
                return a.shape == b.shape and a.tobytes() == b.tobytes()

            if all(same(a, b) for a, b in zip(ours, h5_arrays)):
                compared += len(ours)
                continue
            # Nested models: kconv stores the weights sublayer by sublayer; accept a permutation.
            remaining = list(range(len(h5_arrays)))
            ok = True
            for a in ours:
                match = next((j for j in remaining if same(a, h5_arrays[j])), None)
                if match is None:
                    ok = False
                    break
                remaining.remove(match)
            if ok:
                compared += len(ours)
                reordered += 1
            else:
                problems.append(f"layer {layer}: tensors differ from the h5's {names}")
    extra = weight_keys - used
    if extra:
        problems.append(f"tensors not in the h5: {sorted(extra)[:5]}")
    print(f"weights: {compared} tensors bit-identical to the h5" + (f" ({reordered} layer(s) in sublayer order)" if reordered else ""))

    for prefix, files in [("input", args.inputs), ("expected", args.expected)]:
        for i, path in enumerate(files):
            key = f"__test__/{prefix}_{i}"
            ref = np.load(path).astype(np.float32)
            if key not in tensors:
                problems.append(f"{key} missing")
            elif tensors[key].shape != ref.shape or tensors[key].tobytes() != ref.tobytes():
                problems.append(f"{key} differs from {path}")
            else:
                print(f"{key} equals {path}")

    for p in problems:
        print("PROBLEM:", p)
    print("check_safetensors: " + ("OK" if not problems else f"{len(problems)} problem(s)"))
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
