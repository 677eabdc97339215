"""The seed models from the user's documents (architectures kept as the user wrote them) and their
variants: the same architectures saved as model.to_json() + weights, and small Functional graphs
(two inputs and outputs, shared and nested layers)."""
import os
import tempfile

import numpy as np

from ..case import Case
from ..env import CuDNNLSTM, L, keras
from ..helpers import Built, fit_random, rand_inputs, seed_all, simple_case


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
# Case table.
# ---------------------------------------------------------------------------

def cases():
    return [
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
    ]
