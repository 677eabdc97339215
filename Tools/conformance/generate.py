#!/usr/bin/env python3
"""Generate the kconv conformance cases under Conformance/cases/.

Every expected array, summary and model file here comes from real Keras
(tf_keras 2.21 on TensorFlow 2.21, see requirements.txt); nothing is written by
hand or by kconv.

Usage (from the repository root):

    TF_USE_LEGACY_KERAS=1 python Tools/conformance/generate.py [--only NAME[,NAME...]] [--force] [--list]

A case is skipped ("unchanged") when Conformance/cases/<case>/case.json already
holds the same spec_hash and every file it lists exists, so re-running never
rewrites binary files.  spec_hash = sha256 over the generator version string,
the source of the case's builder function (inspect.getsource), the sources of
the helpers it depends on (the shared numeric helpers below plus any declared
dependencies) and its JSON-encoded parameters.  Bump GENERATOR_VERSION when a
change elsewhere in this file must regenerate every case; --force regenerates
the selected cases regardless.
"""

import argparse
import hashlib
import inspect
import io
import json
import os
import shutil
import sys
import tempfile

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("PYTHONHASHSEED", "0")

import warnings  # noqa: E402

warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

tf.get_logger().setLevel("ERROR")

GENERATOR_VERSION = "kconv-conformance-gen/1"
KERAS_LABEL = "tf_keras " + keras.__version__
TF_LABEL = tf.__version__
DEFAULT_TOLERANCE = 1e-5

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CASES_DIR = os.path.join(ROOT, "Conformance", "cases")

L = keras.layers
CuDNNLSTM = tf.compat.v1.keras.layers.CuDNNLSTM  # tf_keras.src.layers.rnn.cudnn_lstm

ACTIVATIONS = [
    "relu", "linear", "tanh", "sigmoid", "hard_sigmoid", "softmax", "elu",
    "selu", "softplus", "softsign", "swish", "gelu", "exponential",
]


# ---------------------------------------------------------------------------
# Shared numeric helpers (their source is part of every spec_hash).
# ---------------------------------------------------------------------------

def seed_all(seed):
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)


def rand_inputs(model, rng, low=-1.0, high=1.0, batch=2):
    """One float32 C-order array per model input, uniform in [low, high)."""
    out = []
    for t in model.inputs:
        shape = (batch,) + tuple(int(d) for d in t.shape[1:])
        out.append(np.ascontiguousarray(rng.uniform(low, high, size=shape).astype(np.float32)))
    return out


def fit_random(model, rng, n=32, epochs=2, lr=0.01, batch_size=8, loss="mse", x=None, y=None):
    """Train briefly on seeded random data so that weights (biases too) move away
    from their initial values."""
    if not model.trainable_weights:
        return
    if x is None:
        x = [rng.uniform(-1, 1, size=(n,) + tuple(int(d) for d in t.shape[1:])).astype(np.float32)
             for t in model.inputs]
    if y is None:
        y = [rng.uniform(-1, 1, size=(n,) + tuple(int(d) for d in t.shape[1:])).astype(np.float32)
             for t in model.outputs]
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr), loss=loss)
    model.fit(x if len(x) > 1 else x[0], y if len(y) > 1 else y[0],
              epochs=epochs, batch_size=batch_size, shuffle=False, verbose=0)


SHARED_HELPERS = [seed_all, rand_inputs, fit_random]


class Built:
    """What a builder returns: the (trained) model and the inputs for the
    expected outputs.  `expected` is normally None (the pipeline calls
    model.predict); a builder may supply it (cnn_lstm_cudnn)."""

    def __init__(self, model, inputs, expected=None, reload_predict=True, chunks=None):
        self.model = model
        self.inputs = inputs
        self.expected = expected
        self.reload_predict = reload_predict
        # For models with stateful recurrent layers: consecutive chunks of the same sequences (each a
        # list of inputs), predicted one after the other from reset states (case.json "chunks").
        self.chunks = chunks


def simple_case(model, seed, epochs=2, low=-1.0, high=1.0, **fit_kwargs):
    rng = np.random.default_rng(seed)
    fit_random(model, rng, epochs=epochs, **fit_kwargs)
    return Built(model, rand_inputs(model, rng, low=low, high=high))


SHARED_HELPERS.append(simple_case)


# ---------------------------------------------------------------------------
# Seed models from the user's documents.
# ---------------------------------------------------------------------------

def cnn_lstm_arch(rnn):
    return keras.Sequential([
        L.TimeDistributed(L.Conv2D(64, (3, 3), activation="relu"), input_shape=(4, 50, 8, 1), name="Conv2D_1"),
        L.TimeDistributed(L.Conv2D(64, (3, 3), activation="relu"), name="Conv2D_2"),
        L.Dropout(0.4, name="CNN_Drop_01"),
        L.TimeDistributed(L.Flatten(), name="Flatten_1"),
        rnn(28, return_sequences=True, name="LSTM_01"),
        L.Dropout(0.4, name="Drop_01"),
        rnn(28, name="LSTM_02"),
        L.Dropout(0.3, name="Drop_02"),
        L.Dense(16, activation="relu", name="FC_1"),
        L.Dropout(0.4, name="Drop_03"),
        L.Dense(1, name="FC_out"),
    ])


def build_cnn_lstm(seed):
    model = cnn_lstm_arch(L.LSTM)
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(32, 4, 50, 8, 1)).astype(np.float32)
    y = rng.uniform(-1, 1, size=(32, 1)).astype(np.float32)
    fit_random(model, rng, epochs=1, x=[x], y=[y])
    return Built(model, rand_inputs(model, rng))


def cudnn_to_lstm_reference(kernel, recurrent, bias):
    """Independent numpy version of the CuDNNLSTM -> LSTM conversion described in
    shared/KERAS_FORMATS.md 3.8 (per gate: input kernel reshape(G,(u,in)).T,
    recurrent kernel G.T, bias = first half + second half)."""
    u = recurrent.shape[0]
    n_in = kernel.shape[0]
    k = np.hstack([np.reshape(g, (u, n_in)).T for g in np.hsplit(kernel, 4)])
    r = np.hstack([g.T for g in np.hsplit(recurrent, 4)])
    b = bias[:4 * u] + bias[4 * u:]
    return k, r, b


def build_cnn_lstm_cudnn(seed, source_seed):
    # Trained conv/dense weights: rebuild and retrain the cnn_lstm case (same seed,
    # deterministic ops) and copy every non-LSTM layer with weights.
    seed_all(source_seed)
    source = build_cnn_lstm(source_seed).model
    source_weights = {l.name: l.get_weights() for l in source.layers}

    seed_all(seed)
    model = cnn_lstm_arch(CuDNNLSTM)  # built symbolically; never run on CPU
    rng = np.random.default_rng(seed)
    raw = {}
    for layer in model.layers:
        if isinstance(layer, CuDNNLSTM):
            kernel, recurrent, bias = [w.numpy() for w in layer.weights]
            n_in = kernel.shape[0]
            ws = [
                rng.normal(0.0, 1.0 / np.sqrt(n_in), size=kernel.shape),
                rng.normal(0.0, 0.1, size=recurrent.shape),
                rng.normal(0.0, 0.1, size=bias.shape),
            ]
            ws = [w.astype(np.float32) for w in ws]
            layer.set_weights(ws)
            raw[layer.name] = ws
        elif layer.weights:
            layer.set_weights(source_weights[layer.name])
    rng_in = np.random.default_rng(seed + 1)
    inputs = rand_inputs(model, rng_in)

    # Expected outputs: the plain-LSTM twin (tanh / sigmoid) loads the saved h5;
    # tf_keras' legacy h5 loader converts the CuDNN weights (_convert_rnn_weights).
    twin = cnn_lstm_arch(lambda units, **kw: L.LSTM(units, activation="tanh",
                                                     recurrent_activation="sigmoid", **kw))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.h5")
        model.save(path, include_optimizer=False, save_format="h5")
        twin.load_weights(path)
    for layer in twin.layers:
        got = layer.get_weights()
        if layer.name in raw:
            k, r, b = raw[layer.name]
            assert b.shape[0] == 2 * got[2].shape[0], "CuDNN bias must be 8u"
            assert not np.array_equal(got[0], k), f"{layer.name}: kernel was not converted"
            assert not np.array_equal(got[1], r), f"{layer.name}: recurrent kernel was not converted"
            ref = cudnn_to_lstm_reference(k, r, b)
            for g, e in zip(got, ref):
                np.testing.assert_array_equal(g, e)
        else:
            for g, e in zip(got, model.get_layer(layer.name).get_weights()):
                np.testing.assert_array_equal(g, e)
    expected = twin.predict(inputs, verbose=0)
    return Built(model, inputs, expected=[np.asarray(expected)], reload_predict=False)


def conv1d_lstm_arch():
    return keras.Sequential([
        L.Conv1D(32, 3, activation="relu", input_shape=(100, 1)),
        L.MaxPooling1D(2),
        L.LSTM(128, dropout=0.2),
        L.Dense(8, activation="softmax"),
    ])


def build_conv1d_lstm(seed):
    model = conv1d_lstm_arch()
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(32, 100, 1)).astype(np.float32)
    y = rng.integers(0, 8, size=(32,))
    fit_random(model, rng, x=[x], y=[y], loss="sparse_categorical_crossentropy")
    return Built(model, rand_inputs(model, rng))


def build_lstm_autoencoder(seed):
    model = keras.Sequential([
        L.LSTM(128, activation="relu", return_sequences=True, input_shape=(3, 2)),
        L.LSTM(64, activation="relu"),
        L.RepeatVector(3),
        L.LSTM(64, activation="relu", return_sequences=True),
        L.LSTM(128, activation="relu", return_sequences=True),
        L.TimeDistributed(L.Dense(2)),
    ])
    xs = np.arange(1, 10, dtype=np.float64) / 10.0  # 0.1 .. 0.9
    ys = xs ** 3
    series = np.stack([xs, ys], axis=1)
    windows = np.stack([series[i:i + 3] for i in range(7)]).astype(np.float32)  # (7, 3, 2)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
    model.fit(windows, windows, epochs=10, batch_size=7, shuffle=False, verbose=0)
    return Built(model, [np.ascontiguousarray(windows[[1, 4]])])


def stacked_lstm_reshape_arch():
    return keras.Sequential([
        L.LSTM(12, return_sequences=True, input_shape=(40, 2)),
        L.LSTM(12, return_sequences=True),
        L.LSTM(6),
        L.Dense(20),
        L.Reshape((10, 2)),
    ])


def build_stacked_lstm_reshape(seed):
    return simple_case(stacked_lstm_reshape_arch(), seed)


def build_td_lstm(seed):
    model = keras.Sequential([
        L.InputLayer((40, 2)),
        L.Reshape((2, 40, 1)),
        L.TimeDistributed(L.LSTM(12, return_sequences=True)),
        L.TimeDistributed(L.LSTM(12, return_sequences=True)),
        L.TimeDistributed(L.LSTM(6)),
        L.TimeDistributed(L.Dense(10)),
        L.Reshape((10, 2)),
    ])
    assert model.count_params() == 2398, model.count_params()
    return simple_case(model, seed)


# ---------------------------------------------------------------------------
# Variants: json + weights, functional graphs.
# ---------------------------------------------------------------------------

def build_conv1d_lstm_json(seed):
    return build_conv1d_lstm(seed)


def build_stacked_lstm_reshape_json(seed):
    return build_stacked_lstm_reshape(seed)


def build_functional_two_inputs(seed):
    a = L.Input((10, 3), name="a")
    b = L.Input((5,), name="b")
    a_out = L.Dense(4, name="a_out")(L.LSTM(8, name="a_lstm")(a))
    b_out = L.Dense(2, name="b_out")(L.Dense(6, activation="relu", name="b_hidden")(b))
    return simple_case(keras.Model([a, b], [a_out, b_out], name="two_inputs"), seed)


def build_functional_shared_nested(seed):
    a = L.Input((4,), name="in_a")
    b = L.Input((4,), name="in_b")
    shared = L.Dense(4, activation="tanh", name="shared")
    sa = shared(a)
    sb = shared(b)
    inner = keras.Sequential([
        L.Dense(5, activation="relu", input_shape=(4,), name="inner_dense_1"),
        L.Dense(3, name="inner_dense_2"),
    ], name="inner")
    nested = inner(sb)
    return simple_case(keras.Model([a, b], [sa, sb, nested], name="shared_nested"), seed)


def build_functional_shared_multishape(seed):
    a = L.Input((6,), name="vec")
    s = L.Input((3, 6), name="seq")
    shared = L.Dense(2, name="shared_multi")  # called on rank-2 and rank-3 tensors
    return simple_case(keras.Model([a, s], [shared(a), shared(s)], name="shared_multishape"), seed)


# ---------------------------------------------------------------------------
# Option cases.
# ---------------------------------------------------------------------------

def branches(inputs, outs, name):
    return keras.Model(inputs, outs, name=name)


def build_conv1d_padding(seed):
    x = L.Input((11, 3), name="x")
    outs = [L.Conv1D(4, 3, padding=p, name="conv_" + p)(x) for p in ("valid", "same", "causal")]
    return simple_case(branches(x, outs, "conv1d_padding"), seed)


def build_conv1d_strides(seed):
    odd = L.Input((11, 3), name="odd")
    even = L.Input((12, 3), name="even")
    outs = [
        L.Conv1D(4, 3, strides=2, padding="valid", name="k3_s2_valid")(odd),
        L.Conv1D(4, 3, strides=2, padding="same", name="k3_s2_same")(odd),
        L.Conv1D(4, 4, strides=2, padding="same", name="k4_s2_same")(odd),
        L.Conv1D(4, 2, strides=2, padding="same", name="k2_s2_same")(odd),
        L.Conv1D(4, 5, strides=3, padding="same", name="k5_s3_same")(odd),
        L.Conv1D(4, 5, strides=3, padding="valid", name="k5_s3_valid")(odd),
        L.Conv1D(4, 3, strides=2, padding="same", name="even_k3_s2_same")(even),
        L.Conv1D(4, 3, strides=2, padding="valid", name="even_k3_s2_valid")(even),
    ]
    return simple_case(branches([odd, even], outs, "conv1d_strides"), seed)


def build_conv1d_dilation(seed):
    x = L.Input((13, 2), name="x")
    outs = []
    for d in (2, 3):
        for p in ("valid", "same", "causal"):
            outs.append(L.Conv1D(3, 3, dilation_rate=d, padding=p, name=f"k3_d{d}_{p}")(x))
    outs.append(L.Conv1D(3, 2, dilation_rate=3, padding="same", name="k2_d3_same")(x))
    outs.append(L.Conv1D(3, 2, dilation_rate=2, padding="causal", name="k2_d2_causal")(x))
    return simple_case(branches(x, outs, "conv1d_dilation"), seed)


def build_conv1d_kernel_bias(seed):
    x = L.Input((9, 3), name="x")
    outs = [
        L.Conv1D(4, 1, padding="same", name="k1_same")(x),
        L.Conv1D(4, 1, padding="valid", activation="relu", name="k1_valid_relu")(x),
        L.Conv1D(4, 4, padding="same", name="k4_same")(x),
        L.Conv1D(4, 4, padding="valid", name="k4_valid")(x),
        L.Conv1D(4, 4, padding="causal", name="k4_causal")(x),
        L.Conv1D(4, 3, padding="same", use_bias=False, name="k3_same_nobias")(x),
        L.Conv1D(4, 3, padding="valid", use_bias=False, activation="tanh", name="k3_valid_nobias_tanh")(x),
    ]
    return simple_case(branches(x, outs, "conv1d_kernel_bias"), seed)


def build_conv2d_padding(seed):
    x = L.Input((7, 9, 3), name="x")  # non-square
    outs = [
        L.Conv2D(4, (3, 3), padding="valid", name="k33_valid")(x),
        L.Conv2D(4, (3, 3), padding="same", name="k33_same")(x),
        L.Conv2D(4, (2, 4), padding="same", name="k24_same")(x),
        L.Conv2D(4, (2, 4), padding="valid", name="k24_valid")(x),
        L.Conv2D(4, (3, 3), padding="same", use_bias=False, name="k33_same_nobias")(x),
        L.Conv2D(4, (1, 1), activation="relu", name="k11_relu")(x),
    ]
    return simple_case(branches(x, outs, "conv2d_padding"), seed)


def build_conv2d_strides(seed):
    x = L.Input((7, 8, 2), name="x")  # odd height, even width
    outs = [
        L.Conv2D(3, (3, 3), strides=(2, 2), padding="same", name="k33_s22_same")(x),
        L.Conv2D(3, (3, 3), strides=(2, 2), padding="valid", name="k33_s22_valid")(x),
        L.Conv2D(3, (3, 3), strides=(2, 1), padding="same", name="k33_s21_same")(x),
        L.Conv2D(3, (4, 4), strides=(2, 2), padding="same", name="k44_s22_same")(x),
        L.Conv2D(3, (2, 3), strides=(2, 3), padding="same", name="k23_s23_same")(x),
        L.Conv2D(3, (3, 2), strides=(1, 2), padding="valid", name="k32_s12_valid")(x),
    ]
    return simple_case(branches(x, outs, "conv2d_strides"), seed)


def build_conv2d_dilation(seed):
    x = L.Input((9, 8, 2), name="x")
    outs = [
        L.Conv2D(3, (3, 3), dilation_rate=(2, 2), padding="valid", name="k33_d22_valid")(x),
        L.Conv2D(3, (3, 3), dilation_rate=(2, 2), padding="same", name="k33_d22_same")(x),
        L.Conv2D(3, (2, 2), dilation_rate=(2, 2), padding="same", name="k22_d22_same")(x),
        L.Conv2D(3, (3, 2), dilation_rate=(1, 3), padding="same", use_bias=False, name="k32_d13_same_nobias")(x),
    ]
    return simple_case(branches(x, outs, "conv2d_dilation"), seed)


def build_maxpool1d(seed):
    x = L.Input((11, 3), name="x")
    specs = [  # (pool, strides, padding)
        (2, None, "valid"), (2, None, "same"),
        (3, None, "valid"), (3, None, "same"),
        (3, 1, "valid"), (3, 1, "same"),
        (3, 2, "valid"), (3, 2, "same"),
        (2, 1, "same"), (2, 3, "same"),
    ]
    outs = []
    for pool, strides, pad in specs:
        tag = f"p{pool}_s{'def' if strides is None else strides}_{pad}"
        outs.append(L.MaxPooling1D(pool, strides=strides, padding=pad, name=tag)(x))
    return simple_case(branches(x, outs, "maxpool1d"), seed)


def build_lstm_return_sequences(seed):
    x = L.Input((7, 3), name="x")
    outs = [
        L.LSTM(5, return_sequences=True, name="lstm_seq")(x),
        L.LSTM(5, return_sequences=False, name="lstm_last")(x),
    ]
    return simple_case(branches(x, outs, "lstm_return_sequences"), seed)


def build_lstm_return_state(seed):
    x = L.Input((7, 3), name="x")
    out, h, c = L.LSTM(6, return_state=True, name="lstm_state")(x)
    seq, h2, c2 = L.LSTM(4, return_sequences=True, return_state=True, name="lstm_seq_state")(x)
    return simple_case(branches(x, [out, h, c, seq, h2, c2], "lstm_return_state"), seed)


def build_lstm_go_backwards(seed):
    x = L.Input((7, 3), name="x")
    outs = [
        L.LSTM(5, go_backwards=True, return_sequences=True, name="back_seq")(x),
        L.LSTM(5, go_backwards=True, return_sequences=False, name="back_last")(x),
    ]
    return simple_case(branches(x, outs, "lstm_go_backwards"), seed)


def build_lstm_activations(seed):
    x = L.Input((6, 3), name="x")
    outs = [
        L.LSTM(4, activation="relu", return_sequences=True, name="act_relu")(x),
        L.LSTM(4, activation="sigmoid", return_sequences=True, name="act_sigmoid")(x),
        L.LSTM(4, activation="linear", return_sequences=True, name="act_linear")(x),
        L.LSTM(4, recurrent_activation="hard_sigmoid", return_sequences=True, name="rec_hard_sigmoid")(x),
        L.LSTM(4, recurrent_activation="sigmoid", return_sequences=True, name="rec_sigmoid")(x),
        L.LSTM(4, recurrent_activation="tanh", return_sequences=True, name="rec_tanh")(x),
        L.LSTM(4, activation="relu", recurrent_activation="hard_sigmoid", name="relu_hard_sigmoid")(x),
    ]
    return simple_case(branches(x, outs, "lstm_activations"), seed)


def build_lstm_bias(seed):
    x = L.Input((6, 3), name="x")
    outs = [
        L.LSTM(4, use_bias=False, return_sequences=True, name="no_bias")(x),
        L.LSTM(4, unit_forget_bias=False, return_sequences=True, name="no_unit_forget_bias")(x),
        L.LSTM(4, use_bias=False, go_backwards=True, name="no_bias_backwards")(x),
    ]
    return simple_case(branches(x, outs, "lstm_bias"), seed)


def build_dense_rank3(seed):
    x3 = L.Input((5, 4), name="rank3")
    x4 = L.Input((2, 3, 4), name="rank4")
    outs = [
        L.Dense(3, name="dense_rank3")(L.Dense(6, activation="tanh", name="dense_rank3_hidden")(x3)),
        L.Dense(3, activation="relu", name="dense_rank4")(x4),
        L.Dense(2, use_bias=False, name="dense_rank3_nobias")(x3),
    ]
    return simple_case(branches([x3, x4], outs, "dense_rank3"), seed)


def build_dense_activations(seed):
    x = L.Input((8,), name="x")
    outs = [L.Dense(6, activation=a, name="dense_" + a)(x) for a in ACTIVATIONS]
    return simple_case(branches(x, outs, "dense_activations"), seed)


def build_activation_layers(seed):
    # Inputs span [-3, 3] so that relu/hard_sigmoid clipping and the
    # saturating regions are exercised; no weights, nothing to train.
    x = L.Input((8,), name="x")
    s = L.Input((4, 5), name="seq")
    outs = [L.Activation(a, name="act_" + a)(x) for a in ACTIVATIONS]
    outs.append(L.Activation("softmax", name="act_softmax_rank3")(s))
    outs.append(L.Activation("tanh", name="act_tanh_rank3")(s))
    return simple_case(branches([x, s], outs, "activation_layers"), seed, low=-3.0, high=3.0)


def build_reshape_flatten(seed):
    x3 = L.Input((4, 6), name="rank3")
    x4 = L.Input((3, 4, 2), name="rank4")
    h = L.Dense(6, name="pre")(x3)
    outs = [
        L.Reshape((-1, 3), name="reshape_m1_3")(h),
        L.Reshape((2, -1), name="reshape_2_m1")(h),
        L.Reshape((2, 2, 6), name="reshape_rank4")(h),
        L.Flatten(name="flatten_rank3")(h),
        L.Flatten(name="flatten_rank4")(x4),
        L.RepeatVector(3, name="repeat")(L.Dense(5, name="to_vec")(L.Flatten(name="flat_for_repeat")(x4))),
    ]
    return simple_case(branches([x3, x4], outs, "reshape_flatten"), seed)


def build_time_distributed(seed):
    model = keras.Sequential([
        L.TimeDistributed(L.Conv1D(4, 3, activation="relu"), input_shape=(5, 8, 3), name="td_conv1d"),
        L.TimeDistributed(L.MaxPooling1D(2), name="td_maxpool1d"),
        L.TimeDistributed(L.Flatten(), name="td_flatten"),
        L.TimeDistributed(L.Dense(6, activation="tanh"), name="td_dense"),
        L.LSTM(4, return_sequences=True, name="lstm"),
        L.TimeDistributed(L.Dense(2), name="td_dense_out"),
    ])
    return simple_case(model, seed)


def build_dropout_identity(seed):
    model = keras.Sequential([
        L.Dropout(0.5, input_shape=(6,), name="drop_input"),
        L.Dense(8, activation="relu", name="hidden"),
        L.Dropout(0.9, name="drop_heavy"),
        L.Dense(3, name="out"),
        L.Dropout(0.2, name="drop_output"),
        L.Activation("softmax", name="softmax"),
    ])
    return simple_case(model, seed)


def build_sequential_mlp(seed):
    # A plain Sequential MLP with default names, for summary formatting.
    model = keras.Sequential([
        L.Dense(32, activation="relu", input_shape=(16,)),
        L.Dense(16, activation="tanh"),
        L.Dense(10, activation="softmax"),
    ])
    return simple_case(model, seed)


# ---------------------------------------------------------------------------
# Case table.
# ---------------------------------------------------------------------------

class Case:
    """One conformance case.  `keras=3` cases (families/keras3.py) are built and saved with Keras 3
    (`import keras`) by their own `generate` function, which replaces the tf_keras pipeline below
    and may write other formats (.keras, Keras 3 legacy .h5, .weights.h5, hand-made fixtures)."""

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


CASES = [
    # Seed models from the user's documents.
    Case("cnn_lstm", build_cnn_lstm, {"seed": 101},
         "User model: TimeDistributed Conv2D x2 -> Dropout -> TimeDistributed Flatten -> LSTM(28, seq) -> "
         "LSTM(28) -> Dense head; input (None,4,50,8,1). Trained 1 epoch on 32 random samples (mse).",
         ["Sequential", "TimeDistributed.layer=Conv2D", "Conv2D.activation=relu", "Conv2D.padding=valid",
          "TimeDistributed.layer=Flatten", "LSTM.return_sequences=True", "LSTM.return_sequences=False",
          "Dropout", "Dense.activation=relu", "Dense.activation=linear"],
         deps=[cnn_lstm_arch]),
    Case("cnn_lstm_cudnn", build_cnn_lstm_cudnn, {"seed": 102, "source_seed": 101},
         "cnn_lstm with both LSTMs as CuDNNLSTM (tf.compat.v1.keras.layers.CuDNNLSTM), built and saved on CPU "
         "without running it. Conv/Dense weights copied from the trained cnn_lstm; CuDNNLSTM weights seeded "
         "normal (input kernel std 1/sqrt(fan_in), recurrent kernel and 8u bias std 0.1). Expected outputs from a "
         "plain LSTM(tanh, sigmoid) twin that loaded this model.h5 through tf_keras' legacy h5 loader "
         "(which converts CuDNN weights); the conversion was checked against KERAS_FORMATS.md 3.8. "
         "summary.json describes the CuDNN model (bias 8u, so LSTM_01/LSTM_02 params differ from cnn_lstm).",
         ["Sequential", "CuDNNLSTM.return_sequences=True", "CuDNNLSTM.return_sequences=False",
          "CuDNNLSTM.weights=cudnn_layout", "TimeDistributed.layer=Conv2D", "TimeDistributed.layer=Flatten",
          "Dropout", "Dense.activation=relu"],
         deps=[cnn_lstm_arch, build_cnn_lstm, cudnn_to_lstm_reference]),
    Case("conv1d_lstm", build_conv1d_lstm, {"seed": 103},
         "User model: Conv1D(32,3,relu) -> MaxPooling1D(2) -> LSTM(128, dropout=0.2) -> Dense(8, softmax); "
         "input (None,100,1). Trained on random data with 8 classes.",
         ["Sequential", "Conv1D.activation=relu", "Conv1D.padding=valid", "MaxPooling1D.pool_size=2",
          "LSTM.dropout=0.2", "LSTM.return_sequences=False", "Dense.activation=softmax"],
         deps=[conv1d_lstm_arch], layer_outputs=True),
    Case("lstm_autoencoder", build_lstm_autoencoder, {"seed": 104},
         "User model: LSTM autoencoder with relu LSTMs and RepeatVector; input (None,3,2). Trained 10 epochs "
         "(autoencoder, Adam lr 0.01) on the 7 windows of [x, x**3] for x = 0.1..0.9; the inputs are windows 1 and 4.",
         ["Sequential", "LSTM.activation=relu", "LSTM.return_sequences=True", "LSTM.return_sequences=False",
          "RepeatVector.n=3", "TimeDistributed.layer=Dense"]),
    Case("stacked_lstm_reshape", build_stacked_lstm_reshape, {"seed": 105},
         "User model: LSTM(12,seq) -> LSTM(12,seq) -> LSTM(6) -> Dense(20) -> Reshape((10,2)); input (None,40,2).",
         ["Sequential", "LSTM.return_sequences=True", "LSTM.return_sequences=False", "Dense.activation=linear",
          "Reshape.target_shape=(10,2)"],
         deps=[stacked_lstm_reshape_arch]),
    Case("td_lstm", build_td_lstm, {"seed": 106},
         "User model: explicit InputLayer((40,2)) -> Reshape((2,40,1)) -> TimeDistributed(LSTM) x3 -> "
         "TimeDistributed(Dense(10)) -> Reshape((10,2)); 2398 params as in the user's document.",
         ["Sequential", "InputLayer.explicit", "Reshape.target_shape=(2,40,1)", "TimeDistributed.layer=LSTM",
          "LSTM.return_sequences=True", "LSTM.return_sequences=False", "TimeDistributed.layer=Dense",
          "Reshape.target_shape=(10,2)"]),
    # Variants.
    Case("conv1d_lstm_json", build_conv1d_lstm_json, {"seed": 203},
         "conv1d_lstm architecture saved as model.to_json() + save_weights (separately seeded).",
         ["format=json+weights", "Sequential", "Conv1D.activation=relu", "MaxPooling1D.pool_size=2",
          "LSTM.dropout=0.2", "Dense.activation=softmax"],
         fmt="json+weights", deps=[build_conv1d_lstm, conv1d_lstm_arch]),
    Case("stacked_lstm_reshape_json", build_stacked_lstm_reshape_json, {"seed": 205},
         "stacked_lstm_reshape architecture saved as model.to_json() + save_weights (separately seeded).",
         ["format=json+weights", "Sequential", "LSTM.return_sequences=True", "LSTM.return_sequences=False",
          "Reshape.target_shape=(10,2)"],
         fmt="json+weights", deps=[build_stacked_lstm_reshape, stacked_lstm_reshape_arch]),
    Case("functional_two_inputs", build_functional_two_inputs, {"seed": 301},
         "Functional model with two inputs and two outputs: a(10,3) -> LSTM(8) -> Dense(4, a_out); "
         "b(5,) -> Dense(6, relu) -> Dense(2, b_out).",
         ["Functional", "Functional.inputs=2", "Functional.outputs=2", "InputLayer", "LSTM.return_sequences=False",
          "Dense.activation=relu"]),
    Case("functional_shared_nested", build_functional_shared_nested, {"seed": 302},
         "Functional model: Dense 'shared' applied to two inputs of the same shape (2 nodes; both results are "
         "outputs) and a nested Sequential 'inner' (Dense(5,relu), Dense(3)) applied to the second result.",
         ["Functional", "Functional.shared_layer", "Functional.nested_model=Sequential", "Functional.outputs=3",
          "Dense.activation=tanh", "Dense.activation=relu"]),
    Case("functional_shared_multishape", build_functional_shared_multishape, {"seed": 303},
         "Functional model: one Dense called on a rank-2 and a rank-3 tensor, so its summary output shape is "
         "'multiple'.",
         ["Functional", "Functional.shared_layer", "summary.output_shape=multiple", "Dense.input_rank=3"]),
    # Option cases.
    Case("conv1d_padding", build_conv1d_padding, {"seed": 401},
         "Parallel Conv1D(4,3) branches on (None,11,3) with padding valid / same / causal.",
         ["Functional", "Conv1D.padding=valid", "Conv1D.padding=same", "Conv1D.padding=causal"]),
    Case("conv1d_strides", build_conv1d_strides, {"seed": 402},
         "Strided Conv1D branches on lengths 11 and 12; 'same' with asymmetric TF padding "
         "(k4/s2, k2/s2, k5/s3 on 11; k3/s2 on 12) and symmetric (k3/s2 on 11), plus valid.",
         ["Functional", "Conv1D.strides=2", "Conv1D.strides=3", "Conv1D.padding=same", "Conv1D.padding=valid",
          "Conv1D.padding=same.asymmetric", "Conv1D.kernel_size=4", "Conv1D.kernel_size=2", "Conv1D.kernel_size=5"]),
    Case("conv1d_dilation", build_conv1d_dilation, {"seed": 403},
         "Dilated Conv1D branches on (None,13,2): k3 with dilation 2 and 3 x valid/same/causal, k2 d3 same "
         "(asymmetric), k2 d2 causal.",
         ["Functional", "Conv1D.dilation_rate=2", "Conv1D.dilation_rate=3", "Conv1D.padding=valid",
          "Conv1D.padding=same", "Conv1D.padding=causal"]),
    Case("conv1d_kernel_bias", build_conv1d_kernel_bias, {"seed": 404},
         "Conv1D kernel sizes 1 and 4 (even, same/valid/causal) and use_bias=False, on (None,9,3).",
         ["Functional", "Conv1D.kernel_size=1", "Conv1D.kernel_size=4", "Conv1D.padding=same",
          "Conv1D.padding=causal", "Conv1D.use_bias=False", "Conv1D.activation=relu", "Conv1D.activation=tanh"]),
    Case("conv2d_padding", build_conv2d_padding, {"seed": 405},
         "Conv2D branches on a non-square (None,7,9,3) input: 3x3 valid/same, even kernel (2,4) same/valid, "
         "use_bias=False, 1x1 relu.",
         ["Functional", "Conv2D.padding=valid", "Conv2D.padding=same", "Conv2D.kernel_size=(2,4)",
          "Conv2D.kernel_size=(1,1)", "Conv2D.use_bias=False", "Conv2D.activation=relu", "Conv2D.input=non_square"]),
    Case("conv2d_strides", build_conv2d_strides, {"seed": 406},
         "Strided Conv2D branches on (None,7,8,2) (odd height, even width): strides (2,2) same/valid, (2,1) same, "
         "4x4 (2,2) same, (2,3) same, (1,2) valid; several with asymmetric TF 'same' padding.",
         ["Functional", "Conv2D.strides=(2,2)", "Conv2D.strides=(2,1)", "Conv2D.strides=(2,3)",
          "Conv2D.strides=(1,2)", "Conv2D.padding=same", "Conv2D.padding=same.asymmetric", "Conv2D.padding=valid"]),
    Case("conv2d_dilation", build_conv2d_dilation, {"seed": 407},
         "Dilated Conv2D branches on (None,9,8,2): (2,2) valid/same, 2x2 kernel (2,2) same, (1,3) same no bias.",
         ["Functional", "Conv2D.dilation_rate=(2,2)", "Conv2D.dilation_rate=(1,3)", "Conv2D.padding=valid",
          "Conv2D.padding=same", "Conv2D.use_bias=False"]),
    Case("maxpool1d", build_maxpool1d, {"seed": 408},
         "MaxPooling1D branches on (None,11,3) (odd length, negative values so padding must not contribute): "
         "pool 2/3, strides default/1/2/3, padding valid/same. No weights.",
         ["Functional", "MaxPooling1D.pool_size=2", "MaxPooling1D.pool_size=3", "MaxPooling1D.strides=default",
          "MaxPooling1D.strides=1", "MaxPooling1D.strides=2", "MaxPooling1D.strides=3", "MaxPooling1D.padding=valid",
          "MaxPooling1D.padding=same"]),
    Case("lstm_return_sequences", build_lstm_return_sequences, {"seed": 409},
         "LSTM(5) with return_sequences True and False on (None,7,3).",
         ["Functional", "LSTM.return_sequences=True", "LSTM.return_sequences=False"]),
    Case("lstm_return_state", build_lstm_return_state, {"seed": 410},
         "LSTM return_state=True (outputs out, h, c) with return_sequences False and True; 6 model outputs.",
         ["Functional", "LSTM.return_state=True", "LSTM.return_sequences=True", "LSTM.return_sequences=False",
          "summary.output_shape=list"]),
    Case("lstm_go_backwards", build_lstm_go_backwards, {"seed": 411},
         "LSTM go_backwards=True with return_sequences True (outputs in processing order) and False.",
         ["Functional", "LSTM.go_backwards=True", "LSTM.return_sequences=True", "LSTM.return_sequences=False"]),
    Case("lstm_activations", build_lstm_activations, {"seed": 412},
         "LSTM activation relu/sigmoid/linear and recurrent_activation hard_sigmoid (Keras 2: 0.2x+0.5)/sigmoid/"
         "tanh.",
         ["Functional", "LSTM.activation=relu", "LSTM.activation=sigmoid", "LSTM.activation=linear",
          "LSTM.recurrent_activation=hard_sigmoid", "LSTM.recurrent_activation=sigmoid",
          "LSTM.recurrent_activation=tanh"]),
    Case("lstm_bias", build_lstm_bias, {"seed": 413},
         "LSTM use_bias=False (also with go_backwards) and unit_forget_bias=False.",
         ["Functional", "LSTM.use_bias=False", "LSTM.unit_forget_bias=False", "LSTM.go_backwards=True"]),
    Case("dense_rank3", build_dense_rank3, {"seed": 414},
         "Dense applied over the last axis of rank-3 and rank-4 inputs (with and without bias).",
         ["Functional", "Dense.input_rank=3", "Dense.input_rank=4", "Dense.use_bias=False", "Dense.activation=tanh",
          "Dense.activation=relu"]),
    Case("dense_activations", build_dense_activations, {"seed": 415},
         "13 parallel Dense(6, activation=X) branches on (None,8), one per activation: " + ", ".join(ACTIVATIONS) + ".",
         ["Functional"] + ["Dense.activation=" + a for a in ACTIVATIONS]),
    Case("activation_layers", build_activation_layers, {"seed": 416},
         "Activation(X) layers applied directly to a (None,8) input for each of " + ", ".join(ACTIVATIONS) +
         ", plus softmax and tanh on a rank-3 (None,4,5) input. Inputs uniform in [-3,3] (clipping regions). "
         "No weights.",
         ["Functional"] + ["Activation.activation=" + a for a in ACTIVATIONS] +
         ["Activation.activation=softmax.rank3", "Activation.activation=tanh.rank3"]),
    Case("reshape_flatten", build_reshape_flatten, {"seed": 417},
         "Reshape with -1 (both positions) and to rank 4, Flatten after rank-3 and rank-4 tensors, RepeatVector.",
         ["Functional", "Reshape.target_shape=-1", "Reshape.target_shape=rank4", "Flatten.input_rank=3",
          "Flatten.input_rank=4", "RepeatVector.n=3", "Dense.input_rank=3"]),
    Case("time_distributed", build_time_distributed, {"seed": 418},
         "TimeDistributed wrapping Conv1D, MaxPooling1D, Flatten and Dense around an LSTM; input (None,5,8,3).",
         ["Sequential", "TimeDistributed.layer=Conv1D", "TimeDistributed.layer=MaxPooling1D",
          "TimeDistributed.layer=Flatten", "TimeDistributed.layer=Dense", "LSTM.return_sequences=True"]),
    Case("dropout_identity", build_dropout_identity, {"seed": 419},
         "Dropout layers (rates 0.5, 0.9, 0.2, including on the input) are the identity at inference; "
         "Activation('softmax') head.",
         ["Sequential", "Dropout.rate=0.5", "Dropout.rate=0.9", "Dropout.position=input", "Activation.activation=softmax"]),
    Case("sequential_mlp", build_sequential_mlp, {"seed": 420},
         "Plain Sequential MLP with auto-generated layer names (dense, dense_1, dense_2).",
         ["Sequential", "Dense.activation=relu", "Dense.activation=tanh", "Dense.activation=softmax",
          "names=auto"]),
]


FAMILIES = {}


def family(name):
    """The family module `name` (families/NAME.py), for a family that reuses another's helpers."""
    return FAMILIES[name]


def family_cases():
    """Cases defined in Tools/conformance/families/*.py: each module has `cases(g)`, which receives
    this module (for Case, simple_case, fit_random, family, ...) and returns a list of Case objects.
    One module per layer family keeps the case table easy to extend in parallel."""
    import importlib.util
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "families")
    for fname in sorted(os.listdir(here)) if os.path.isdir(here) else []:
        if not fname.endswith(".py") or fname.startswith("_"):
            continue
        spec = importlib.util.spec_from_file_location(f"kconv_family_{fname[:-3]}", os.path.join(here, fname))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        FAMILIES[fname[:-3]] = module
    return [case for module in FAMILIES.values() for case in module.cases(sys.modules[__name__])]


CASES += family_cases()


# ---------------------------------------------------------------------------
# Summary helpers.
# ---------------------------------------------------------------------------

def shape_json(shape):
    if isinstance(shape, tf.TensorShape):
        shape = tuple(shape.as_list())
    if isinstance(shape, tuple):
        return [None if d is None else int(d) for d in shape]
    if isinstance(shape, list):
        if len(shape) == 1:
            return shape_json(shape[0])  # tf_keras InputLayer: [(None, 16)]
        return [shape_json(s) for s in shape]
    raise TypeError(f"unexpected output shape {shape!r}")


def layer_output_shape(layer):
    # Same rule as tf_keras' print_summary.
    try:
        return shape_json(layer.output_shape)
    except AttributeError:
        return "multiple"


def unique_count(weights):
    seen = {}
    for w in weights:
        seen[id(w)] = w
    return int(sum(int(np.prod(w.shape.as_list())) for w in seen.values()))


def summary_dict(model):
    layers = [{
        "name": layer.name,
        "class_name": layer.__class__.__name__,
        "output_shape": layer_output_shape(layer),
        "params": int(layer.count_params()),
    } for layer in model.layers]
    trainable = unique_count(model.trainable_weights)
    non_trainable = unique_count(model.non_trainable_weights)
    return {
        "layers": layers,
        "total_params": trainable + non_trainable,
        "trainable_params": trainable,
        "non_trainable_params": non_trainable,
    }


def summary_text(model):
    lines = []
    model.summary(print_fn=lambda s, *a, **k: lines.append(s))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Pipeline.
# ---------------------------------------------------------------------------

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


def layer_outputs(model, inputs):
    """{layer name: Keras' first output of the layer's first call} for every layer but the inputs
    (as Tools/keras_reference.py --layers writes them)."""
    layers = [l for l in model.layers if not isinstance(l, L.InputLayer)]
    tensors = [l.get_output_at(0) for l in layers]
    probe = keras.Model(model.inputs, [t[0] if isinstance(t, (list, tuple)) else t for t in tensors])
    values = probe.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    return dict(zip([l.name for l in layers], values if isinstance(values, list) else [values]))


def save_npy(path, array):
    np.save(path, np.ascontiguousarray(np.asarray(array, dtype=np.float32)), allow_pickle=False)


def generate(case, spec_hash):
    seed_all(case.params.get("seed", 0))
    built = case.builder(**case.params)
    model = built.model
    inputs = [np.ascontiguousarray(np.asarray(x, dtype=np.float32)) for x in built.inputs]
    assert len(inputs) == len(model.inputs)
    if built.chunks is not None:
        model.reset_states()  # (training left states behind)
    if built.expected is None:
        pred = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
        expected = pred if isinstance(pred, list) else [pred]
    else:
        expected = list(built.expected)
    expected = [np.asarray(e, dtype=np.float32) for e in expected]
    assert len(expected) == len(model.outputs), (len(expected), len(model.outputs))
    for e, t in zip(expected, model.outputs):
        model_shape = tuple(t.shape[1:])
        assert len(e.shape) == len(model_shape) + 1 and all(m is None or m == d for d, m in zip(e.shape[1:], model_shape)), \
            (e.shape, t.shape)
        assert case.allow_nonfinite or np.all(np.isfinite(e)), "non-finite expected output"

    summary = summary_dict(model)
    text = summary_text(model)
    for line, value in (("Total params: ", summary["total_params"]),
                        ("Trainable params: ", summary["trainable_params"]),
                        ("Non-trainable params: ", summary["non_trainable_params"])):
        printed = [l for l in text.splitlines() if l.startswith(line)]
        assert printed and printed[0][len(line):].split()[0] == str(value), (printed, value)

    os.makedirs(CASES_DIR, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".tmp-{case.name}-", dir=CASES_DIR)
    try:
        if case.fmt == "h5":
            model_file, weights_file = "model.h5", None
            model.save(os.path.join(tmp, model_file), include_optimizer=False, save_format="h5")
        else:
            model_file, weights_file = "model.json", "weights.h5"
            with open(os.path.join(tmp, model_file), "w") as f:
                f.write(model.to_json())
            model.save_weights(os.path.join(tmp, weights_file), save_format="h5")
        input_names = [f"input_{i}.npy" for i in range(len(inputs))]
        expected_names = [f"expected_{i}.npy" for i in range(len(expected))]
        for n, a in zip(input_names, inputs):
            save_npy(os.path.join(tmp, n), a)
        layer_names = []
        if case.layer_outputs:
            os.makedirs(os.path.join(tmp, "layers"))
            for name, value in layer_outputs(model, inputs).items():
                layer_names.append(f"layers/{name}.npy")
                save_npy(os.path.join(tmp, layer_names[-1]), value)
        for n, a in zip(expected_names, expected):
            save_npy(os.path.join(tmp, n), a)
        chunks = []
        if built.chunks is not None:
            model.reset_states()
            for c, chunk in enumerate(built.chunks):
                chunk = [np.ascontiguousarray(np.asarray(x, dtype=np.float32)) for x in chunk]
                out = model.predict(chunk if len(chunk) > 1 else chunk[0], verbose=0)
                out = out if isinstance(out, list) else [out]
                names = {"inputs": [f"chunk{c}_input_{i}.npy" for i in range(len(chunk))],
                         "expected": [f"chunk{c}_expected_{i}.npy" for i in range(len(out))]}
                for n, a in zip(names["inputs"] + names["expected"], chunk + out):
                    save_npy(os.path.join(tmp, n), a)
                chunks.append(names)
        with open(os.path.join(tmp, "summary.json"), "w") as f:
            json.dump(summary, f, indent=2)
            f.write("\n")
        with open(os.path.join(tmp, "summary.txt"), "w") as f:
            f.write(text)

        # Round trip: the saved files must reload to the same summary and outputs.
        keras.backend.clear_session()
        if case.fmt == "h5":
            reloaded = keras.models.load_model(os.path.join(tmp, model_file), compile=False)
        else:
            with open(os.path.join(tmp, model_file)) as f:
                reloaded = keras.models.model_from_json(f.read())
            reloaded.load_weights(os.path.join(tmp, weights_file))
        assert summary_dict(reloaded) == summary, "summary changed after reload"
        if built.reload_predict:
            again = reloaded.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
            again = again if isinstance(again, list) else [again]
            for a, e in zip(again, expected):
                np.testing.assert_allclose(a, e, rtol=0, atol=1e-6)

        meta = {
            "name": case.name,
            "description": case.description,
            "keras": KERAS_LABEL,
            "tensorflow": TF_LABEL,
            "format": case.fmt,
            "model": model_file,
            "weights": weights_file,
            "inputs": input_names,
            "expected": expected_names,
            **({"layers": layer_names} if layer_names else {}),
            **({"chunks": chunks} if chunks else {}),
            "tolerance": case.tolerance,
            "covers": case.covers,
            "spec_hash": spec_hash,
            "generator": GENERATOR_VERSION,
        }
        with open(os.path.join(tmp, "case.json"), "w") as f:
            json.dump(meta, f, indent=2)
            f.write("\n")

        final = os.path.join(CASES_DIR, case.name)
        if os.path.exists(final):
            shutil.rmtree(final)
        os.rename(tmp, final)
        os.chmod(final, 0o755)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return summary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", default=[],
                        help="generate only this case (repeatable, or comma-separated)")
    parser.add_argument("--force", action="store_true", help="regenerate even if the spec_hash is unchanged")
    parser.add_argument("--list", action="store_true", help="list the cases and their state, generate nothing")
    args = parser.parse_args(argv)

    names = [n.strip() for item in args.only for n in item.split(",") if n.strip()]
    by_name = {c.name: c for c in CASES}
    assert len(by_name) == len(CASES), "duplicate case names"
    unknown = [n for n in names if n not in by_name]
    if unknown:
        parser.error("unknown case(s): " + ", ".join(unknown))
    selected = [by_name[n] for n in names] if names else CASES

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
            print("note: directories without a case in generate.py: " + ", ".join(stray), file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
