#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora, Fuzz/Corpus/<target>/, from the smallest files of
Conformance/cases (run it again when a target or the conformance cases change):

  npy        the smallest .npy inputs and expected outputs
  config     model JSON (to_json), .h5 model_config and .keras config.json texts
  keras-zip  the smallest .keras archives, as Keras wrote them and re-zipped with deflate
  kconv      .kconv files made by `kconv import` from the smallest .h5 models
  csv        the CSV fixtures of Tests/Fixtures/csv, each behind an option byte (see Fuzz/Targets/csv)

Needs h5py (the project's venv) and a built kconv (default .build/debug/kconv).
Usage: /work/venv/bin/python Tools/make_fuzz_seeds.py [KCONV]
"""
import glob
import io
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

import h5py

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = os.path.join(ROOT, "Conformance", "cases")
CORPUS = os.path.join(ROOT, "Fuzz", "Corpus")


def smallest(pattern, count, limit):
    files = [f for f in glob.glob(os.path.join(CASES, pattern)) if os.path.getsize(f) <= limit]
    return sorted(files, key=lambda f: (os.path.getsize(f), f))[:count]


def seed_name(path):
    return os.path.relpath(path, CASES).replace(os.sep, "__")


def fresh(target):
    folder = os.path.join(CORPUS, target)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    return folder


def write(folder, name, data):
    with open(os.path.join(folder, name), "wb") as out:
        out.write(data)


def main():
    kconv = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "debug", "kconv")

    folder = fresh("npy")
    for f in smallest("*/*.npy", 10, 4096):
        shutil.copy(f, os.path.join(folder, seed_name(f)))

    folder = fresh("config")
    for f in smallest("*/model.json", 6, 16384):
        shutil.copy(f, os.path.join(folder, seed_name(f)))
    for f in smallest("*/model.h5", 6, 65536):
        with h5py.File(f, "r") as h5:
            text = h5.attrs.get("model_config")
        if text is not None:
            write(folder, seed_name(f) + ".model_config.json", text if isinstance(text, bytes) else text.encode())
    for f in smallest("*/model.keras", 6, 65536):
        with zipfile.ZipFile(f) as z:
            write(folder, seed_name(f) + ".config.json", z.read("config.json"))

    folder = fresh("keras-zip")
    for f in smallest("*/model.keras", 4, 32768):
        shutil.copy(f, os.path.join(folder, seed_name(f)))
        rezipped = io.BytesIO()
        with zipfile.ZipFile(f) as source, zipfile.ZipFile(rezipped, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                target.writestr(info.filename, source.read(info.filename))
        write(folder, seed_name(f) + ".deflated.keras", rezipped.getvalue())

    folder = fresh("kconv")
    with tempfile.TemporaryDirectory() as scratch:
        for f in smallest("*/model.h5", 6, 32768):
            out = os.path.join(scratch, "seed.kconv")
            if subprocess.run([kconv, "import", f, "-o", out], capture_output=True).returncode == 0:
                shutil.copy(out, os.path.join(folder, seed_name(f) + ".kconv"))

    folder = fresh("csv")
    for f in sorted(glob.glob(os.path.join(ROOT, "Tests", "Fixtures", "csv", "*.csv"))):
        with open(f, "rb") as source:
            text = source.read()[:4096]
        for choice in (0x00, 0x2B, 0x34):
            write(folder, f"{os.path.basename(f)}.{choice:02x}", bytes([choice]) + text)

    for target in sorted(os.listdir(CORPUS)):
        files = os.listdir(os.path.join(CORPUS, target))
        total = sum(os.path.getsize(os.path.join(CORPUS, target, f)) for f in files)
        print(f"{target}: {len(files)} seeds, {total} bytes")


if __name__ == "__main__":
    main()
