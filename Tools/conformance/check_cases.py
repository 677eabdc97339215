#!/usr/bin/env python3
"""Check a kconv binary against every case in Conformance/cases, through its command line.

usage: check_cases.py KCONV_BINARY [--only SUBSTR] [--via-kconv]

For each case: `kconv verify` with the case's inputs, expected outputs and tolerance (exit 0 =
pass), and `kconv summary --json` compared field by field with the case's summary.json (Keras').
With --via-kconv the model is first converted with `kconv import` (Keras' vectors stored in the
file), the .kconv is verified with its stored vectors and summarised, and `kconv predict` on the
.kconv must write the same bytes as on the source file.
Prints one row per case with the largest absolute error over its outputs, and a last line
`conformance: P/N outputs pass, S/N summaries match`. Exit 0 when everything passes. Stdlib only.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CASES = os.path.join(ROOT, "Conformance", "cases")


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def same_predictions(kconv, source, converted, d, case, tmp):
    """`kconv predict` on the source model and on its .kconv: the output files are byte-identical."""
    inputs = sum((["--input", os.path.join(d, f)] for f in case["inputs"]), [])
    written = []
    for tag, model in (("source", source), ("kconv", [converted])):
        paths = [os.path.join(tmp, f"{case['name']}.{tag}.{i}.npy") for i in range(len(case["expected"]))]
        rc, _, _ = run([kconv, "predict"] + model + inputs + sum((["--output", p] for p in paths), []))
        if rc != 0:
            return False
        written.append([open(p, "rb").read() for p in paths])
    return written[0] == written[1]


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    only = argv[argv.index("--only") + 1] if "--only" in argv else None
    if only in args:
        args.remove(only)
    via_kconv = "--via-kconv" in argv
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    kconv = os.path.abspath(args[0])
    tmp = tempfile.mkdtemp(prefix="kconv_cases_")
    outputs_ok = summaries_ok = total = 0
    for name in sorted(os.listdir(CASES)):
        d = os.path.join(CASES, name)
        if not os.path.isfile(os.path.join(d, "case.json")) or (only and only not in name):
            continue
        total += 1
        case = json.load(open(os.path.join(d, "case.json")))
        model = [os.path.join(d, case["model"])] + (["--weights", os.path.join(d, case["weights"])] if case.get("weights") else [])
        io = sum((["--input", os.path.join(d, f)] for f in case["inputs"]), [])
        io += sum((["--expected", os.path.join(d, f)] for f in case["expected"]), [])
        tol = ["--tolerance", str(case.get("tolerance", 1e-5))]
        if via_kconv:
            converted = os.path.join(tmp, name + ".kconv")
            rc, out, err = run([kconv, "import"] + model + ["-o", converted]
                               + [a.replace("--input", "--test-input").replace("--expected", "--test-output") for a in io])
            if rc != 0:
                print(f"FAIL {name:36s} import: {err.strip()[:120]}")
                continue
            if not same_predictions(kconv, model, converted, d, case, tmp):
                print(f"FAIL {name:36s} predict: the .kconv's outputs differ from the source file's")
                continue
            model, io = [converted], []
        rc, out, err = run([kconv, "verify"] + model + io + tol)
        errors = [float(x) for x in re.findall(r"max abs ([0-9.e+-]+|inf|nan)", out) if x not in ("inf", "nan")]
        worst = max(errors) if errors else float("nan")
        v_ok = rc == 0
        outputs_ok += v_ok
        rc2, out2, err2 = run([kconv, "summary"] + model + ["--json"])
        s_ok = False
        if rc2 == 0:
            ours, ref = json.loads(out2), json.load(open(os.path.join(d, "summary.json")))
            keys = ("name", "class_name", "output_shape", "params")
            s_ok = ([{k: l[k] for k in keys} for l in ours["layers"]] == [{k: l[k] for k in keys} for l in ref["layers"]]
                    and all(ours[k] == ref[k] for k in ("total_params", "trainable_params", "non_trainable_params")))
        summaries_ok += s_ok
        status = "PASS" if v_ok and s_ok else "FAIL"
        detail = "" if v_ok else " | " + (err.strip() or out.strip().splitlines()[-1])[:100]
        print(f"{status} {name:36s} max abs {worst:9.2e}  outputs {'ok' if v_ok else 'FAIL'}  summary {'ok' if s_ok else 'FAIL'}{detail}")
        sys.stdout.flush()
    print(f"conformance: {outputs_ok}/{total} outputs pass, {summaries_ok}/{total} summaries match")
    return 0 if outputs_ok == summaries_ok == total else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
