"""Keras 3 files (keras 3.15.1, TensorFlow backend) and hand-made fixtures of older Keras file formats.

Part 1, Keras 3: models built, trained, saved and run by real Keras 3 (`import keras`), written as
`.keras` archives, Keras 3 legacy `.h5` files, or a `to_json()` architecture with a `.weights.h5`.
summary.json is computed from the Keras 3 objects (`layer.output.shape`; `model.layers` leaves a
Sequential's InputLayer out and lists a Functional's InputLayers).

Part 2, older formats that no installed Keras can write (Keras 1.x, Keras 2.1): a deterministic
script writes the file with h5py from a tf_keras model's trained weights, in the old layout
(KERAS_FORMATS.md 1e, 2.7, 3.4, 3.5). The expected outputs are that tf_keras model's predictions,
and the fixture is checked by loading its weights back through tf_keras' own legacy loader
(which applies Keras 2's Keras-1 conversions) and comparing them with the originals.
"""
import json
import os
import shutil
import tempfile
import types
import zipfile

import h5py
import numpy as np

G = None  # the generate module, set by cases(g)
_K3 = None


def keras3():
    """Keras 3, imported on first use (TensorFlow backend)."""
    global _K3
    if _K3 is None:
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
        import keras
        assert keras.__version__ == "3.15.1", keras.__version__
        assert keras.backend.backend() == "tensorflow", keras.backend.backend()
        _K3 = keras
    return _K3


KERAS3_LABEL = "keras 3.15.1"


# ---------------------------------------------------------------------------
# Keras 3 helpers (their sources are part of each Keras 3 case's spec_hash).
# ---------------------------------------------------------------------------

def seed3(K, seed):
    K.backend.clear_session()
    K.utils.set_random_seed(seed)


def rand_inputs3(model, rng, low=-1.0, high=1.0, batch=2):
    return [np.ascontiguousarray(rng.uniform(low, high, size=(batch,) + tuple(int(d) for d in t.shape[1:]))
                                 .astype(np.float32)) for t in model.inputs]


def fit3(K, model, rng, n=32, epochs=2, lr=0.01, batch_size=8, loss="mse", x=None, y=None):
    """Brief training on seeded random data so that every weight (biases too) moves."""
    if x is None:
        x = [rng.uniform(-1, 1, size=(n,) + tuple(int(d) for d in t.shape[1:])).astype(np.float32)
             for t in model.inputs]
    if y is None:
        y = [rng.uniform(-1, 1, size=(n,) + tuple(int(d) for d in t.shape[1:])).astype(np.float32)
             for t in model.outputs]
    model.compile(optimizer=K.optimizers.Adam(learning_rate=lr), loss=loss)
    model.fit(x if len(x) > 1 else x[0], y if len(y) > 1 else y[0],
              epochs=epochs, batch_size=batch_size, shuffle=False, verbose=0)


def simple3(K, model, seed, low=-1.0, high=1.0, **fit_kwargs):
    rng = np.random.default_rng(seed)
    fit3(K, model, rng, **fit_kwargs)
    return Built3(model, rand_inputs3(model, rng, low=low, high=high))


def summary3(model):
    """summary.json from Keras 3 objects."""
    def shape_of(layer):
        try:
            out = layer.output
        except (AttributeError, ValueError):
            return "multiple"
        if isinstance(out, (list, tuple)):
            shapes = [[None if d is None else int(d) for d in t.shape] for t in out]
            return shapes[0] if len(shapes) == 1 else shapes
        return [None if d is None else int(d) for d in out.shape]

    def count(weights):
        return int(sum(int(np.prod(w.shape)) for w in {id(w): w for w in weights}.values()))

    trainable, non_trainable = count(model.trainable_weights), count(model.non_trainable_weights)
    assert trainable + non_trainable == model.count_params()
    return {
        "layers": [{"name": l.name, "class_name": l.__class__.__name__, "output_shape": shape_of(l),
                    "params": int(l.count_params())} for l in model.layers],
        "total_params": trainable + non_trainable,
        "trainable_params": trainable,
        "non_trainable_params": non_trainable,
    }


def save3(K, model, fmt, directory):
    """Writes the model in `fmt`; returns (model file, weights file or None)."""
    if fmt == "keras":
        model.save(os.path.join(directory, "model.keras"))
        reproducible_archive(os.path.join(directory, "model.keras"))
        return "model.keras", None
    if fmt == "h5":
        model.save(os.path.join(directory, "model.h5"), include_optimizer=False)
        return "model.h5", None
    assert fmt == "json+weights.h5", fmt
    with open(os.path.join(directory, "model.json"), "w") as f:
        f.write(model.to_json())
    model.save_weights(os.path.join(directory, "model.weights.h5"))
    return "model.json", "model.weights.h5"


def reproducible_archive(path):
    """Rewrites a .keras archive so that saving the same model twice gives the same bytes: members in
    Keras' order and compression, each dated 1980-01-01 (Keras dates model.weights.h5 with the clock),
    metadata.json's `date_saved` fixed, and config.json's `shared_object_id`s (Python object
    addresses) renumbered 1, 2, ... in order of appearance, which keeps which objects are shared."""
    with zipfile.ZipFile(path) as z:
        members = [(info, z.read(info)) for info in z.infolist()]
    numbers = {}

    def renumber(value):
        if isinstance(value, dict):
            return {k: numbers.setdefault(v, len(numbers) + 1) if k == "shared_object_id" else renumber(v)
                    for k, v in value.items()}
        return [renumber(v) for v in value] if isinstance(value, list) else value

    with zipfile.ZipFile(path, "w") as z:
        for info, data in members:
            if info.filename == "metadata.json":
                meta = json.loads(data)
                meta["date_saved"] = "1980-01-01@00:00:00"
                data = json.dumps(meta).encode()
            elif info.filename == "config.json":
                data = json.dumps(renumber(json.loads(data))).encode()
            fixed_info = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed_info.compress_type = info.compress_type
            fixed_info.external_attr = info.external_attr
            z.writestr(fixed_info, data)


def reload3(K, directory, model_file, weights_file):
    if weights_file is None:
        return K.saving.load_model(os.path.join(directory, model_file), compile=False)
    with open(os.path.join(directory, model_file)) as f:
        model = K.models.model_from_json(f.read())
    model.load_weights(os.path.join(directory, weights_file))
    return model


def write_case(case, spec_hash, tmp, keras_label, model_file, weights_file, inputs, expected, summary, text):
    """Writes inputs, expected outputs, summaries and case.json into `tmp`, then moves it into place."""
    input_names = [f"input_{i}.npy" for i in range(len(inputs))]
    expected_names = [f"expected_{i}.npy" for i in range(len(expected))]
    for n, a in zip(input_names, inputs):
        G.save_npy(os.path.join(tmp, n), a)
    for n, a in zip(expected_names, expected):
        G.save_npy(os.path.join(tmp, n), a)
    with open(os.path.join(tmp, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")
    with open(os.path.join(tmp, "summary.txt"), "w") as f:
        f.write(text)
    meta = {
        "name": case.name, "description": case.description, "keras": keras_label, "tensorflow": G.TF_LABEL,
        "format": case.fmt, "model": model_file, "weights": weights_file, "inputs": input_names,
        "expected": expected_names, "tolerance": case.tolerance, "covers": case.covers,
        "spec_hash": spec_hash, "generator": G.GENERATOR_VERSION,
    }
    with open(os.path.join(tmp, "case.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    final = os.path.join(G.CASES_DIR, case.name)
    if os.path.exists(final):
        shutil.rmtree(final)
    os.rename(tmp, final)
    os.chmod(final, 0o755)


def generate_keras3(case, spec_hash):
    """The Keras 3 pipeline: build and train with Keras 3, predict, save in case.fmt, reload with
    Keras 3 and check that summary and outputs survive the round trip."""
    K = keras3()
    seed3(K, case.params.get("seed", 0))
    built = case.builder(K, **case.params)
    model = built.model
    inputs = [np.ascontiguousarray(np.asarray(x, dtype=np.float32)) for x in built.inputs]
    pred = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    expected = [np.asarray(e, dtype=np.float32) for e in (pred if isinstance(pred, (list, tuple)) else [pred])]
    assert len(expected) == len(model.outputs)
    assert all(np.all(np.isfinite(e)) for e in expected), "non-finite expected output"
    summary = summary3(model)
    lines = []
    model.summary(print_fn=lambda s, *a, **k: lines.append(s))
    os.makedirs(G.CASES_DIR, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".tmp-{case.name}-", dir=G.CASES_DIR)
    try:
        saved = model
        if built.without_optimizer:
            # An uncompiled copy, so that the archive holds no optimizer state (smaller file).
            saved = type(model).from_config(model.get_config())
            saved.set_weights(model.get_weights())
        model_file, weights_file = save3(K, saved, case.fmt, tmp)
        if built.postprocess is not None:
            built.postprocess(os.path.join(tmp, model_file))
        reloaded = reload3(K, tmp, model_file, weights_file)
        assert summary3(reloaded) == summary, "summary changed after reload"
        again = reloaded.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
        for a, e in zip(again if isinstance(again, (list, tuple)) else [again], expected):
            np.testing.assert_allclose(a, e, rtol=0, atol=1e-6)
        write_case(case, spec_hash, tmp, KERAS3_LABEL, model_file, weights_file, inputs, expected, summary,
                   "\n".join(lines) + "\n")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return summary


def Built3(model, inputs, postprocess=None, without_optimizer=False):
    """A builder's result: the model, its inputs, optionally a post-processing of the saved file, and
    whether to save it without its optimizer state."""
    return types.SimpleNamespace(model=model, inputs=inputs, postprocess=postprocess,
                                 without_optimizer=without_optimizer)


# ---------------------------------------------------------------------------
# Keras 3 builders: the seed models (architectures as in generate.py).
# ---------------------------------------------------------------------------

def k3_cnn_lstm(K, seed):
    L = K.layers
    model = K.Sequential([
        K.Input((4, 50, 8, 1)),
        L.TimeDistributed(L.Conv2D(64, (3, 3), activation="relu"), name="Conv2D_1"),
        L.TimeDistributed(L.Conv2D(64, (3, 3), activation="relu"), name="Conv2D_2"),
        L.Dropout(0.4, name="CNN_Drop_01"),
        L.TimeDistributed(L.Flatten(), name="Flatten_1"),
        L.LSTM(28, return_sequences=True, name="LSTM_01"),
        L.Dropout(0.4, name="Drop_01"),
        L.LSTM(28, name="LSTM_02"),
        L.Dropout(0.3, name="Drop_02"),
        L.Dense(16, activation="relu", name="FC_1"),
        L.Dropout(0.4, name="Drop_03"),
        L.Dense(1, name="FC_out"),
    ])
    rng = np.random.default_rng(seed)
    fit3(K, model, rng, epochs=1)
    return Built3(model, rand_inputs3(model, rng), without_optimizer=True)


def k3_conv1d_lstm(K, seed):
    L = K.layers
    model = K.Sequential([
        K.Input((100, 1)),
        L.Conv1D(32, 3, activation="relu"),
        L.MaxPooling1D(2),
        L.LSTM(128, dropout=0.2),
        L.Dense(8, activation="softmax"),
    ])
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(32, 100, 1)).astype(np.float32)
    y = rng.integers(0, 8, size=(32,))
    fit3(K, model, rng, x=[x], y=[y], loss="sparse_categorical_crossentropy")
    return Built3(model, rand_inputs3(model, rng))


def k3_lstm_autoencoder(K, seed):
    L = K.layers
    model = K.Sequential([
        K.Input((3, 2)),
        L.LSTM(128, activation="relu", return_sequences=True),
        L.LSTM(64, activation="relu"),
        L.RepeatVector(3),
        L.LSTM(64, activation="relu", return_sequences=True),
        L.LSTM(128, activation="relu", return_sequences=True),
        L.TimeDistributed(L.Dense(2)),
    ])
    xs = np.arange(1, 10, dtype=np.float64) / 10.0
    series = np.stack([xs, xs ** 3], axis=1)
    windows = np.stack([series[i:i + 3] for i in range(7)]).astype(np.float32)
    model.compile(optimizer=K.optimizers.Adam(learning_rate=0.01), loss="mse")
    model.fit(windows, windows, epochs=10, batch_size=7, shuffle=False, verbose=0)
    return Built3(model, [np.ascontiguousarray(windows[[1, 4]])])


def k3_stacked_lstm_reshape(K, seed):
    L = K.layers
    model = K.Sequential([
        K.Input((40, 2)),
        L.LSTM(12, return_sequences=True),
        L.LSTM(12, return_sequences=True),
        L.LSTM(6),
        L.Dense(20),
        L.Reshape((10, 2)),
    ])
    return simple3(K, model, seed)


def k3_td_lstm(K, seed):
    L = K.layers
    model = K.Sequential([
        K.Input((40, 2)),
        L.Reshape((2, 40, 1)),
        L.TimeDistributed(L.LSTM(12, return_sequences=True)),
        L.TimeDistributed(L.LSTM(12, return_sequences=True)),
        L.TimeDistributed(L.LSTM(6)),
        L.TimeDistributed(L.Dense(10)),
        L.Reshape((10, 2)),
    ])
    assert model.count_params() == 2398, model.count_params()
    return simple3(K, model, seed)


# ---------------------------------------------------------------------------
# Keras 3 builders: forms that differ from Keras 2.
# ---------------------------------------------------------------------------

def k3_hard_sigmoid(K, seed):
    """hard_sigmoid is relu6(x+3)/6 in Keras 3 (clip(0.2x+0.5) in Keras 2): recurrent and plain."""
    L = K.layers
    model = K.Sequential([
        K.Input((6, 3)),
        L.LSTM(5, recurrent_activation="hard_sigmoid", return_sequences=True, name="lstm_hs"),
        L.LSTM(4, activation="hard_sigmoid", recurrent_activation="hard_sigmoid", name="lstm_hs_both"),
        L.Dense(6, activation="hard_sigmoid", name="dense_hs"),
        L.Activation("hard_sigmoid", name="act_hs"),
    ], name="hard_sigmoid_k3")
    return simple3(K, model, seed, low=-3.0, high=3.0)


def k3_gru(K, seed):
    L = K.layers
    x = K.Input((7, 3), name="x")
    seq = L.GRU(5, return_sequences=True, name="gru_default")(x)
    before = L.GRU(4, reset_after=False, name="gru_reset_before")(seq)
    back, h = L.GRU(3, go_backwards=True, return_sequences=True, return_state=True, name="gru_back_state")(x)
    head = L.Dense(2, name="head")(before)
    return simple3(K, K.Model(x, [head, back, h], name="gru_k3"), seed)


def k3_bidirectional(K, seed):
    L = K.layers
    x = K.Input((6, 3), name="x")
    a = L.Bidirectional(L.LSTM(4, return_sequences=True), name="bi_lstm_concat")(x)
    b = L.Bidirectional(L.GRU(3), merge_mode="sum", name="bi_gru_sum")(a)
    c = L.Bidirectional(L.LSTM(3, return_sequences=True),
                        backward_layer=L.LSTM(3, activation="relu", return_sequences=True, go_backwards=True),
                        merge_mode="ave", name="bi_explicit_backward")(x)
    return simple3(K, K.Model(x, [b, c], name="bidirectional_k3"), seed)


def k3_functional_bare(K, seed):
    """Model(inp, out): Keras 3 stores input_layers/output_layers as bare triples (041's autoencoder form)."""
    L = K.layers
    inp = K.Input((5, 3), name="series")
    enc = L.LSTM(6, activation="relu", name="encoder")(inp)
    rep = L.RepeatVector(5, name="repeat")(enc)
    dec = L.LSTM(6, activation="relu", return_sequences=True, name="decoder")(rep)
    out = L.TimeDistributed(L.Dense(3), name="reconstruction")(dec)
    return simple3(K, K.Model(inp, out, name="bare_triples"), seed)


def k3_nested(K, seed):
    """A Sequential called twice (Keras 3 numbers its calls from 0) and a nested Functional (from 1)."""
    L = K.layers
    block = K.Sequential([K.Input((4,)), L.Dense(5, activation="tanh", name="blk_dense"),
                          L.Dense(3, name="blk_out")], name="block")
    i = K.Input((3,), name="inner_in")
    inner = K.Model(i, L.Dense(2, activation="relu", name="inner_dense")(i), name="inner_fn")
    a = K.Input((4,), name="a")
    b = K.Input((4,), name="b")
    ya = block(a)
    yb = block(b)
    merged = L.Dense(3, name="after_block")(yb)
    out = inner(merged)
    return simple3(K, K.Model([a, b], [ya, out], name="nested_k3"), seed)


def strip_vars_names(path):
    """Rewrites a .keras archive's model.weights.h5 as Keras < 3.6 wrote it: no `name` attribute on
    the vars groups and no empty vars groups (KERAS_FORMATS.md 1d)."""
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(path) as z:
            members = {n: z.read(n) for n in z.namelist()}
        weights = os.path.join(tmp, "w.h5")
        with open(weights, "wb") as f:
            f.write(members["model.weights.h5"])
        with h5py.File(weights, "a") as f:
            groups = []
            f.visititems(lambda n, o: groups.append(n) if isinstance(o, h5py.Group) else None)
            for n in sorted(groups, key=len, reverse=True):
                g = f[n]
                if "name" in g.attrs:
                    del g.attrs["name"]
                if n.endswith("vars") and len(g) == 0:
                    del f[n]
        with open(weights, "rb") as f:
            members["model.weights.h5"] = f.read()
        with zipfile.ZipFile(path, "w") as z:
            for n in ("metadata.json", "config.json", "model.weights.h5"):
                z.writestr(zipfile.ZipInfo(n, date_time=(1980, 1, 1, 0, 0, 0)), members[n])


def k3_masking_td(K, seed):
    """Masking on a rank-4 input: Keras 3's TimeDistributed hands mask[:, t] to the wrapped RNN for each
    time step and passes its (batch, time, steps) input mask on unchanged. (Keras 3 cannot train this
    model: its loss applies that mask to (batch, time, units) outputs. The weights are seeded random
    values instead, biases included.)"""
    L = K.layers
    x = K.Input((3, 5, 2), name="windows")
    masked = L.Masking(mask_value=0.0, name="mask")(x)
    seq = L.TimeDistributed(L.LSTM(4, return_sequences=True), name="td_lstm_seq")(masked)
    last = L.TimeDistributed(L.LSTM(4), name="td_lstm_last")(masked)
    gru = L.TimeDistributed(L.GRU(2), name="td_gru_last")(masked)
    model = K.Model(x, [seq, last, gru], name="masking_td_k3")
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(-0.6, 0.6, size=w.shape).astype(np.float32) for w in model.get_weights()])
    built = Built3(model, rand_inputs3(model, rng))
    w = built.inputs[0]
    w[0, 0, 1] = w[0, 0, 4] = 0.0
    w[0, 2, :] = 0.0
    w[1, 1, 0] = w[1, 1, 3] = 0.0
    return built


def k3_utility_layers(K, seed):
    """Keras 3 Normalization (adapted, axis=None, given mean/variance, inverted), Rescaling with a list
    scale, Identity; Masking -> Rescaling / Identity / Normalization -> LSTM: Keras 3 passes the mask on."""
    L = K.layers
    rng = np.random.default_rng(seed)
    data = rng.normal(3.0, 2.0, size=(64, 6, 3)).astype(np.float32)
    s = K.Input((6, 3), name="seq")
    adapted = L.Normalization(name="norm_last_axis")
    adapted.adapt(data)
    overall = L.Normalization(axis=None, name="norm_all")
    overall.adapt(data)
    masked = L.Masking(mask_value=0.0, name="masking")(s)
    outs = [
        adapted(s),
        overall(s),
        L.Normalization(mean=[1.0, -2.0, 0.5], variance=[4.0, 0.25, 0.0], name="norm_given")(s),
        L.Normalization(mean=2.0, variance=9.0, invert=True, name="norm_invert")(s),
        L.Rescaling([0.5, 2.0, -1.0], offset=0.25, name="rescale_list")(s),
        L.Identity(name="identity")(s),
        L.LSTM(3, name="lstm_after_rescaling")(L.Rescaling(2.0, name="rescale_masked")(masked)),
        L.LSTM(3, name="lstm_after_identity")(L.Identity(name="identity_masked")(masked)),
        L.LSTM(3, name="lstm_after_norm")(L.Normalization(mean=0.5, variance=4.0, name="norm_masked")(masked)),
    ]
    model = K.Model(s, outs, name="utility_k3")
    built = simple3(K, model, seed, low=-2.0, high=6.0)
    built.inputs[0][0, 1] = 0.0
    built.inputs[0][1, 4] = 0.0
    return built


def k3_rnn_cells(K, seed):
    """Keras 3 RNN around LSTMCell / GRUCell / SimpleRNNCell (weights at layers/rnn/cell/vars), masked
    and in Bidirectional."""
    L = K.layers
    x = K.Input((6, 3), name="x")
    seq = L.RNN(L.LSTMCell(4), return_sequences=True, name="rnn_lstm_seq")(x)
    outs = [
        seq,
        L.RNN(L.GRUCell(3), go_backwards=True, name="rnn_gru_backwards")(seq),
        L.RNN(L.SimpleRNNCell(2, activation="relu"), name="rnn_simple_relu")(x),
        L.RNN(L.LSTMCell(2), name="rnn_lstm_masked")(L.Masking(mask_value=0.0, name="masking")(x)),
        L.Bidirectional(L.RNN(L.GRUCell(2), return_sequences=True), name="bi_rnn_gru")(x),
    ]
    built = simple3(K, K.Model(x, outs, name="rnn_cells_k3"), seed)
    built.inputs[0][0, 2] = 0.0
    built.inputs[0][1, 5] = 0.0
    return built


def k3_pre36_bilstm(K, seed):
    """047's form: Sequential BiLSTM written without vars@name (weights found by counting classes)."""
    L = K.layers
    model = K.Sequential([
        K.Input((4, 1)),
        L.Bidirectional(L.LSTM(5, return_sequences=True)),
        L.Dropout(0.2),
        L.Bidirectional(L.LSTM(4)),
        L.Dense(3, activation="relu"),
        L.Dense(1),
    ])
    built = simple3(K, model, seed)
    return Built3(built.model, built.inputs, postprocess=strip_vars_names)


def k3_json_weights(K, seed):
    L = K.layers
    model = K.Sequential([
        K.Input((12, 2)),
        L.Conv1D(4, 3, padding="same", activation="relu"),
        L.MaxPooling1D(2),
        L.GRU(5),
        L.Dense(2),
    ], name="json_weights_k3")
    return simple3(K, model, seed)


# ---------------------------------------------------------------------------
# Part 2: hand-made fixtures of older formats.
# ---------------------------------------------------------------------------

def fixed(s):
    """A fixed-length byte string attribute, as h5py 2 wrote Keras' str/bytes attributes."""
    return np.bytes_(s.encode("utf8") if isinstance(s, str) else s)


def name_list(names):
    return np.array([n.encode("utf8") for n in names], dtype="S") if names else np.array([], dtype=np.float64)


def keras1_lstm_tensors(kernel, recurrent, bias, prefix, suffix):
    """Keras 2 LSTM weights (gate blocks i, f, c, o) as Keras 1's 12 tensors in file order i, c, f, o."""
    u = recurrent.shape[0]
    gates = {g: k for k, g in enumerate("ifco")}
    out = []
    for g in "icfo":
        q = gates[g]
        out += [(f"{prefix}_W_{g}{suffix}", kernel[:, q * u:(q + 1) * u]),
                (f"{prefix}_U_{g}{suffix}", recurrent[:, q * u:(q + 1) * u]),
                (f"{prefix}_b_{g}{suffix}", bias[q * u:(q + 1) * u])]
    return out


def keras1_gru_tensors(kernel, recurrent, bias, prefix, suffix):
    """Keras 2 GRU(reset_after=False) weights (blocks z, r, h) as Keras 1's 9 tensors."""
    u = recurrent.shape[0]
    out = []
    for q, g in enumerate("zrh"):
        out += [(f"{prefix}_W_{g}{suffix}", kernel[:, q * u:(q + 1) * u]),
                (f"{prefix}_U_{g}{suffix}", recurrent[:, q * u:(q + 1) * u]),
                (f"{prefix}_b_{g}{suffix}", bias[q * u:(q + 1) * u])]
    return out


def write_legacy_h5(path, keras_version, backend, model_config, layers):
    """A full-model .h5 in the Keras 1 / early Keras 2 layout. `layers`: [(layer name, [(weight name,
    array)])]. Keras 1 wrote no `backend` and no attributes on model_weights."""
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = fixed(keras_version)
        if backend is not None:
            f.attrs["backend"] = fixed(backend)
        f.attrs["model_config"] = fixed(json.dumps(model_config))
        mw = f.create_group("model_weights")
        mw.attrs["layer_names"] = name_list([n for n, _ in layers])
        if not keras_version.startswith("1"):
            mw.attrs["keras_version"] = fixed(keras_version)
            mw.attrs["backend"] = fixed(backend)
        for layer_name, weights in layers:
            g = mw.create_group(layer_name)
            g.attrs["weight_names"] = name_list([n for n, _ in weights])
            for n, a in weights:
                g.create_dataset(n, data=np.asarray(a, dtype=np.float32))


def generate_fixture(case, spec_hash):
    """Part 2 pipeline: the builder trains a tf_keras twin and writes the old-format file; the expected
    outputs and summary are the twin's; the file's weights must load back into the twin through
    tf_keras' legacy loader (`load_weights_from_hdf5_group`, which converts Keras 1 layouts) unchanged."""
    from tf_keras.src.saving.legacy import hdf5_format
    G.seed_all(case.params.get("seed", 0))
    os.makedirs(G.CASES_DIR, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".tmp-{case.name}-", dir=G.CASES_DIR)
    try:
        model_file = "model.h5"
        twin, inputs = case.builder(os.path.join(tmp, model_file), **case.params)
        inputs = [np.ascontiguousarray(np.asarray(x, dtype=np.float32)) for x in inputs]
        pred = twin.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
        expected = [np.asarray(e, dtype=np.float32) for e in (pred if isinstance(pred, list) else [pred])]
        original = [w.numpy().copy() for w in twin.weights]
        for w in twin.weights:
            w.assign(np.zeros(w.shape, dtype=np.float32))
        with h5py.File(os.path.join(tmp, model_file), "r") as f:
            hdf5_format.load_weights_from_hdf5_group(f["model_weights"], twin)
        for w, o in zip(twin.weights, original):
            np.testing.assert_array_equal(w.numpy(), o, err_msg=f"{w.name} does not round-trip")
        summary = G.summary_dict(twin)
        write_case(case, spec_hash, tmp, G.KERAS_LABEL + " (fixture: " + case.params["writes"] + ")", model_file,
                   None, inputs, expected, summary, G.summary_text(twin))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return summary


def layer_cfg(cls, **config):
    return {"class_name": cls, "config": config}


def fixture_keras1_conv1d_bilstm(path, seed, writes):
    """001's form (Keras 1.1.1, TensorFlow names with ':0'): Convolution1D(filter_length=1) -> Dropout ->
    Bidirectional(LSTM seq) -> Dropout -> Bidirectional(LSTM) -> Dense -> Activation(softmax)."""
    keras, L = G.keras, G.L
    twin = keras.Sequential([
        L.Conv1D(6, 1, activation="relu", input_shape=(7, 5), name="convolution1d_1"),
        L.Dropout(0.25, name="dropout_1"),
        L.Bidirectional(L.LSTM(4, recurrent_activation="hard_sigmoid", return_sequences=True), name="bidirectional_1"),
        L.Dropout(0.2, name="dropout_2"),
        L.Bidirectional(L.LSTM(3, recurrent_activation="hard_sigmoid"), name="bidirectional_2"),
        L.Dense(2, name="dense_1"),
        L.Activation("softmax", name="activation_1"),
    ])
    rng = np.random.default_rng(seed)
    G.fit_random(twin, rng)
    lstm = lambda units, seq, name, n_in: layer_cfg(
        "LSTM", name=name, output_dim=units, return_sequences=seq, go_backwards=False, stateful=False, unroll=False,
        consume_less="cpu", init="glorot_uniform", inner_init="orthogonal", forget_bias_init="one",
        activation="tanh", inner_activation="hard_sigmoid", W_regularizer=None, U_regularizer=None,
        b_regularizer=None, dropout_W=0.0, dropout_U=0.0, input_dim=n_in, input_length=None, trainable=True)
    config = {"class_name": "Sequential", "config": [
        layer_cfg("Convolution1D", batch_input_shape=[None, 7, 5], W_constraint=None, b_constraint=None,
                  name="convolution1d_1", activity_regularizer=None, trainable=True, filter_length=1, init="uniform",
                  bias=True, nb_filter=6, input_dtype="float32", subsample_length=1, border_mode="valid",
                  input_dim=None, b_regularizer=None, W_regularizer=None, activation="relu", input_length=None),
        layer_cfg("Dropout", p=0.25, trainable=True, name="dropout_1"),
        layer_cfg("Bidirectional", merge_mode="concat", layer=lstm(4, True, "forward_lstm_1", 6), trainable=True,
                  name="bidirectional_1"),
        layer_cfg("Dropout", p=0.2, trainable=True, name="dropout_2"),
        layer_cfg("Bidirectional", merge_mode="concat", layer=lstm(3, False, "forward_lstm_2", 8), trainable=True,
                  name="bidirectional_2"),
        layer_cfg("Dense", W_constraint=None, b_constraint=None, name="dense_1", activity_regularizer=None,
                  trainable=True, init="glorot_uniform", bias=True, input_dim=None, b_regularizer=None,
                  W_regularizer=None, activation="linear", output_dim=2),
        layer_cfg("Activation", activation="softmax", trainable=True, name="activation_1"),
    ]}
    conv_k, conv_b = twin.get_layer("convolution1d_1").get_weights()
    layers = [("convolution1d_1", [("convolution1d_1_W:0", conv_k[:, None, :, :]), ("convolution1d_1_b:0", conv_b)])]
    layers.append(("dropout_1", []))
    for bi, n in (("bidirectional_1", 1), ("bidirectional_2", 2)):
        fk, fr, fb, bk, br, bb = twin.get_layer(bi).get_weights()
        layers.append((bi, keras1_lstm_tensors(fk, fr, fb, f"forward_lstm_{n}", ":0")
                       + keras1_lstm_tensors(bk, br, bb, f"backward_lstm_{n}", ":0")))
        if n == 1:
            layers.append(("dropout_2", []))
    k, b = twin.get_layer("dense_1").get_weights()
    layers += [("dense_1", [("dense_1_W:0", k), ("dense_1_b:0", b)]), ("activation_1", [])]
    write_legacy_h5(path, "1.1.1", None, config, layers)
    return twin, G.rand_inputs(twin, rng, low=0.0, high=1.0)


def fixture_keras1_theano_names(path, seed, writes):
    """003/005's form (Keras 1.2.2, Theano: weight names without ':0', no backend recorded):
    Bidirectional(LSTM) first with batch_input_shape on the wrapper, then LSTM and Dense."""
    keras, L = G.keras, G.L
    twin = keras.Sequential([
        L.Bidirectional(L.LSTM(5, recurrent_activation="hard_sigmoid", return_sequences=True), input_shape=(4, 3),
                        name="bidirectional_1"),
        L.LSTM(4, recurrent_activation="hard_sigmoid", name="lstm_2"),
        L.Dense(1, name="dense_1"),
    ])
    rng = np.random.default_rng(seed)
    G.fit_random(twin, rng)
    lstm = lambda units, seq, name: layer_cfg(
        "LSTM", name=name, trainable=True, return_sequences=seq, go_backwards=False, stateful=False, unroll=False,
        consume_less="cpu", input_dim=None, input_length=None, output_dim=units, init="glorot_uniform",
        inner_init="orthogonal", forget_bias_init="one", activation="tanh", inner_activation="hard_sigmoid",
        W_regularizer=None, U_regularizer=None, b_regularizer=None, dropout_W=0.0, dropout_U=0.0)
    config = {"class_name": "Sequential", "config": [
        layer_cfg("Bidirectional", name="bidirectional_1", trainable=True, batch_input_shape=[None, 4, 3],
                  input_dtype="float32", layer=lstm(5, True, "lstm_1"), merge_mode="concat"),
        lstm(4, False, "lstm_2"),
        layer_cfg("Dense", W_constraint=None, b_constraint=None, name="dense_1", activity_regularizer=None,
                  trainable=True, init="glorot_uniform", bias=True, input_dim=10, b_regularizer=None,
                  W_regularizer=None, activation="linear", output_dim=1),
    ]}
    fk, fr, fb, bk, br, bb = twin.get_layer("bidirectional_1").get_weights()
    k, r, b = twin.get_layer("lstm_2").get_weights()
    dk, db = twin.get_layer("dense_1").get_weights()
    layers = [
        ("bidirectional_1", keras1_lstm_tensors(fk, fr, fb, "forward_lstm_1", "")
         + keras1_lstm_tensors(bk, br, bb, "backward_lstm_1", "")),
        ("lstm_2", keras1_lstm_tensors(k, r, b, "lstm_2", "")),
        ("dense_1", [("dense_1_W", dk), ("dense_1_b", db)]),
    ]
    write_legacy_h5(path, "1.2.2", None, config, layers)
    return twin, G.rand_inputs(twin, rng, low=0.0, high=1.0)


def fixture_keras1_conv_gru(path, seed, writes):
    """Keras 1.2.2 with TensorFlow names: Convolution1D(filter_length=3, 'same') in the Keras 1.1
    (nb_filter, input_dim, filter_length, 1) kernel layout, GRU as 9 tensors, Dense."""
    keras, L = G.keras, G.L
    twin = keras.Sequential([
        L.Conv1D(4, 3, padding="same", activation="tanh", input_shape=(6, 2), name="convolution1d_1"),
        L.GRU(5, reset_after=False, recurrent_activation="hard_sigmoid", return_sequences=True, name="gru_1"),
        L.Dense(3, name="dense_1"),
    ])
    rng = np.random.default_rng(seed)
    G.fit_random(twin, rng)
    config = {"class_name": "Sequential", "config": [
        layer_cfg("Convolution1D", name="convolution1d_1", trainable=True, batch_input_shape=[None, 6, 2],
                  input_dtype="float32", nb_filter=4, filter_length=3, init="glorot_uniform", activation="tanh",
                  border_mode="same", subsample_length=1, W_regularizer=None, b_regularizer=None,
                  activity_regularizer=None, W_constraint=None, b_constraint=None, bias=True, input_dim=2,
                  input_length=6),
        layer_cfg("GRU", name="gru_1", trainable=True, return_sequences=True, go_backwards=False, stateful=False,
                  unroll=False, consume_less="cpu", input_dim=4, input_length=None, output_dim=5,
                  init="glorot_uniform", inner_init="orthogonal", activation="tanh", inner_activation="hard_sigmoid",
                  W_regularizer=None, U_regularizer=None, b_regularizer=None, dropout_W=0.0, dropout_U=0.0),
        layer_cfg("Dense", name="dense_1", trainable=True, output_dim=3, init="glorot_uniform", activation="linear",
                  W_regularizer=None, b_regularizer=None, activity_regularizer=None, W_constraint=None,
                  b_constraint=None, bias=True, input_dim=5),
    ]}
    ck, cb = twin.get_layer("convolution1d_1").get_weights()  # (3, 2, 4)
    legacy_kernel = np.transpose(ck[:, None, :, :], (3, 2, 0, 1))  # (filters, input_dim, filter_length, 1)
    k, r, b = twin.get_layer("gru_1").get_weights()
    dk, db = twin.get_layer("dense_1").get_weights()
    layers = [
        ("convolution1d_1", [("convolution1d_1_W:0", legacy_kernel), ("convolution1d_1_b:0", cb)]),
        ("gru_1", keras1_gru_tensors(k, r, b, "gru_1", ":0")),
        ("dense_1", [("dense_1_W:0", dk), ("dense_1_b:0", db)]),
    ]
    write_legacy_h5(path, "1.2.2", None, config, layers)
    return twin, G.rand_inputs(twin, rng)


def fixture_keras212_bigru(path, seed, writes):
    """012's form (Keras 2.1.2): tf_keras writes the weights (names as `bidirectional_1/forward_gru/...:0`),
    then the file is rewritten as Keras 2.1.2 wrote it: a bare-list Sequential config without InputLayer,
    GRU configs without `reset_after` (meaning False), keras_version 2.1.2, fixed-length string
    attributes, no top_level_model_weights group."""
    keras, L = G.keras, G.L
    twin = keras.Sequential([
        L.Bidirectional(L.GRU(4, reset_after=False, recurrent_activation="hard_sigmoid", return_sequences=True),
                        input_shape=(5, 3), name="bidirectional_1"),
        L.GRU(3, reset_after=False, recurrent_activation="hard_sigmoid", name="gru_2"),
        L.Dense(2, activation="softmax", name="dense_1"),
    ])
    rng = np.random.default_rng(seed)
    G.fit_random(twin, rng)
    twin.save(path, include_optimizer=False, save_format="h5")
    listed = []
    for entry in json.loads(twin.to_json())["config"]["layers"]:
        if entry["class_name"] == "InputLayer":
            continue
        c = entry["config"]
        for inner in (c, c.get("layer", {}).get("config", {})):
            for key in ("reset_after", "zero_output_for_mask", "time_major"):
                inner.pop(key, None)
        if not listed:
            c["batch_input_shape"] = [None, 5, 3]
        listed.append({"class_name": entry["class_name"], "config": c})
    with h5py.File(path, "a") as f:
        f.attrs["keras_version"] = fixed("2.1.2")
        f.attrs["backend"] = fixed("tensorflow")
        f.attrs["model_config"] = fixed(json.dumps({"class_name": "Sequential", "config": listed}))
        mw = f["model_weights"]
        if "top_level_model_weights" in mw:
            del mw["top_level_model_weights"]
        names = [n.decode() if isinstance(n, bytes) else n for n in mw.attrs["layer_names"]]
        mw.attrs["layer_names"] = name_list(names)
        mw.attrs["keras_version"] = fixed("2.1.2")
        mw.attrs["backend"] = fixed("tensorflow")
        for n in names:
            weights = [w.decode() if isinstance(w, bytes) else w for w in mw[n].attrs["weight_names"]]
            mw[n].attrs["weight_names"] = name_list(weights)
    return twin, G.rand_inputs(twin, rng)


# ---------------------------------------------------------------------------
# Keras 3 builder: the layers whose options or formulas differ from Keras 2.
# ---------------------------------------------------------------------------

def k3_layers(K, seed, full=True):
    """Keras 3 spellings and semantics: LeakyReLU(negative_slope), LayerNormalization with sorted axes and
    rms_scaling, Concatenate ORing masks, UnitNormalization/Dot epsilons. Without `full`, for a legacy .h5,
    the branches Keras 3 cannot reload from .h5 are left out: masks ('Unknown layer: NotEqual'),
    LayerNormalization over an axis list (its gamma is rebuilt with the wrong shape), Softmax and
    UnitNormalization over an axis list (reloaded, they normalise over the last axis only)."""
    layers = G.family("layers")
    L = K.layers
    rng = np.random.default_rng(seed)
    ids = K.Input((7,), name="ids")
    seq = K.Input((7, 3), name="seq")
    img = K.Input((4, 5, 2), name="img")
    outs = [
        L.LeakyReLU(negative_slope=0.2, name="leaky_02")(seq),
        L.LeakyReLU(name="leaky_default")(seq),
        L.ReLU(max_value=0.5, negative_slope=0.1, threshold=0.2, name="relu_all")(seq),
        L.PReLU(shared_axes=[1], name="prelu_shared1")(seq),
        L.ELU(alpha=0.5, name="elu_05")(seq),
        L.BatchNormalization(momentum=0.5, name="bn")(img),
        L.BatchNormalization(axis=1, center=False, momentum=0.5, name="bn_axis1_nocenter")(img),
        L.LayerNormalization(rms_scaling=True, name="ln_rms")(seq),
        L.Dot(axes=2, normalize=True, name="dot_normalize")([seq, L.Dense(3, name="dense_seq")(seq)]),
        L.Conv1DTranspose(4, 3, strides=2, padding="same", name="t1d_s2_same")(seq),
        L.Conv2DTranspose(3, (3, 2), strides=(2, 1), output_padding=(1, 0), name="t2d_op10")(img),
        L.SeparableConv1D(4, 3, depth_multiplier=2, padding="same", name="sep1d")(seq),
        L.DepthwiseConv2D((2, 2), depth_multiplier=2, name="dw2d")(img),
        L.Conv2D(4, (2, 2), groups=2, name="conv2d_groups")(img),
        L.AveragePooling1D(3, strides=2, padding="same", name="avg1d_same")(seq),
        L.GlobalMaxPooling2D(keepdims=True, name="gmp2d_keepdims")(img),
        L.Permute((2, 1), name="permute")(seq),
        L.ZeroPadding2D(((1, 0), (0, 2)), name="zeropad2d")(img),
        L.Cropping1D((1, 2), name="crop1d")(seq),
        L.UpSampling2D((2, 2), interpolation="bilinear", name="upsample2d_bilinear")(img),
        L.SpatialDropout1D(0.3, name="spatial_dropout")(seq),
    ]
    if full:
        outs.append(L.Softmax(axis=[1, 2], name="softmax_axes12")(seq))
        outs.append(L.UnitNormalization(axis=[1, 2], name="unit_axes12")(img))
        outs.append(L.LayerNormalization(axis=[2, 1], name="ln_axes21")(img))
        emb = L.Embedding(layers.VOCAB, 3, mask_zero=True, name="emb_mask_zero")(ids)
        masked = L.Masking(mask_value=0.5, name="masking")(seq)
        outs += [
            L.GlobalAveragePooling1D(name="gap_concat_or")(L.Concatenate(name="concat_masks")([emb, masked])),
            L.GlobalAveragePooling1D(name="gap_concat_time")(L.Concatenate(axis=1, name="concat_time")([emb, masked])),
            L.GlobalAveragePooling1D(name="gap_add")(L.Add(name="add_masks")([emb, masked])),
        ]
    else:
        outs.append(L.Embedding(layers.VOCAB, 3, name="emb")(ids))
    model = K.Model([ids, seq, img], outs, name="k3_layers")
    mask_steps = {0: [0, 3, 6], 1: [1, 2]}
    n = 32
    x_ids = layers.index_inputs(rng, n, 7, mask_steps)
    x_seq = rng.uniform(-1, 1, size=(n, 7, 3)).astype(np.float32)
    x_img = rng.uniform(-1, 1, size=(n, 4, 5, 2)).astype(np.float32)
    fit3(K, model, rng, x=[x_ids, x_seq, x_img])
    t_ids = layers.index_inputs(rng, 2, 7, mask_steps)
    t_seq = rng.uniform(-3, 3, size=(2, 7, 3)).astype(np.float32)
    t_seq[0, 2] = 0.5
    t_seq[1, 5] = 0.5
    t_img = rng.uniform(-1, 1, size=(2, 4, 5, 2)).astype(np.float32)
    return Built3(model, [t_ids, t_seq, t_img], without_optimizer=True)


# ---------------------------------------------------------------------------
# The case table.
# ---------------------------------------------------------------------------

def cases(g):
    global G
    G = g
    K3_DEPS = [keras3, seed3, rand_inputs3, fit3, simple3, summary3, save3, reproducible_archive, reload3, write_case,
               Built3]
    FIXTURE_DEPS = [fixed, name_list, keras1_lstm_tensors, keras1_gru_tensors, write_legacy_h5, write_case, layer_cfg]

    def k3(name, builder, seed, fmt, description, covers, deps=()):
        return g.Case(name, builder, {"seed": seed}, description, ["keras3"] + covers, fmt=fmt,
                      deps=K3_DEPS + list(deps), keras=3, generate=generate_keras3)

    def fixture(name, builder, seed, writes, description, covers):
        return g.Case(name, builder, {"seed": seed, "writes": writes}, description, covers, fmt="h5",
                      deps=FIXTURE_DEPS, keras=2, generate=generate_fixture)

    seeds = [
        ("cnn_lstm", k3_cnn_lstm, 1101, "TimeDistributed Conv2D x2 -> Dropout -> TimeDistributed Flatten -> "
         "LSTM(28, seq) -> LSTM(28) -> Dense head; input (None,4,50,8,1)",
         ["Sequential", "TimeDistributed.layer=Conv2D", "TimeDistributed.layer=Flatten", "LSTM"]),
        ("conv1d_lstm", k3_conv1d_lstm, 1102, "Conv1D(32,3) -> MaxPooling1D(2) -> LSTM(128) -> Dense(8, softmax); "
         "input (None,100,1)", ["Sequential", "Conv1D", "MaxPooling1D", "LSTM", "Dense.activation=softmax"]),
        ("lstm_autoencoder", k3_lstm_autoencoder, 1103, "LSTM(128, relu, seq) -> LSTM(64, relu) -> RepeatVector(3) "
         "-> LSTM(64, relu, seq) -> LSTM(128, relu, seq) -> TimeDistributed(Dense(2))",
         ["Sequential", "LSTM.activation=relu", "RepeatVector", "TimeDistributed.layer=Dense"]),
        ("stacked_lstm_reshape", k3_stacked_lstm_reshape, 1104, "LSTM(12, seq) x2 -> LSTM(6) -> Dense(20) -> "
         "Reshape((10,2)); input (None,40,2)", ["Sequential", "LSTM", "Reshape"]),
        ("td_lstm", k3_td_lstm, 1105, "Reshape((2,40,1)) -> TimeDistributed(LSTM) x3 -> TimeDistributed(Dense(10)) "
         "-> Reshape((10,2)); 2,398 parameters", ["Sequential", "TimeDistributed.layer=LSTM", "Reshape"]),
    ]
    out = []
    for stem, builder, seed, arch, covers in seeds:
        out.append(k3("k3_" + stem, builder, seed, "keras",
                      f"Seed model {stem} built, trained and saved by Keras 3.15.1 as a .keras archive: {arch}.",
                      ["format=keras"] + covers))
        out.append(k3("k3_" + stem + "_h5", builder, seed, "h5",
                      f"Seed model {stem} saved by Keras 3.15.1 as a legacy .h5 (Keras 3 config with "
                      f"batch_shape/DTypePolicy, weight names without ':0'): {arch}.",
                      ["format=keras3-h5"] + covers))
    out += [
        k3("k3_hard_sigmoid", k3_hard_sigmoid, 1110, "keras",
           "hard_sigmoid as Keras 3 defines it (relu6(x+3)/6), as LSTM recurrent activation, LSTM activation, "
           "Dense activation and Activation layer; inputs in [-3,3].",
           ["format=keras", "hard_sigmoid=keras3", "LSTM.recurrent_activation=hard_sigmoid", "Activation"]),
        k3("k3_hard_sigmoid_h5", k3_hard_sigmoid, 1110, "h5",
           "The k3_hard_sigmoid model as a Keras 3 legacy .h5: keras_version 3.15.1 selects the Keras 3 formula "
           "for the same config string.", ["format=keras3-h5", "hard_sigmoid=keras3"]),
        k3("k3_gru", k3_gru, 1111, "keras",
           "Keras 3 GRU: default reset_after=True (bias (2,3u)), reset_after=False, go_backwards with "
           "return_state; Functional with a list of outputs.",
           ["format=keras", "GRU.reset_after=True", "GRU.reset_after=False", "GRU.go_backwards=True",
            "GRU.return_state=True", "weights=cell/vars"]),
        k3("k3_bidirectional", k3_bidirectional, 1112, "keras",
           "Bidirectional(LSTM) concat, Bidirectional(GRU) sum, and an explicit backward_layer (relu) with ave: "
           "weights at forward_layer/cell/vars and backward_layer/cell/vars.",
           ["format=keras", "Bidirectional.merge_mode=concat", "Bidirectional.merge_mode=sum",
            "Bidirectional.merge_mode=ave", "Bidirectional.backward_layer", "weights=forward_layer/backward_layer"]),
        k3("k3_bidirectional_h5", k3_bidirectional, 1112, "h5",
           "The k3_bidirectional model as a Keras 3 legacy .h5 (weight names bi/forward_lstm/lstm_cell/kernel).",
           ["format=keras3-h5", "Bidirectional"]),
        k3("k3_functional_bare", k3_functional_bare, 1113, "keras",
           "Model(inp, out): input_layers and output_layers are bare triples; LSTM encoder, RepeatVector, LSTM "
           "decoder, TimeDistributed(Dense) (the wild 041 form).",
           ["format=keras", "Functional.input_layers=bare_triple", "Functional.output_layers=bare_triple",
            "weights=layer/vars", "InputLayer.counted"]),
        k3("k3_nested", k3_nested, 1114, "keras",
           "A nested Sequential called twice (Keras 3 numbers a Sequential's calls from 0) and a nested Functional "
           "(numbered from 1); weights at layers/sequential/layers/dense/vars.",
           ["format=keras", "nested=Sequential", "nested=Functional", "nested.shared", "node_index=keras3"]),
        k3("k3_nested_h5", k3_nested, 1114, "h5",
           "The k3_nested model as a Keras 3 legacy .h5 (one weight group per nested model).",
           ["format=keras3-h5", "nested=Sequential", "nested=Functional"]),
        k3("k3_pre36_bilstm", k3_pre36_bilstm, 1115, "keras",
           "Sequential BiLSTM .keras rewritten as Keras < 3.6 wrote it (no vars@name attributes, no empty vars "
           "groups; Keras 3.15 loads it): weights found by counting class names only (the wild 047 form).",
           ["format=keras", "keras<3.6.layout", "Bidirectional", "Dropout"]),
        k3("k3_masking_td", k3_masking_td, 1117, "keras",
           "Masking(0) on (None,3,5,2) windows into TimeDistributed(LSTM seq / LSTM last / GRU last): Keras 3 hands "
           "each time step's (batch, 5) mask to the wrapped RNN (recorded as keras.ops nodes feeding mask=); masked "
           "steps inside a slice, one slice masked entirely.",
           ["format=keras", "Masking.input_rank=4", "TimeDistributed.mask=per_step", "TimeDistributed.layer=LSTM",
            "TimeDistributed.layer=GRU", "LSTM.mask", "GRU.mask"]),
        k3("k3_utility_layers", k3_utility_layers, 1118, "keras",
           "Keras 3 Normalization (adapted; axis=None; given mean/variance with a zero variance; inverted), "
           "Rescaling with a per-channel scale list, Identity; Masking -> Rescaling / Identity / Normalization -> "
           "LSTM: Keras 3 passes the mask through these layers. Inputs in [-2, 6].",
           ["format=keras", "Normalization.axis=-1", "Normalization.axis=None", "Normalization.mean+variance",
            "Normalization.invert=True", "Rescaling.scale=list", "Identity", "mask.through=Rescaling",
            "mask.through=Identity", "mask.through=Normalization"]),
        k3("k3_rnn_cells", k3_rnn_cells, 1119, "keras",
           "Keras 3 RNN(LSTMCell) returning sequences, RNN(GRUCell) going backwards, RNN(SimpleRNNCell relu), "
           "Masking -> RNN(LSTMCell), Bidirectional(RNN(GRUCell)) concatenated; weights under rnn/cell/vars.",
           ["format=keras", "RNN.cell=LSTMCell", "RNN.cell=GRUCell", "RNN.cell=SimpleRNNCell", "RNN.mask",
            "Bidirectional.layer=RNN"]),
        k3("k3_json_weights", k3_json_weights, 1116, "json+weights.h5",
           "model.to_json() with model.save_weights('model.weights.h5'): Keras 3 JSON (no keras_version) and "
           "the Keras 3 weights layout, passed with --weights.",
           ["format=json+weights.h5", "Conv1D", "MaxPooling1D", "GRU"]),
    ]
    layer_covers = ["LeakyReLU.negative_slope=0.2", "LeakyReLU.negative_slope=default",
                    "ReLU.max_value+negative_slope+threshold", "PReLU.shared_axes=[1]", "ELU.alpha=0.5",
                    "Softmax.axis=[1,2]", "BatchNormalization.axis=-1", "BatchNormalization.axis=1",
                    "BatchNormalization.center=False", "LayerNormalization.axis=[2,1].sorted",
                    "LayerNormalization.rms_scaling=True", "UnitNormalization.axis=[1,2]",
                    "Embedding.mask_zero=True", "Masking.mask_value=0.5", "Concatenate.mask=or",
                    "Concatenate.mask=axis1", "Add.mask=or", "GlobalAveragePooling1D.mask=True", "Dot.normalize=True",
                    "Conv1DTranspose.padding=same", "Conv2DTranspose.output_padding=(1,0)", "SeparableConv1D",
                    "DepthwiseConv2D", "Conv2D.groups=2", "AveragePooling1D.padding=same",
                    "GlobalMaxPooling2D.keepdims=True", "Permute", "ZeroPadding2D", "Cropping1D",
                    "UpSampling2D.interpolation=bilinear", "SpatialDropout1D"]
    not_in_h5 = {"Softmax.axis=[1,2]", "UnitNormalization.axis=[1,2]", "LayerNormalization.axis=[2,1].sorted",
                 "Embedding.mask_zero=True", "Masking.mask_value=0.5", "Concatenate.mask=or", "Concatenate.mask=axis1",
                 "Add.mask=or", "GlobalAveragePooling1D.mask=True"}
    layers_description = (
        "Keras 3.15.1 layers whose config names or formulas differ from Keras 2: LeakyReLU negative_slope, "
        "LayerNormalization weights for sorted axes and rms_scaling (x*rsqrt(var+eps)*gamma), Concatenate and Add "
        "ORing masks (recorded as keras.ops nodes feeding mask= arguments), Dot/UnitNormalization epsilons; with "
        "BatchNormalization, Embedding/Masking masks, transposed/separable/depthwise/grouped convolutions, pooling "
        "and shape layers. Inputs of seq in [-3,3].")
    layers_deps = K3_DEPS + [g.family("layers").index_inputs]
    out += [
        g.Case("k3_layers", k3_layers, {"seed": 1301}, layers_description + " Saved as a .keras archive.",
               ["keras3", "format=keras"] + layer_covers, fmt="keras", deps=layers_deps, keras=3,
               generate=generate_keras3),
        g.Case("k3_layers_h5", k3_layers, {"seed": 1301, "full": False},
               layers_description + " Saved as a Keras 3 legacy .h5, without the mask, Softmax, UnitNormalization "
               "and LayerNormalization axis-list branches (Keras 3 cannot reload them from .h5).",
               ["keras3", "format=keras3-h5"] + [c for c in layer_covers if c not in not_in_h5], fmt="h5",
               deps=layers_deps, keras=3, generate=generate_keras3),
    ]
    out += [
        fixture("keras1_conv1d_bilstm", fixture_keras1_conv1d_bilstm, 1201, "Keras 1.1.1 full-model h5",
                "Hand-made Keras 1.1.1 file (the wild 001 form): Convolution1D(nb_filter, filter_length=1) with "
                "its (k,1,in,f) kernel, Dropout(p), Bidirectional(LSTM) stored as 2x12 per-gate tensors, "
                "inner_activation hard_sigmoid, Dense(output_dim), Activation; weight names with ':0'.",
                ["keras1", "Convolution1D", "Bidirectional(LSTM).keras1_weights", "LSTM.keras1_weights",
                 "Dropout.p", "hard_sigmoid=keras2"]),
        fixture("keras1_theano_names", fixture_keras1_theano_names, 1202, "Keras 1.2.2 full-model h5",
                "Hand-made Keras 1.2.2 file with Theano-style weight names (no ':0', no backend; the wild 003/005 "
                "form): Bidirectional(LSTM) as the first layer with batch_input_shape on the wrapper, LSTM, Dense.",
                ["keras1", "Bidirectional.first_layer", "LSTM.keras1_weights", "weight_names=theano"]),
        fixture("keras1_conv_gru", fixture_keras1_conv_gru, 1203, "Keras 1.2.2 full-model h5",
                "Hand-made Keras 1.2.2 file with TensorFlow weight names: Convolution1D(filter_length=3, same) in "
                "the Keras 1.1 (filters,in,length,1) kernel layout (orientation known from the ':0' names), GRU "
                "stored as 9 per-gate tensors (reset_after=False), Dense.",
                ["keras1", "Convolution1D.keras11_layout", "GRU.keras1_weights", "GRU.reset_after=False"]),
        fixture("keras212_bigru", fixture_keras212_bigru, 1204, "Keras 2.1.2 full-model h5",
                "Hand-made Keras 2.1.2 file (the wild 012 form): bare-list Sequential config, GRU configs without "
                "reset_after (False before 2.1.3), Bidirectional(GRU), hard_sigmoid (0.2x+0.5).",
                ["keras2.1", "Sequential.config=list", "GRU.reset_after=absent", "Bidirectional(GRU)",
                 "hard_sigmoid=keras2"]),
    ]
    return out
