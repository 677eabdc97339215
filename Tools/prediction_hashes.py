#!/usr/bin/env python3
"""Print the SHA-256 of the bytes `kconv predict` writes for every conformance case.

usage: prediction_hashes.py KCONV_BINARY [--out FILE] [--compare FILE]

For each case in Conformance/cases: `kconv predict` on the case's model with its inputs, and one
line `NAME SHA256` over the concatenated output .npy files. A refactor that must not change
behaviour records the hashes before (`--out before.txt`) and compares after
(`--compare before.txt`): exit 1 and the differing cases when any recorded hash differs or its
case is gone; cases added since are listed, not compared. Stdlib only.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = os.path.join(ROOT, "Conformance", "cases")


def case_hash(kconv, d, case, tmp):
    model = [os.path.join(d, case["model"])] + (["--weights", os.path.join(d, case["weights"])] if case.get("weights") else [])
    inputs = sum((["--input", os.path.join(d, f)] for f in case["inputs"]), [])
    paths = [os.path.join(tmp, f"{case['name']}.{i}.npy") for i in range(len(case["expected"]))]
    p = subprocess.run([kconv, "predict"] + model + inputs + sum((["--output", q] for q in paths), []),
                       capture_output=True, text=True)
    if p.returncode != 0:
        return "error:" + p.stderr.strip().replace(" ", "_")[:80]
    digest = hashlib.sha256()
    for q in paths:
        with open(q, "rb") as f:
            digest.update(f.read())
    return digest.hexdigest()


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    out = argv[argv.index("--out") + 1] if "--out" in argv else None
    compare = argv[argv.index("--compare") + 1] if "--compare" in argv else None
    args = [a for a in args if a not in (out, compare)]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    kconv = os.path.abspath(args[0])
    tmp = tempfile.mkdtemp(prefix="kconv_hashes_")
    lines = []
    for name in sorted(os.listdir(CASES)):
        d = os.path.join(CASES, name)
        if not os.path.isfile(os.path.join(d, "case.json")):
            continue
        with open(os.path.join(d, "case.json")) as f:
            case = json.load(f)
        lines.append(f"{name} {case_hash(kconv, d, case, tmp)}")
    text = "\n".join(lines) + "\n"
    if out:
        with open(out, "w") as f:
            f.write(text)
    if not compare:
        sys.stdout.write(text)
        return 0
    with open(compare) as f:
        before = dict(line.split(" ", 1) for line in f.read().splitlines() if line)
    after = dict(line.split(" ", 1) for line in lines)
    differing = sorted(n for n in before if before[n] != after.get(n))
    for n in differing:
        print(f"DIFFERS {n}: {before[n]} -> {after.get(n, 'missing')}")
    added = sorted(n for n in after if n not in before)
    if added:
        print(f"new cases (not compared): {', '.join(added)}")
    print(f"prediction hashes: {len(before) - len(differing)}/{len(before)} equal to {os.path.basename(compare)}")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
