"""Option cases: parallel branches of one layer class with one option varied per branch (Conv1D and
Conv2D padding, strides, dilation, kernel and bias; MaxPooling1D; LSTM options; Dense; activations;
shape layers, TimeDistributed, Dropout)."""
from ..case import Case
from ..env import L, keras
from ..helpers import branches, simple_case

ACTIVATIONS = [
    "relu", "linear", "tanh", "sigmoid", "hard_sigmoid", "softmax", "elu",
    "selu", "softplus", "softsign", "swish", "gelu", "exponential",
]


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


def build_conv2d_winograd(seed):
    x = L.Input((9, 7, 20), name="x")  # odd height and width, 20 channels (16 + 4)
    small = L.Input((3, 4, 16), name="small")  # one output row
    outs = [
        L.Conv2D(19, (3, 3), padding="valid", name="k33_valid_f19")(x),
        L.Conv2D(32, (3, 3), padding="same", activation="relu", name="k33_same_relu")(x),
        L.Conv2D(16, (3, 3), padding="same", use_bias=False, activation="tanh", name="k33_same_nobias_tanh")(x),
        L.Conv2D(18, (3, 3), padding="same", name="k33_chain_2")(L.Conv2D(20, (3, 3), padding="same", name="k33_chain_1")(x)),
        L.Conv2D(24, (3, 3), padding="valid", name="one_row")(small),
    ]
    return simple_case(branches([x, small], outs, "conv2d_winograd"), seed)


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

def cases():
    return [
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
        Case("conv2d_winograd", build_conv2d_winograd, {"seed": 421},
             "3x3 stride-1 Conv2D branches with 16 or more channels and filters (the convolutions kconv computes "
             "in Winograd tiles) on (None,9,7,20) (odd height and width, channels and filters not multiples of 16): "
             "valid, same with relu, same without bias with tanh, two chained, and a (None,3,4,16) input giving "
             "one output row.",
             ["Functional", "Conv2D.padding=valid", "Conv2D.padding=same", "Conv2D.use_bias=False",
              "Conv2D.activation=relu", "Conv2D.activation=tanh", "Conv2D.filters=19", "Conv2D.input=odd_size"]),
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
