"""Recurrent layers: GRU, SimpleRNN, CuDNNGRU, Bidirectional, initial states, masking, ConvLSTM1D/2D."""
import os
import tempfile

import numpy as np

from ..case import Case
from ..env import L, keras, tf
from ..helpers import Built, branches, fit_random, rand_inputs, simple_case

# Steps set to exactly 0 (masked by Masking(mask_value=0)) per sample, for inputs of 7 steps:
# sample 0 leading + middle + trailing, sample 1 middle + two trailing.
MASKED_STEPS = {0: [0, 1, 4, 6], 1: [2, 3, 5, 6]}


def zero_steps(arrays, steps=None):
    """Sets the given time steps of each sample of each (batch, time, ...) array to exactly 0."""
    steps = MASKED_STEPS if steps is None else steps
    for a in arrays:
        for b, ts in steps.items():
            for t in ts:
                if t < a.shape[1]:
                    a[b, t] = 0.0
    return arrays


def build_gru_reset_after(seed):
    x = keras.Input((7, 3), name="x")
    outs = [
        L.GRU(5, reset_after=True, return_sequences=True, name="gru_seq")(x),
        L.GRU(5, reset_after=True, name="gru_last")(x),
        L.GRU(4, reset_after=True, use_bias=False, return_sequences=True, name="gru_nobias")(x),
        L.GRU(4, reset_after=True, activation="relu", recurrent_activation="hard_sigmoid", name="gru_relu_hs")(x),
    ]
    return simple_case(branches(x, outs, "gru_reset_after"), seed)


def build_gru_reset_before(seed):
    x = keras.Input((7, 3), name="x")
    outs = [
        L.GRU(5, reset_after=False, return_sequences=True, name="gru_seq")(x),
        L.GRU(5, reset_after=False, name="gru_last")(x),
        L.GRU(4, reset_after=False, use_bias=False, return_sequences=True, name="gru_nobias")(x),
        L.GRU(4, reset_after=False, activation="sigmoid", recurrent_activation="tanh", name="gru_sig_tanh")(x),
    ]
    return simple_case(branches(x, outs, "gru_reset_before"), seed)


def build_gru_backwards_state(seed):
    x = keras.Input((6, 3), name="x")
    seq_after, h_after = L.GRU(4, reset_after=True, go_backwards=True, return_sequences=True,
                               return_state=True, name="back_after")(x)
    last_before, h_before = L.GRU(4, reset_after=False, go_backwards=True, return_state=True,
                                  name="back_before")(x)
    outs = [seq_after, h_after, last_before, h_before]
    return simple_case(branches(x, outs, "gru_backwards_state"), seed)


def build_simple_rnn(seed):
    x = keras.Input((7, 3), name="x")
    last, h = L.SimpleRNN(4, return_state=True, name="rnn_state")(x)
    outs = [
        L.SimpleRNN(5, return_sequences=True, name="rnn_seq")(x),
        last, h,
        L.SimpleRNN(5, go_backwards=True, return_sequences=True, name="rnn_back_seq")(x),
        L.SimpleRNN(3, go_backwards=True, name="rnn_back_last")(x),
        L.SimpleRNN(4, use_bias=False, activation="relu", return_sequences=True, name="rnn_relu_nobias")(x),
    ]
    return simple_case(branches(x, outs, "simple_rnn"), seed)


def cudnn_gru_arch(rnn):
    return keras.Sequential([
        L.Conv1D(6, 3, activation="relu", input_shape=(9, 2), name="conv"),
        rnn(7, return_sequences=True, name="gru_1"),
        rnn(5, name="gru_2"),
        L.Dense(3, name="out"),
    ])


def cudnn_to_gru_reference(kernel, recurrent, bias):
    """Independent numpy version of CuDNNGRU -> GRU(reset_after=True) (KERAS_FORMATS.md 3.8):
    per gate input kernel reshape(G, (u, in)).T, recurrent kernel G.T, bias reshape (2, 3u)."""
    u = recurrent.shape[0]
    n_in = kernel.shape[0]
    k = np.hstack([np.reshape(gk, (u, n_in)).T for gk in np.hsplit(kernel, 3)])
    r = np.hstack([gk.T for gk in np.hsplit(recurrent, 3)])
    return k, r, np.reshape(bias, (2, 3 * u))


def build_cudnn_gru(seed):
    CuDNNGRU = tf.compat.v1.keras.layers.CuDNNGRU
    model = cudnn_gru_arch(CuDNNGRU)  # built symbolically; never run on CPU
    rng = np.random.default_rng(seed)
    raw = {}
    for layer in model.layers:
        ws = []
        for w in layer.weights:
            shape = tuple(w.shape.as_list())
            std = 1.0 / np.sqrt(shape[0]) if len(shape) == 2 and "recurrent" not in w.name else 0.2
            ws.append(rng.normal(0.0, std, size=shape).astype(np.float32))
        layer.set_weights(ws)
        if isinstance(layer, CuDNNGRU):
            raw[layer.name] = ws
    inputs = rand_inputs(model, rng)

    # Expected outputs: a GRU(reset_after=True, tanh/sigmoid) twin loads the saved h5; tf_keras'
    # legacy h5 loader converts the CuDNN weights (_convert_rnn_weights).
    twin = cudnn_gru_arch(lambda units, **kw: L.GRU(units, reset_after=True, activation="tanh",
                                                     recurrent_activation="sigmoid", **kw))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.h5")
        model.save(path, include_optimizer=False, save_format="h5")
        twin.load_weights(path)
    for layer in twin.layers:
        got = layer.get_weights()
        if layer.name in raw:
            k, r, b = raw[layer.name]
            assert b.shape == (2 * got[2].shape[1],), "CuDNN bias must be 6u"
            assert not np.array_equal(got[0], k), f"{layer.name}: kernel was not converted"
            for gw, e in zip(got, cudnn_to_gru_reference(k, r, b)):
                np.testing.assert_array_equal(gw, e)
        else:
            for gw, e in zip(got, model.get_layer(layer.name).get_weights()):
                np.testing.assert_array_equal(gw, e)
    expected = twin.predict(inputs, verbose=0)
    return Built(model, inputs, expected=[np.asarray(expected)], reload_predict=False)


def build_bidirectional_merge(seed):
    x = keras.Input((6, 3), name="x")
    fwd_none, bwd_none = L.Bidirectional(L.GRU(3, return_sequences=True), merge_mode=None, name="bi_none")(x)
    outs = [
        L.Bidirectional(L.LSTM(4, return_sequences=True), merge_mode="concat", name="bi_concat")(x),
        L.Bidirectional(L.GRU(4, return_sequences=True), merge_mode="sum", name="bi_sum")(x),
        L.Bidirectional(L.SimpleRNN(4, return_sequences=True), merge_mode="mul", name="bi_mul")(x),
        L.Bidirectional(L.LSTM(4), merge_mode="ave", name="bi_ave")(x),
        L.Bidirectional(L.GRU(3, reset_after=False), merge_mode="concat", name="bi_gru_before_last")(x),
        fwd_none, bwd_none,
    ]
    return simple_case(branches(x, outs, "bidirectional_merge"), seed)


def build_bidirectional_state(seed):
    x = keras.Input((5, 3), name="x")
    lstm_out = L.Bidirectional(L.LSTM(4, return_state=True), name="bi_lstm_state")(x)
    gru_out = L.Bidirectional(L.GRU(3, return_sequences=True, return_state=True), merge_mode="sum",
                              name="bi_gru_seq_state")(x)
    none_out = L.Bidirectional(L.SimpleRNN(2, return_state=True), merge_mode=None, name="bi_rnn_none_state")(x)
    back = L.LSTM(3, go_backwards=True, return_sequences=True)
    custom = L.Bidirectional(L.LSTM(3, return_sequences=True), backward_layer=back, name="bi_backward_layer")(x)
    outs = list(lstm_out) + list(gru_out) + list(none_out) + [custom]
    return simple_case(branches(x, outs, "bidirectional_state"), seed)


def build_rnn_initial_state(seed):
    x = keras.Input((6, 3), name="x")
    h0 = keras.Input((4,), name="h0")
    c0 = keras.Input((4,), name="c0")
    g0 = keras.Input((5,), name="g0")
    outs = [
        L.LSTM(4, return_sequences=True, name="lstm_init")(x, initial_state=[h0, c0]),
        L.GRU(5, name="gru_init")(x, initial_state=g0),
        L.GRU(5, reset_after=False, go_backwards=True, return_sequences=True, name="gru_before_init")(x, initial_state=[g0]),
        L.SimpleRNN(4, return_sequences=True, name="rnn_init")(x, initial_state=h0),
        L.Bidirectional(L.LSTM(4), name="bi_init")(x, initial_state=[h0, c0, c0, h0]),
    ]
    return simple_case(branches([x, h0, c0, g0], outs, "rnn_initial_state"), seed)


def build_masking_rnn(seed):
    x = keras.Input((7, 3), name="x")
    m = L.Masking(mask_value=0.0, name="mask")(x)
    gru_last, gru_h = L.GRU(4, return_state=True, name="gru_last_state")(m)
    outs = [
        L.LSTM(4, return_sequences=True, name="lstm_seq")(m),
        L.LSTM(4, name="lstm_last")(m),
        L.GRU(4, return_sequences=True, name="gru_seq")(m),
        gru_last, gru_h,
        L.GRU(4, reset_after=False, return_sequences=True, name="gru_before_seq")(m),
        L.SimpleRNN(4, return_sequences=True, name="rnn_seq")(m),
        L.SimpleRNN(4, name="rnn_last")(m),
        L.LSTM(4, go_backwards=True, return_sequences=True, name="lstm_back_seq")(m),
        L.GRU(4, go_backwards=True, name="gru_back_last")(m),
        L.LSTM(3, return_sequences=True, zero_output_for_mask=True, name="lstm_zero_output")(m),
        L.LSTM(3, zero_output_for_mask=True, name="lstm_zero_output_last")(m),
        # Stacked: the second LSTM sees the first one's sequence and the same mask.
        L.LSTM(3, name="lstm_stacked")(L.LSTM(4, return_sequences=True, name="lstm_stack_in")(m)),
    ]
    built = simple_case(branches(x, outs, "masking_rnn"), seed)
    zero_steps(built.inputs)
    return built


def build_masking_bidirectional(seed):
    x = keras.Input((7, 3), name="x")
    m = L.Masking(mask_value=0.0, name="mask")(x)
    outs = [
        L.Bidirectional(L.LSTM(4, return_sequences=True), name="bi_lstm_seq")(m),
        L.Bidirectional(L.LSTM(4), name="bi_lstm_last")(m),
        L.Bidirectional(L.GRU(3, return_sequences=True), merge_mode="sum", name="bi_gru_seq_sum")(m),
        L.Bidirectional(L.GRU(3), merge_mode="mul", name="bi_gru_last_mul")(m),
        L.Bidirectional(L.SimpleRNN(3, return_sequences=True), merge_mode="ave", name="bi_rnn_seq_ave")(m),
    ]
    built = simple_case(branches(x, outs, "masking_bidirectional"), seed)
    zero_steps(built.inputs)
    return built


def build_masking_initial_state(seed):
    # A masked first step meets a non-zero initial state: tf.keras outputs zeros there (not h0).
    x = keras.Input((7, 3), name="x")
    h0 = keras.Input((4,), name="h0")
    c0 = keras.Input((4,), name="c0")
    m = L.Masking(mask_value=0.0, name="mask")(x)
    outs = [
        L.LSTM(4, return_sequences=True, name="lstm_init_seq")(m, initial_state=[h0, c0]),
        L.GRU(4, return_sequences=True, return_state=True, name="gru_init_seq")(m, initial_state=[h0])[0],
        L.SimpleRNN(4, name="rnn_init_last")(m, initial_state=[h0]),
    ]
    built = simple_case(branches([x, h0, c0], outs, "masking_initial_state"), seed)
    zero_steps(built.inputs[:1])
    return built


def build_masking_td_lstm(seed):
    model = keras.Sequential([
        L.Masking(mask_value=0.0, input_shape=(7, 3), name="mask"),
        L.TimeDistributed(L.Dense(5, activation="tanh"), name="td_dense"),
        L.LSTM(4, return_sequences=True, name="lstm_seq"),
        L.Dropout(0.3, name="drop"),
        L.LSTM(3, name="lstm_last"),
        L.Dense(2, name="out"),
    ])
    built = simple_case(model, seed)
    zero_steps(built.inputs)
    return built


def build_masking_td_rnn(seed):
    """Masking on a rank-4 input gives a (batch, time, steps) mask: TimeDistributed hands each time
    slice's (batch*time, steps) part to the wrapped RNN, and gives on the RNN's own mask (sequences)
    or any() of the input mask (last output)."""
    x = keras.Input((3, 5, 2), name="windows")
    masked = L.Masking(mask_value=0.0, name="mask")(x)
    seq = L.TimeDistributed(L.LSTM(4, return_sequences=True), name="td_lstm_seq")(masked)
    last = L.TimeDistributed(L.LSTM(4), name="td_lstm_last")(masked)
    outer = L.LSTM(3, name="outer_lstm")(last)
    gru = L.TimeDistributed(L.GRU(2), name="td_gru_last")(masked)
    pooled = L.TimeDistributed(L.GlobalAveragePooling1D(), name="td_masked_mean")(L.TimeDistributed(L.Dense(3), name="td_td_dense")(seq))
    built = simple_case(branches(x, [seq, outer, gru, pooled], "masking_td_rnn"), seed)
    w = built.inputs[0]
    w[0, 0, 1] = w[0, 0, 4] = 0.0  # masked steps inside a slice
    w[0, 2, :] = 0.0                # a slice masked entirely (its time step is masked for outer_lstm)
    w[1, 1, 0] = w[1, 1, 3] = 0.0
    return built


def build_rnn_cells(seed):
    """Keras' generic RNN layer around LSTMCell, GRUCell and SimpleRNNCell, masked and in Bidirectional."""
    x = keras.Input((6, 3), name="x")
    seq = L.RNN(L.LSTMCell(4), return_sequences=True, name="rnn_lstm_seq")(x)
    outs = [
        seq,
        L.RNN(L.GRUCell(3, reset_after=False), go_backwards=True, name="rnn_gru_backwards")(seq),
        L.RNN(L.GRUCell(3), return_state=True, name="rnn_gru_state")(x)[1],
        L.RNN(L.SimpleRNNCell(2, activation="relu"), name="rnn_simple_relu")(x),
        L.RNN(L.LSTMCell(2, recurrent_activation="hard_sigmoid", use_bias=False), name="rnn_lstm_masked")(
            L.Masking(mask_value=0.0, name="masking")(x)),
        L.Bidirectional(L.RNN(L.LSTMCell(2), return_sequences=True), merge_mode="sum", name="bi_rnn_lstm")(x),
    ]
    built = simple_case(branches(x, outs, "rnn_cells"), seed)
    built.inputs[0][0, 2] = 0.0
    built.inputs[0][1, 5] = 0.0
    return built


def build_stateful_stream(seed):
    """Stateful LSTM/GRU/SimpleRNN with batch shape (2, None, 3), predicted on a whole sequence and,
    from reset states, on three consecutive chunks of it (Keras carries the states between calls)."""
    x = keras.Input(batch_shape=(2, None, 3), name="x")
    masked = L.Masking(mask_value=0.0, name="masking")(x)
    seq = L.LSTM(5, return_sequences=True, stateful=True, name="lstm_seq")(masked)
    gru = L.GRU(4, return_sequences=True, stateful=True, name="gru_seq")(seq)
    per_step = L.TimeDistributed(L.Dense(2), name="td_dense")(gru)
    head = L.Dense(1, name="head")(L.SimpleRNN(3, stateful=True, name="rnn_last")(seq))
    model = branches(x, [per_step, head], "stateful_stream")
    rng = np.random.default_rng(seed)
    train = rng.uniform(-1, 1, size=(8, 7, 3)).astype(np.float32)
    fit_random(model, rng, x=[train], y=[rng.uniform(-1, 1, size=(8, 7, 2)).astype(np.float32),
                                            rng.uniform(-1, 1, size=(8, 1)).astype(np.float32)], batch_size=2)
    full = rng.uniform(-1, 1, size=(2, 9, 3)).astype(np.float32)
    full[0, 2] = 0.0      # masked inside the first chunk
    full[0, 4] = 0.0      # masked at the start of the second chunk
    full[1, 5:7] = 0.0    # masked across the second and third chunks
    return Built(model, [full], chunks=[[full[:, :4]], [full[:, 4:6]], [full[:, 6:]]])


def build_long_and_large(seed):
    """Edge inputs: 400-step sequences (rounding drift over a long recurrence) with values in [-6, 6]
    (saturated gates), through LSTM / GRU / SimpleRNN, and dense heads on inputs up to ±1e4."""
    x = keras.Input((400, 3), name="long")
    wide = keras.Input((5,), name="wide")
    outs = [
        L.LSTM(8, return_sequences=True, name="lstm_long_seq")(x),
        L.GRU(6, name="gru_long")(x),
        L.SimpleRNN(4, activation="tanh", name="rnn_long")(x),
        L.Dense(4, activation="sigmoid", name="dense_sigmoid_large")(wide),
        L.Dense(4, activation="tanh", name="dense_tanh_large")(wide),
        L.Dense(4, activation="softmax", name="dense_softmax_large")(wide),
    ]
    model = branches([x, wide], outs, "long_and_large")
    rng = np.random.default_rng(seed)
    fit_random(model, rng, n=16, epochs=1)
    long = rng.uniform(-6, 6, size=(2, 400, 3)).astype(np.float32)
    large = (rng.uniform(-1, 1, size=(2, 5)) * np.array([1e4, 1e3, 100, 10, 1])).astype(np.float32)
    return Built(model, [long, large])


def build_conv_lstm2d(seed):
    x = keras.Input((4, 6, 5, 2), name="x")
    outs = [
        L.ConvLSTM2D(3, (3, 3), padding="same", return_sequences=True, name="same_seq")(x),
        L.ConvLSTM2D(3, (3, 3), padding="valid", name="valid_last")(x),
        L.ConvLSTM2D(2, (2, 3), padding="same", strides=(2, 2), name="strided_same")(x),
        L.ConvLSTM2D(2, (3, 2), padding="valid", dilation_rate=(2, 1), go_backwards=True, return_sequences=True,
                     name="dilated_backwards")(x),
        L.ConvLSTM2D(2, (1, 1), activation="relu", recurrent_activation="sigmoid", use_bias=False,
                     name="k11_relu_nobias")(x),
    ]
    return simple_case(branches(x, outs, "conv_lstm2d"), seed)


def build_conv_lstm1d(seed):
    x = keras.Input((5, 8, 3), name="x")
    outs = [
        L.ConvLSTM1D(4, 3, padding="same", return_sequences=True, name="same_seq")(x),
        L.ConvLSTM1D(4, 3, padding="valid", name="valid_last")(x),
        L.ConvLSTM1D(3, 2, strides=2, padding="same", go_backwards=True, name="strided_backwards")(x),
    ]
    seq, h, c = L.ConvLSTM1D(2, 3, return_state=True, name="state")(x)
    outs += [seq, h, c]
    return simple_case(branches(x, outs, "conv_lstm1d"), seed)


def cases():
    return [
        Case("gru_reset_after", build_gru_reset_after, {"seed": 1001},
             "GRU reset_after=True (bias (2,3u)): return_sequences True/False, use_bias=False, relu + hard_sigmoid.",
             ["Functional", "GRU.reset_after=True", "GRU.return_sequences=True", "GRU.return_sequences=False",
              "GRU.use_bias=False", "GRU.activation=relu", "GRU.recurrent_activation=hard_sigmoid"]),
        Case("gru_reset_before", build_gru_reset_before, {"seed": 1002},
             "GRU reset_after=False (bias (3u,), reset gate applied before U_h): return_sequences True/False, "
             "use_bias=False, sigmoid + tanh.",
             ["Functional", "GRU.reset_after=False", "GRU.return_sequences=True", "GRU.return_sequences=False",
              "GRU.use_bias=False", "GRU.activation=sigmoid", "GRU.recurrent_activation=tanh"]),
        Case("gru_backwards_state", build_gru_backwards_state, {"seed": 1003},
             "GRU go_backwards=True with return_state, both reset_after modes, sequences in processing order.",
             ["Functional", "GRU.go_backwards=True", "GRU.return_state=True", "GRU.reset_after=True",
              "GRU.reset_after=False"]),
        Case("simple_rnn", build_simple_rnn, {"seed": 1004},
             "SimpleRNN: return_sequences, return_state, go_backwards (seq and last), relu without bias.",
             ["Functional", "SimpleRNN.return_sequences=True", "SimpleRNN.return_state=True",
              "SimpleRNN.go_backwards=True", "SimpleRNN.use_bias=False", "SimpleRNN.activation=relu"]),
        Case("cudnn_gru", build_cudnn_gru, {"seed": 1005},
             "Conv1D -> CuDNNGRU(seq) -> CuDNNGRU -> Dense, built and saved on CPU without running it, weights "
             "seeded normal. Expected outputs from a GRU(reset_after=True, tanh, sigmoid) twin that loaded this "
             "model.h5 through tf_keras' legacy h5 loader (which converts CuDNN weights, bias 6u -> (2,3u)); the "
             "conversion was checked against KERAS_FORMATS.md 3.8. summary.json describes the CuDNN model.",
             ["Sequential", "CuDNNGRU.return_sequences=True", "CuDNNGRU.return_sequences=False",
              "CuDNNGRU.weights=cudnn_layout", "Conv1D.activation=relu"],
             deps=[cudnn_gru_arch, cudnn_to_gru_reference]),
        Case("bidirectional_merge", build_bidirectional_merge, {"seed": 1006},
             "Bidirectional merge modes concat (LSTM), sum (GRU), mul (SimpleRNN), ave (LSTM last), None "
             "(two outputs), and concat over GRU(reset_after=False) without sequences.",
             ["Functional", "Bidirectional.merge_mode=concat", "Bidirectional.merge_mode=sum",
              "Bidirectional.merge_mode=mul", "Bidirectional.merge_mode=ave", "Bidirectional.merge_mode=None",
              "Bidirectional.layer=LSTM", "Bidirectional.layer=GRU", "Bidirectional.layer=SimpleRNN",
              "Bidirectional.return_sequences=True", "Bidirectional.return_sequences=False"]),
        Case("bidirectional_state", build_bidirectional_state, {"seed": 1007},
             "Bidirectional return_state: LSTM [merged, h_f, c_f, h_b, c_b], GRU with sequences (sum), "
             "SimpleRNN merge None [y, y_rev, h_f, h_b]; and an explicit backward_layer.",
             ["Functional", "Bidirectional.return_state=True", "Bidirectional.merge_mode=None",
              "Bidirectional.backward_layer", "summary.output_shape=list"]),
        Case("rnn_initial_state", build_rnn_initial_state, {"seed": 1008},
             "initial_state given by Input layers: LSTM [h0, c0], GRU (both reset_after modes, one with "
             "go_backwards), SimpleRNN, Bidirectional(LSTM) with four states split half/half.",
             ["Functional", "LSTM.initial_state", "GRU.initial_state", "SimpleRNN.initial_state",
              "Bidirectional.initial_state", "GRU.go_backwards=True"]),
        Case("masking_rnn", build_masking_rnn, {"seed": 1009},
             "Masking(0) -> LSTM/GRU/SimpleRNN, return_sequences True and False, go_backwards, return_state, "
             "zero_output_for_mask, stacked LSTMs. Inputs have exact-zero steps per sample: sample 0 steps "
             "0,1,4,6 (leading, middle, trailing), sample 1 steps 2,3,5,6.",
             ["Functional", "Masking.mask_value=0", "LSTM.mask", "GRU.mask", "SimpleRNN.mask",
              "mask.leading", "mask.middle", "mask.trailing", "LSTM.go_backwards=True", "GRU.return_state=True",
              "LSTM.zero_output_for_mask=True", "GRU.reset_after=False"],
             deps=[zero_steps]),
        Case("masking_bidirectional", build_masking_bidirectional, {"seed": 1010},
             "Masking(0) -> Bidirectional LSTM/GRU/SimpleRNN, return_sequences True (masked steps zero) and "
             "False; merge concat, sum, mul, ave. Same masked steps as masking_rnn.",
             ["Functional", "Masking.mask_value=0", "Bidirectional.mask", "Bidirectional.return_sequences=True",
              "Bidirectional.return_sequences=False", "Bidirectional.merge_mode=sum",
              "Bidirectional.merge_mode=mul", "Bidirectional.merge_mode=ave"],
             deps=[zero_steps]),
        Case("masking_initial_state", build_masking_initial_state, {"seed": 1011},
             "Masking(0) with non-zero initial states: a masked first step outputs zeros (tf.keras), states "
             "carry h0/c0 until the first valid step.",
             ["Functional", "Masking.mask_value=0", "LSTM.initial_state", "GRU.initial_state",
              "SimpleRNN.initial_state", "LSTM.mask", "GRU.mask", "SimpleRNN.mask", "mask.leading"],
             deps=[zero_steps]),
        Case("masking_td_lstm", build_masking_td_lstm, {"seed": 1012},
             "Sequential Masking(0) -> TimeDistributed(Dense) -> LSTM(seq) -> Dropout -> LSTM -> Dense: the mask "
             "passes through TimeDistributed and Dropout.",
             ["Sequential", "Masking.mask_value=0", "TimeDistributed.mask", "Dropout.mask", "LSTM.mask"],
             deps=[zero_steps]),
        Case("masking_td_rnn", build_masking_td_rnn, {"seed": 1016},
             "Masking(0) on (None,3,5,2) windows: TimeDistributed(LSTM seq / LSTM last / GRU last) get each slice's "
             "(batch*time, 5) mask; the last-output wrappers give any() of it as a (batch, time) mask to an outer LSTM; "
             "TimeDistributed(Dense) and TimeDistributed(GlobalAveragePooling1D) on the masked sequence output (NaN, 0/0, "
             "for the entirely masked slice, as in Keras).",
             ["Functional", "Masking.input_rank=4", "TimeDistributed.mask=per_step", "TimeDistributed.layer=LSTM",
              "TimeDistributed.layer=GRU", "TimeDistributed.layer=GlobalAveragePooling1D", "LSTM.mask", "GRU.mask",
              "mask.slice_all_masked"],
             allow_nonfinite=True),
        Case("rnn_cells", build_rnn_cells, {"seed": 1017},
             "RNN(LSTMCell) returning sequences, RNN(GRUCell reset_after=False) going backwards, RNN(GRUCell) "
             "returning its state, RNN(SimpleRNNCell relu), Masking -> RNN(LSTMCell hard_sigmoid, no bias), "
             "Bidirectional(RNN(LSTMCell)) summed.",
             ["Functional", "RNN.cell=LSTMCell", "RNN.cell=GRUCell", "RNN.cell=SimpleRNNCell", "RNN.go_backwards=True",
              "RNN.return_state=True", "RNN.mask", "Bidirectional.layer=RNN", "GRUCell.reset_after=False"]),
        Case("stateful_stream", build_stateful_stream, {"seed": 1018},
             "Stateful LSTM(seq) -> GRU(seq) -> TimeDistributed(Dense) and -> SimpleRNN -> Dense, batch shape "
             "(2, None, 3), after Masking: the whole 9-step sequence, and chunks of 4, 2 and 3 steps predicted in "
             "turn from reset states (states carried between calls; masked steps at chunk starts output zeros).",
             ["Functional", "LSTM.stateful=True", "GRU.stateful=True", "SimpleRNN.stateful=True",
              "InputLayer.batch_size=2", "InputLayer.time=None", "stream.chunks", "mask.chunk_start"]),
        Case("long_and_large", build_long_and_large, {"seed": 1019},
             "Edge inputs: 400-step sequences with values in [-6, 6] through LSTM (sequence), GRU and SimpleRNN "
             "(drift over long recurrences, saturated gates), and Dense heads with sigmoid / tanh / softmax on inputs "
             "up to ±1e4.",
             ["Functional", "LSTM.steps=400", "GRU.steps=400", "SimpleRNN.steps=400", "inputs=large_magnitude",
              "Dense.activation=sigmoid", "Dense.activation=tanh", "Dense.activation=softmax"]),
        Case("conv_lstm2d", build_conv_lstm2d, {"seed": 1013},
             "ConvLSTM2D on (None,4,6,5,2): padding same/valid, return_sequences True/False, strides 2, "
             "dilation (2,1) with go_backwards, 1x1 relu without bias.",
             ["Functional", "ConvLSTM2D.padding=same", "ConvLSTM2D.padding=valid",
              "ConvLSTM2D.return_sequences=True", "ConvLSTM2D.return_sequences=False", "ConvLSTM2D.strides=(2,2)",
              "ConvLSTM2D.dilation_rate=(2,1)", "ConvLSTM2D.go_backwards=True", "ConvLSTM2D.use_bias=False",
              "ConvLSTM2D.recurrent_activation=hard_sigmoid", "ConvLSTM2D.recurrent_activation=sigmoid"]),
        Case("conv_lstm1d", build_conv_lstm1d, {"seed": 1014},
             "ConvLSTM1D on (None,5,8,3): padding same/valid, return_sequences True/False, strides 2 with "
             "go_backwards, return_state.",
             ["Functional", "ConvLSTM1D.padding=same", "ConvLSTM1D.padding=valid",
              "ConvLSTM1D.return_sequences=True", "ConvLSTM1D.return_sequences=False", "ConvLSTM1D.strides=2",
              "ConvLSTM1D.go_backwards=True", "ConvLSTM1D.return_state=True"]),
    ]
