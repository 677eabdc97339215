"""Files in older Keras layouts that no installable Keras writes any more (Keras 1.1/1.2, Keras 2.1):
a deterministic builder writes the file with h5py from a tf_keras model's trained weights, in the old
layout (KERAS_FORMATS.md 1e, 2.7, 3.4, 3.5). The expected outputs are that tf_keras model's
predictions, and the file is checked by loading its weights back through tf_keras' own legacy loader
(which applies Keras 2's Keras-1 conversions) and comparing them with the originals."""
import json
import os
import shutil
import tempfile

import h5py
import numpy as np

from ..case import CASES_DIR, Case, write_case
from ..env import KERAS_LABEL, L, keras
from ..helpers import fit_random, rand_inputs, seed_all
from ..summary import summary_dict, summary_text


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
    seed_all(case.params.get("seed", 0))
    os.makedirs(CASES_DIR, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".tmp-{case.name}-", dir=CASES_DIR)
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
        summary = summary_dict(twin)
        write_case(case, spec_hash, tmp, KERAS_LABEL + " (fixture: " + case.params["writes"] + ")", model_file,
                   None, inputs, expected, summary, summary_text(twin))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return summary


def layer_cfg(cls, **config):
    return {"class_name": cls, "config": config}


def fixture_keras1_conv1d_bilstm(path, seed, writes):
    """001's form (Keras 1.1.1, TensorFlow names with ':0'): Convolution1D(filter_length=1) -> Dropout ->
    Bidirectional(LSTM seq) -> Dropout -> Bidirectional(LSTM) -> Dense -> Activation(softmax)."""
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
    fit_random(twin, rng)
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
    return twin, rand_inputs(twin, rng, low=0.0, high=1.0)


def fixture_keras1_theano_names(path, seed, writes):
    """003/005's form (Keras 1.2.2, Theano: weight names without ':0', no backend recorded):
    Bidirectional(LSTM) first with batch_input_shape on the wrapper, then LSTM and Dense."""
    twin = keras.Sequential([
        L.Bidirectional(L.LSTM(5, recurrent_activation="hard_sigmoid", return_sequences=True), input_shape=(4, 3),
                        name="bidirectional_1"),
        L.LSTM(4, recurrent_activation="hard_sigmoid", name="lstm_2"),
        L.Dense(1, name="dense_1"),
    ])
    rng = np.random.default_rng(seed)
    fit_random(twin, rng)
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
    return twin, rand_inputs(twin, rng, low=0.0, high=1.0)


def fixture_keras1_conv_gru(path, seed, writes):
    """Keras 1.2.2 with TensorFlow names: Convolution1D(filter_length=3, 'same') in the Keras 1.1
    (nb_filter, input_dim, filter_length, 1) kernel layout, GRU as 9 tensors, Dense."""
    twin = keras.Sequential([
        L.Conv1D(4, 3, padding="same", activation="tanh", input_shape=(6, 2), name="convolution1d_1"),
        L.GRU(5, reset_after=False, recurrent_activation="hard_sigmoid", return_sequences=True, name="gru_1"),
        L.Dense(3, name="dense_1"),
    ])
    rng = np.random.default_rng(seed)
    fit_random(twin, rng)
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
    return twin, rand_inputs(twin, rng)


def fixture_keras212_bigru(path, seed, writes):
    """012's form (Keras 2.1.2): tf_keras writes the weights (names as `bidirectional_1/forward_gru/...:0`),
    then the file is rewritten as Keras 2.1.2 wrote it: a bare-list Sequential config without InputLayer,
    GRU configs without `reset_after` (meaning False), keras_version 2.1.2, fixed-length string
    attributes, no top_level_model_weights group."""
    twin = keras.Sequential([
        L.Bidirectional(L.GRU(4, reset_after=False, recurrent_activation="hard_sigmoid", return_sequences=True),
                        input_shape=(5, 3), name="bidirectional_1"),
        L.GRU(3, reset_after=False, recurrent_activation="hard_sigmoid", name="gru_2"),
        L.Dense(2, activation="softmax", name="dense_1"),
    ])
    rng = np.random.default_rng(seed)
    fit_random(twin, rng)
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
    return twin, rand_inputs(twin, rng)


# ---------------------------------------------------------------------------
# The case table.
# ---------------------------------------------------------------------------

FIXTURE_DEPS = [fixed, name_list, keras1_lstm_tensors, keras1_gru_tensors, write_legacy_h5, write_case, layer_cfg]


def cases():
    def fixture(name, builder, seed, writes, description, covers):
        return Case(name, builder, {"seed": seed, "writes": writes}, description, covers, fmt="h5",
                    deps=FIXTURE_DEPS, keras=2, generate=generate_fixture)

    return [
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
