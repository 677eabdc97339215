"""Keras 3 files (keras 3.15.1, TensorFlow backend): models built, trained, saved and run by real
Keras 3 (`import keras`), written as `.keras` archives, Keras 3 legacy `.h5` files, or a `to_json()`
architecture with a `.weights.h5`, through the Keras 3 pipeline (keras3_pipeline.py). summary.json is
computed from the Keras 3 objects (`layer.output.shape`; `model.layers` leaves a Sequential's InputLayer
out and lists a Functional's InputLayers). Builders take the Keras 3 module `K` first."""
import os
import tempfile
import zipfile

import h5py
import numpy as np

from ..case import Case
from ..keras3_pipeline import K3_DEPS, Built3, fit3, generate_keras3, rand_inputs3, simple3
from . import layers


# ---------------------------------------------------------------------------
# Keras 3 builders: the seed models (architectures as in seed_models.py).
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
# Keras 3 builders: MultiHeadAttention, whose weights live in sublayer groups.
# ---------------------------------------------------------------------------

def k3_mha(K, seed):
    """A small time-series MultiHeadAttention model: Keras 3 stores the layer's weights in its EinsumDense
    sublayers' groups (multi_head_attention/query_dense/vars, key_dense, value_dense, output_dense), which
    it writes in name order, not in layer.weights order (query, key, value, output)."""
    L = K.layers
    x = K.Input((8, 4), name="series")
    a = L.MultiHeadAttention(num_heads=2, key_dim=4, name="mha")(x, x)
    y = L.GlobalAveragePooling1D(name="gap")(a)
    return simple3(K, K.Model(x, L.Dense(3, name="head")(y), name="mha_k3"), seed)


def k3_mha_options(K, seed):
    """MultiHeadAttention options that change the sublayers' shapes (value_dim, output_shape, no biases,
    a separate key, attention over two axes), with a causal mask and attention scores. (The scores are
    taken from a self-attention: for a cross-attention Keras 3.15 declares them (None, heads, Tq, Tq).)"""
    L = K.layers
    x = K.Input((6, 4), name="x")
    ctx = K.Input((7, 5), name="context")
    key = K.Input((7, 3), name="context_key")
    grid = K.Input((3, 4, 5), name="grid")
    causal, scores = L.MultiHeadAttention(num_heads=1, key_dim=4, name="causal")(
        x, x, use_causal_mask=True, return_attention_scores=True)
    outs = [
        L.MultiHeadAttention(num_heads=3, key_dim=2, value_dim=3, output_shape=5, name="value_dim_output_shape")(x, ctx),
        L.MultiHeadAttention(num_heads=2, key_dim=3, use_bias=False, name="key_no_bias")(x, ctx, key=key),
        L.MultiHeadAttention(num_heads=2, key_dim=3, output_shape=(2, 3), name="output_shape_2d")(query=x, value=ctx),
        causal, scores,
        L.MultiHeadAttention(num_heads=2, key_dim=2, attention_axes=(1, 2), name="attention_axes_12")(grid, grid),
    ]
    return simple3(K, K.Model([x, ctx, key, grid], outs, name="mha_options_k3"), seed)


def k3_mha_nested(K, seed):
    """A transformer block as a nested Functional (weights at layers/functional/layers/multi_head_attention/
    query_dense/vars) and a TimeDistributed Sequential (layers/time_distributed/layer/layers/dense/vars)."""
    L = K.layers
    i = K.Input((6, 8), name="block_in")
    att = L.MultiHeadAttention(num_heads=2, key_dim=4, name="block_mha")(i, i)
    h = L.LayerNormalization(epsilon=1e-6, name="block_norm")(L.Add(name="block_residual")([i, att]))
    block = K.Model(i, L.Dense(8, activation="relu", name="block_ff")(h), name="transformer_block")
    per_step = K.Sequential([K.Input((8,)), L.Dense(5, activation="tanh", name="step_dense"),
                             L.LayerNormalization(name="step_norm")], name="per_step")
    x = K.Input((6, 3), name="series")
    h = block(L.Dense(8, name="embed")(x))
    y = L.TimeDistributed(per_step, name="td_per_step")(h)
    out = L.Dense(1, name="head")(L.GlobalAveragePooling1D(name="gap")(y))
    return simple3(K, K.Model(x, out, name="mha_nested_k3"), seed)


def private_sublayer_names(path):
    """Rewrites a .keras archive's model.weights.h5 as Keras 3.0.0-3.0.2 (and tf.keras 2.13+) wrote it:
    without vars@name (strip_vars_names), and each sublayer a layer holds in `_x` behind a public property
    `x` stored under `_x` (those releases visited `_query_dense` before `query_dense`, or had no property)."""
    strip_vars_names(path)
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(path) as z:
            members = {n: z.read(n) for n in z.namelist()}
        weights = os.path.join(tmp, "w.h5")
        with open(weights, "wb") as f:
            f.write(members["model.weights.h5"])
        with h5py.File(weights, "a") as f:
            groups = []
            f.visititems(lambda n, o: groups.append(n) if isinstance(o, h5py.Group) else None)
            for n in groups:
                parent, _, leaf = n.rpartition("/")
                if leaf in ("query_dense", "key_dense", "value_dense", "output_dense"):
                    f.move(n, parent + "/_" + leaf)
        with open(weights, "rb") as f:
            members["model.weights.h5"] = f.read()
        with zipfile.ZipFile(path, "w") as z:
            for n in ("metadata.json", "config.json", "model.weights.h5"):
                z.writestr(zipfile.ZipInfo(n, date_time=(1980, 1, 1, 0, 0, 0)), members[n])


def k3_mha_private_names(K, seed):
    """The k3_mha model with its sublayer groups named _query_dense, ... (Keras 3.0.0-3.0.2, tf.keras)."""
    built = k3_mha(K, seed)
    return Built3(built.model, built.inputs, postprocess=private_sublayer_names)


# ---------------------------------------------------------------------------
# Keras 3 builder: the layers whose options or formulas differ from Keras 2.
# ---------------------------------------------------------------------------

def k3_layers(K, seed, full=True):
    """Keras 3 spellings and semantics: LeakyReLU(negative_slope), LayerNormalization with sorted axes and
    rms_scaling, Concatenate ORing masks, UnitNormalization/Dot epsilons. Without `full`, for a legacy .h5,
    the branches Keras 3 cannot reload from .h5 are left out: masks ('Unknown layer: NotEqual'),
    LayerNormalization over an axis list (its gamma is rebuilt with the wrong shape), Softmax and
    UnitNormalization over an axis list (reloaded, they normalise over the last axis only)."""
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

def cases():
    def k3(name, builder, seed, fmt, description, covers, deps=()):
        return Case(name, builder, {"seed": seed}, description, ["keras3"] + covers, fmt=fmt,
                    deps=K3_DEPS + list(deps), keras=3, generate=generate_keras3)

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
    mha_weights = "weights=query_dense/key_dense/value_dense/output_dense"
    out += [
        k3("k3_mha_keras", k3_mha, 1120, "keras",
           "Input((8,4)) -> MultiHeadAttention(num_heads=2, key_dim=4) self-attention -> GlobalAveragePooling1D -> "
           "Dense(3), saved as a .keras archive: the weights are in the EinsumDense sublayer groups "
           "multi_head_attention/query_dense|key_dense|value_dense|output_dense/vars (written in name order), "
           "not in the layer's own vars.",
           ["format=keras", "MultiHeadAttention", "MultiHeadAttention.num_heads=2", mha_weights,
            "GlobalAveragePooling1D", "Dense"]),
        k3("k3_mha_options", k3_mha_options, 1121, "keras",
           "Keras 3 MultiHeadAttention options that change its sublayer weights' shapes, as a .keras archive: "
           "value_dim=3 with output_shape=5, use_bias=False with a separate key (kernels only in each sublayer "
           "group), output_shape=(2,3) called with keywords, causal 1-head self-attention returning its "
           "attention scores, attention_axes=(1,2) on a rank-4 input.",
           ["format=keras", mha_weights, "MultiHeadAttention.num_heads=1", "MultiHeadAttention.num_heads=3",
            "MultiHeadAttention.value_dim=3", "MultiHeadAttention.output_shape=5",
            "MultiHeadAttention.output_shape=(2,3)", "MultiHeadAttention.use_bias=False",
            "MultiHeadAttention.inputs=[query,value]", "MultiHeadAttention.inputs=[query,value,key]",
            "MultiHeadAttention.call=keywords", "MultiHeadAttention.use_causal_mask=True",
            "MultiHeadAttention.return_attention_scores=True", "MultiHeadAttention.attention_axes=(1,2)"]),
        k3("k3_mha_nested", k3_mha_nested, 1122, "keras",
           "A transformer block (MultiHeadAttention, Add, LayerNormalization, Dense) as a nested Functional "
           "and a TimeDistributed(Sequential(Dense, LayerNormalization)), as a .keras archive: weights at "
           "layers/functional/layers/multi_head_attention/query_dense/vars and "
           "layers/time_distributed/layer/layers/dense/vars.",
           ["format=keras", "nested=Functional", "nested.MultiHeadAttention", mha_weights,
            "TimeDistributed.layer=Sequential", "weights=layer/layers", "LayerNormalization", "Add"]),
        k3("k3_mha_private_names", k3_mha_private_names, 1120, "keras",
           "The k3_mha_keras model with its weights file rewritten as Keras 3.0.0-3.0.2 and tf.keras wrote it: "
           "no vars@name, sublayer groups named after the private attributes (_query_dense, _key_dense, "
           "_value_dense, _output_dense); Keras 3.15 loads it.",
           ["format=keras", "keras<3.0.3.layout", "weights=_query_dense/_key_dense/_value_dense/_output_dense",
            "MultiHeadAttention"], deps=[k3_mha, strip_vars_names, private_sublayer_names]),
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
    layers_deps = K3_DEPS + [layers.index_inputs]
    out += [
        Case("k3_layers", k3_layers, {"seed": 1301}, layers_description + " Saved as a .keras archive.",
             ["keras3", "format=keras"] + layer_covers, fmt="keras", deps=layers_deps, keras=3,
             generate=generate_keras3),
        Case("k3_layers_h5", k3_layers, {"seed": 1301, "full": False},
               layers_description + " Saved as a Keras 3 legacy .h5, without the mask, Softmax, UnitNormalization "
               "and LayerNormalization axis-list branches (Keras 3 cannot reload them from .h5).",
               ["keras3", "format=keras3-h5"] + [c for c in layer_covers if c not in not_in_h5], fmt="h5",
               deps=layers_deps, keras=3, generate=generate_keras3),
    ]
    return out
