#!/usr/bin/env python3
"""Generate the kconv conformance cases under Conformance/cases/.

Every expected array, summary and model file here comes from real Keras
(tf_keras 2.21 on TensorFlow 2.21, Keras 3.15.1 for the k3_* cases, see
requirements.txt); nothing is written by hand or by kconv.

Usage (from the repository root):

    TF_USE_LEGACY_KERAS=1 python Tools/conformance/generate.py [--only NAME[,NAME...]] [--force] [--list]

The cases are defined in families/*.py (the package layout is in __init__.py).
A case is skipped ("unchanged") when Conformance/cases/<case>/case.json already
holds the same spec_hash and every file it lists exists, so re-running never
rewrites binary files.  spec_hash = sha256 over the generator version string,
the source of the case's builder function (inspect.getsource), the sources of
the helpers it depends on (the shared numeric helpers in helpers.py plus any
declared dependencies), its JSON-encoded parameters and format, and for cases
with their own pipeline (Keras 3, old formats) that pipeline's source (case.py).
Bump GENERATOR_VERSION (case.py) when a change elsewhere must regenerate every
case; --force regenerates the selected cases regardless.
"""

import argparse
import os
import sys

if not __package__:  # run as a script: import the package from Tools/, not this directory's modules
    _here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]
    sys.path.insert(0, os.path.dirname(_here))

from conformance.case import CASES_DIR, is_current, refresh_metadata  # noqa: E402
from conformance.env import tf  # noqa: E402
from conformance.families import all_cases  # noqa: E402
from conformance.pipeline import generate  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", default=[],
                        help="generate only this case (repeatable, or comma-separated)")
    parser.add_argument("--force", action="store_true", help="regenerate even if the spec_hash is unchanged")
    parser.add_argument("--list", action="store_true", help="list the cases and their state, generate nothing")
    args = parser.parse_args(argv)

    cases = all_cases()
    names = [n.strip() for item in args.only for n in item.split(",") if n.strip()]
    by_name = {c.name: c for c in cases}
    assert len(by_name) == len(cases), "duplicate case names"
    unknown = [n for n in names if n not in by_name]
    if unknown:
        parser.error("unknown case(s): " + ", ".join(unknown))
    selected = [by_name[n] for n in names] if names else cases

    tf.config.experimental.enable_op_determinism()

    failures = 0
    for case in selected:
        spec_hash = case.spec_hash()
        current, why = is_current(case, spec_hash)
        if args.list:
            print(f"{case.name:32s} {why}")
            continue
        if current and not args.force:
            print(f"{case.name}: {'description/covers updated' if refresh_metadata(case) else 'unchanged'}", flush=True)
            continue
        print(f"{case.name}: generating ({'forced' if current else why})", flush=True)
        try:
            (case.generate or generate)(case, spec_hash)
        except Exception as e:  # report and continue with the other cases
            failures += 1
            print(f"{case.name}: FAILED: {type(e).__name__}: {e}", file=sys.stderr, flush=True)

    if os.path.isdir(CASES_DIR):
        known = set(by_name)
        stray = sorted(d for d in os.listdir(CASES_DIR)
                       if os.path.isdir(os.path.join(CASES_DIR, d)) and d not in known)
        if stray:
            print("note: directories without a case in Tools/conformance/families: " + ", ".join(stray),
                  file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
