#!/usr/bin/env python3
"""Benchmark kconv against TensorFlow (and ONNX Runtime when available) on the same models.

usage: benchmark.py KCONV_BINARY [--cases a,b,...] [--batch 1 --batch 32] [--iterations 20]

For each conformance case: `kconv bench MODEL --json` (release build recommended), then the same
model in tf_keras 2.21 (a `tf.function` of `model(x, training=False)`, TensorFlow's default
threading), and, if `onnxruntime` and `tf2onnx` import, the model converted to ONNX and run by an
ORT session. Inputs: uniform [-1, 1) float32 of the model's input shapes. Prints median latency
per batch size and the ratio other/kconv (> 1: kconv is faster). Records CPU and thread counts.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_CASES = ["cnn_lstm", "conv1d_lstm", "lstm_autoencoder", "stacked_lstm_reshape", "td_lstm"]


def median_ms(fn, iterations):
    fn()  # warm-up (graph tracing, allocation)
    times = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("kconv")
    p.add_argument("--cases", default=",".join(DEFAULT_CASES))
    p.add_argument("--batch", type=int, action="append")
    p.add_argument("--iterations", type=int, default=20)
    a = p.parse_args()
    batches = a.batch or [1, 32]

    import numpy as np
    import tensorflow as tf
    import tf_keras as keras
    try:
        import onnxruntime as ort
        import tf2onnx
    except ImportError:
        ort = None

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print(f"CPU: {cpu}; {os.cpu_count()} cores; TensorFlow {tf.__version__} "
          f"(intra-op threads {tf.config.threading.get_intra_op_parallelism_threads() or 'default'}); "
          f"ONNX Runtime {ort.__version__ if ort else 'not installed'}; kconv: {a.kconv}")
    header = f"{'case':22s} {'batch':>5s} {'kconv ms':>10s} {'TF ms':>10s} {'TF/kconv':>9s}"
    if ort:
        header += f" {'ORT ms':>10s} {'ORT/kconv':>9s}"
    print(header)
    for case in a.cases.split(","):
        path = os.path.join(ROOT, "Conformance", "cases", case, "model.h5")
        out = subprocess.run([a.kconv, "bench", path, "--json", "--iterations", str(a.iterations)]
                             + sum((["--batch", str(b)] for b in batches), []),
                             capture_output=True, text=True, check=True)
        ours = json.loads(out.stdout)
        ours_ms = {r["batch"]: r["median_ms"] for r in ours["runs"]}
        model = keras.models.load_model(path, compile=False)
        call = tf.function(lambda x: model(x, training=False))
        session = None
        if ort:
            spec = [tf.TensorSpec([None] + list(t.shape[1:]), tf.float32) for t in model.inputs]
            proto, _ = tf2onnx.convert.from_keras(model, input_signature=spec, opset=17)
            session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
        rng = np.random.default_rng(0)
        for b in batches:
            xs = [rng.uniform(-1, 1, size=[b] + [d or 8 for d in t.shape[1:]]).astype(np.float32) for t in model.inputs]
            tf_ms = median_ms(lambda: call(xs if len(xs) > 1 else xs[0]), a.iterations)
            k = ours_ms[b]
            line = f"{case:22s} {b:5d} {k:10.3f} {tf_ms:10.3f} {tf_ms / k:9.2f}"
            if session:
                feeds = {i.name: x for i, x in zip(session.get_inputs(), xs)}
                ort_ms = median_ms(lambda: session.run(None, feeds), a.iterations)
                line += f" {ort_ms:10.3f} {ort_ms / k:9.2f}"
            print(line, flush=True)
        print(f"{'':22s} kconv load {ours['load_ms']:.1f} ms, peak RSS {ours['peak_rss_mb']:.1f} MB", flush=True)


if __name__ == "__main__":
    sys.exit(main())
