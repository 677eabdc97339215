#!/usr/bin/env python3
"""Benchmark kconv against ONNX Runtime and TensorFlow on the seed models, same thread counts.

usage: benchmark.py KCONV_BINARY [--models DIR] [--rounds 5] [--batch 1 --batch 64]
                    [--threads 1 --threads 2] [--no-tf] [--json OUT.json]

Setup: a release build (`swift build -c release`, then give .build/release/kconv) and the Python
environment of Tools/setup.sh (tensorflow-cpu, tf_keras, onnxruntime, tf2onnx). Models: the `.h5`
files of `../shared/bench` (A–D, see its README), or --models DIR.

Every measurement runs in a fresh process: `kconv bench MODEL --json --threads T`, and this script
as a worker for ONNX Runtime (the model converted once by tf2onnx, opset 17; `intra_op_num_threads=T,
inter_op_num_threads=1`) and for TensorFlow (a `tf.function` of `model(x, training=False)` with a
fixed input signature; intra- and inter-op threads set to T and 1 before any op runs). Rounds
alternate the systems (kconv, ORT, TF, kconv, ...), and the table gives the median over rounds of
each process' median latency. Inputs: uniform [-1, 1) float32 of the models' input shapes.

It prints the CPU's model and flags, the single-thread FP32 FMA peak measured by fma_peak.c (512-bit
where the CPU has AVX-512F, else 256-bit), then per model, batch and thread count: the latency of
each system, ORT/kconv and TF/kconv (> 1: kconv is faster), kconv's GFLOP/s (2 × multiply-adds of
the dense, convolution and recurrent layers) and its % of the peak of that many cores; kconv's
speed-up from 1 to 2 threads; the load + first prediction time of each model's `.kconv` and kconv's
peak resident memory at the largest batch.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_MODELS = os.path.join(ROOT, "..", "shared", "bench")
MODELS = ["A_cnn_lstm", "B_conv1d_lstm", "C_lstm_autoencoder", "D_stacked_lstm"]


def iterations(batch):
    """Timed runs per process: enough for a stable median, few for big batches."""
    return 200 if batch == 1 else 30


def quiet_tf_environment():
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def inputs_for(shapes, batch):
    import numpy as np
    rng = np.random.default_rng(0)
    return [rng.uniform(-1, 1, size=[batch] + [d or 8 for d in s]).astype(np.float32) for s in shapes]


def timed(fn, count):
    fn()  # warm-up (graph tracing, allocation)
    times = []
    for _ in range(count):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def worker(args):
    """One fresh process: one system, one model, one thread count, every batch size; prints JSON."""
    quiet_tf_environment()
    batches = [int(b) for b in args.batches.split(",")]
    result = {}
    if args.worker == "ort":
        import onnxruntime as ort
        so = ort.SessionOptions()
        so.intra_op_num_threads = args.threads
        so.inter_op_num_threads = 1
        session = ort.InferenceSession(args.onnx, so, providers=["CPUExecutionProvider"])
        shapes = [[d if isinstance(d, int) else None for d in i.shape[1:]] for i in session.get_inputs()]
        for b in batches:
            xs = inputs_for(shapes, b)
            feeds = {i.name: x for i, x in zip(session.get_inputs(), xs)}
            result[b] = timed(lambda: session.run(None, feeds), iterations(b))
    else:
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
        import tf_keras as keras
        model = keras.models.load_model(args.model, compile=False)
        spec = [tf.TensorSpec([None] + list(t.shape[1:]), tf.float32) for t in model.inputs]
        call = tf.function(lambda *x: model(list(x) if len(x) > 1 else x[0], training=False), input_signature=spec)
        shapes = [list(t.shape[1:]) for t in model.inputs]
        for b in batches:
            xs = [tf.constant(x) for x in inputs_for(shapes, b)]
            result[b] = timed(lambda: call(*xs), iterations(b))
    print(json.dumps(result))


def convert_to_onnx(model_path, out_path):
    """tf2onnx in a child process (it imports TensorFlow; the parent stays light)."""
    code = ("import os; os.environ['TF_USE_LEGACY_KERAS']='1'; os.environ['TF_CPP_MIN_LOG_LEVEL']='3'\n"
            "import sys, tensorflow as tf, tf_keras as keras, tf2onnx\n"
            "m = keras.models.load_model(sys.argv[1], compile=False)\n"
            "spec = [tf.TensorSpec([None] + list(t.shape[1:]), tf.float32) for t in m.inputs]\n"
            "proto, _ = tf2onnx.convert.from_keras(m, input_signature=spec, opset=17)\n"
            "open(sys.argv[2], 'wb').write(proto.SerializeToString())\n")
    subprocess.run([sys.executable, "-c", code, model_path, out_path], check=True, capture_output=True)


def cpu_description():
    model, flags = platform.processor() or platform.machine(), []
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and model == (platform.processor() or platform.machine()):
                    model = line.split(":", 1)[1].strip()
                elif line.startswith(("flags", "Features")) and not flags:
                    flags = line.split(":", 1)[1].split()
    except OSError:
        pass
    simd = [f for f in flags if f.startswith(("avx", "fma", "sse4", "asimd", "neon", "sve"))]
    return model, simd


def fma_peak(tmp):
    """(width in bits, GFLOP/s per core) of the widest FMA path, from fma_peak.c."""
    exe = os.path.join(tmp, "fma_peak")
    subprocess.run(["cc", "-O2", "-o", exe, os.path.join(HERE, "fma_peak.c")], check=True)
    lines = subprocess.run([exe], check=True, capture_output=True, text=True).stdout.split("\n")
    widths = [tuple(float(v) for v in l.split()) for l in lines if l.strip()]
    return widths[0] if widths else (0, 0.0), widths


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("kconv", nargs="?")
    p.add_argument("--models", default=DEFAULT_MODELS)
    p.add_argument("--only", help="comma-separated model names (default: A–D)")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--batch", type=int, action="append")
    p.add_argument("--threads", type=int, action="append")
    p.add_argument("--no-tf", action="store_true", help="skip TensorFlow")
    p.add_argument("--json", help="also write every measurement to this file")
    # Worker mode (internal).
    p.add_argument("--worker", choices=["ort", "tf"], help=argparse.SUPPRESS)
    p.add_argument("--model", help=argparse.SUPPRESS)
    p.add_argument("--onnx", help=argparse.SUPPRESS)
    p.add_argument("--batches", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.worker:
        a.threads = a.threads[0]
        return worker(a)
    if not a.kconv:
        p.error("give the kconv binary (a release build: .build/release/kconv)")
    batches = a.batch or [1, 64]
    thread_counts = a.threads or [1, 2]
    names = a.only.split(",") if a.only else MODELS
    systems = ["kconv", "ort"] + ([] if a.no_tf else ["tf"])

    import onnxruntime
    tmp = tempfile.mkdtemp(prefix="kconv-bench-")
    model, simd = cpu_description()
    (width, peak), all_peaks = fma_peak(tmp)
    print(f"CPU: {model}; {os.cpu_count()} logical cores; SIMD flags: {' '.join(simd)}")
    print("FMA peak, 1 thread: " + ", ".join(f"{int(w)}-bit {g:.1f} GFLOP/s" for w, g in all_peaks)
          + f" (fma_peak.c; % of peak below uses {int(width)}-bit × threads)")
    print(f"ONNX Runtime {onnxruntime.__version__}; kconv: {a.kconv}; rounds: {a.rounds}; "
          f"batches {batches}; threads {thread_counts}", flush=True)

    paths, onnx, kconv_files = {}, {}, {}
    for n in names:
        paths[n] = os.path.join(a.models, n + ".h5")
        onnx[n] = os.path.join(tmp, n + ".onnx")
        convert_to_onnx(paths[n], onnx[n])
        kconv_files[n] = os.path.join(tmp, n + ".kconv")
        subprocess.run([a.kconv, "import", paths[n], "-o", kconv_files[n], "--self-test"], check=True, capture_output=True)

    batch_args = ",".join(map(str, batches))
    samples = {}   # (system, model, batch, threads) -> [ms per round]
    extra = {}     # (model, threads) -> last kconv JSON (GFLOP/s, memory)
    starts = {}    # (model, threads) -> [(load ms, first prediction ms) per round]
    for r in range(a.rounds):
        for n in names:
            for t in thread_counts:
                for s in systems:
                    if s == "kconv":
                        cmd = [a.kconv, "bench", kconv_files[n], "--json", "--threads", str(t)]
                        for b in batches:
                            cmd += ["--batch", str(b)]
                        # kconv bench times every batch with one --iterations: the larger batches' count.
                        cmd += ["--iterations", str(iterations(max(batches)))]
                        out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
                        extra[(n, t)] = out
                        starts.setdefault((n, t), []).append((out["load_ms"], out["first_prediction_ms"]))
                        ms = {run["batch"]: run["median_ms"] for run in out["runs"]}
                    else:
                        cmd = [sys.executable, os.path.abspath(__file__), "--worker", s, "--threads", str(t),
                               "--batches", batch_args, "--model", paths[n], "--onnx", onnx[n]]
                        env = dict(os.environ, OMP_NUM_THREADS=str(t))
                        ms = {int(k): v for k, v in json.loads(subprocess.run(
                            cmd, check=True, capture_output=True, text=True, env=env).stdout).items()}
                    for b in batches:
                        samples.setdefault((s, n, b, t), []).append(ms[b])
        print(f"round {r + 1}/{a.rounds} done", file=sys.stderr, flush=True)

    med = {k: statistics.median(v) for k, v in samples.items()}
    macs = {n: {run["batch"]: run["multiply_adds"] for run in extra[(n, thread_counts[0])]["runs"]} for n in names}
    head = f"{'model':20s} {'batch':>5s} {'thr':>3s} {'kconv ms':>9s} {'ORT ms':>9s}"
    head += "" if a.no_tf else f" {'TF ms':>9s}"
    head += f" {'ORT/kconv':>9s}" + ("" if a.no_tf else f" {'TF/kconv':>8s}") + f" {'GFLOP/s':>8s} {'% peak':>6s}"
    print(head)
    for n in names:
        for b in batches:
            for t in thread_counts:
                k, o = med[("kconv", n, b, t)], med[("ort", n, b, t)]
                gflops = 2 * macs[n][b] / (k / 1000) / 1e9
                line = f"{n:20s} {b:5d} {t:3d} {k:9.3f} {o:9.3f}"
                if not a.no_tf:
                    line += f" {med[('tf', n, b, t)]:9.3f}"
                line += f" {o / k:9.2f}"
                if not a.no_tf:
                    line += f" {med[('tf', n, b, t)] / k:8.2f}"
                line += f" {gflops:8.1f} {100 * gflops / (peak * t) if peak else 0:6.1f}"
                print(line)
    if 1 in thread_counts and len(thread_counts) > 1:
        t2 = max(thread_counts)
        print(f"kconv speed-up from 1 to {t2} threads: " + "; ".join(
            f"{n} b{b} {med[('kconv', n, b, 1)] / med[('kconv', n, b, t2)]:.2f}×" for n in names for b in batches))
        print(f"ORT speed-up from 1 to {t2} threads: " + "; ".join(
            f"{n} b{b} {med[('ort', n, b, 1)] / med[('ort', n, b, t2)]:.2f}×" for n in names for b in batches))
    for n in names:
        out = extra[(n, thread_counts[0])]
        rounds = starts[(n, thread_counts[0])]
        load = statistics.median(l for l, _ in rounds)
        first = statistics.median(f for _, f in rounds)
        total = statistics.median(l + f for l, f in rounds)
        print(f"{n}: .kconv load {load:.1f} ms + first prediction (batch {batches[0]}) {first:.1f} ms = {total:.1f} ms "
              f"(medians over {len(rounds)} processes, {thread_counts[0]} thread(s)); peak RSS {out['peak_rss_mb']:.1f} MB "
              f"at batch {max(batches)}; kernels {out['kernels']}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"cpu": model, "simd": simd, "peak_gflops": all_peaks,
                       "samples": [{"system": s, "model": n, "batch": b, "threads": t, "ms": v}
                                   for (s, n, b, t), v in samples.items()],
                       "kconv_starts": [{"model": n, "threads": t, "load_ms": [l for l, _ in v],
                                         "first_prediction_ms": [f for _, f in v]}
                                        for (n, t), v in starts.items()]}, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
