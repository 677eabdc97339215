"""Attention layers (Attention, AdditiveAttention, MultiHeadAttention) and graph features:
TimeDistributed around nested models, a shared LSTM called on two inputs."""
import numpy as np

from ..case import Case
from ..env import L, keras
from ..helpers import Built, branches, rand_inputs, simple_case


def set_random_weights(model, rng, std=0.5):
    """Replace every weight by seeded normal values, so scalar weights (Attention's `scale`,
    initialised to 1) differ from their initial values far more than brief training moves them."""
    for layer in model.layers:
        ws = layer.get_weights()
        if ws:
            layer.set_weights([rng.normal(0.0, std, size=np.shape(w)).astype(np.float32) for w in ws])


def build_attention_dot(seed):
    q = keras.Input((5, 4), name="query")
    v = keras.Input((6, 3), name="value")
    k = keras.Input((6, 4), name="key")
    vk = keras.Input((6, 4), name="value_as_key")
    outs = [
        L.Attention(name="dot_qv")([q, vk]),
        L.Attention(name="dot_qvk")([q, v, k]),
        L.Attention(use_scale=True, name="dot_scale_qv")([q, vk]),
        L.Attention(use_scale=True, name="dot_scale_qvk")([q, v, k]),
        L.Attention(score_mode="concat", name="concat_qv")([q, vk]),
        L.Attention(use_scale=True, score_mode="concat", name="concat_scale_qvk")([q, v, k]),
        L.Attention(name="dot_causal")([q, v, k], use_causal_mask=True),
        L.Attention(use_scale=True, name="dot_self_causal")([q, q], use_causal_mask=True),
        L.AdditiveAttention(name="additive_qv")([q, vk]),
        L.AdditiveAttention(use_scale=False, name="additive_noscale_qvk")([q, v, k]),
    ]
    model = branches([q, v, k, vk], outs, "attention_dot")
    rng = np.random.default_rng(seed)
    set_random_weights(model, rng)
    return Built(model, rand_inputs(model, rng, low=-2.0, high=2.0))


def build_attention_scores(seed):
    """return_attention_scores gives a layer two outputs, which tf_keras reports as a tuple
    (its summary helpers expect lists), so the layers sit in a nested Functional model whose
    outputs are a list."""
    q = keras.Input((4, 3), name="q")
    v = keras.Input((5, 3), name="v")
    att, att_scores = L.Attention(use_scale=True, name="att")([q, v], return_attention_scores=True)
    mha, mha_scores = L.MultiHeadAttention(num_heads=2, key_dim=2, name="mha")(q, v, return_attention_scores=True)
    inner = keras.Model([q, v], [att, att_scores, mha, mha_scores], name="with_scores")
    oq = keras.Input((4, 3), name="outer_q")
    ov = keras.Input((5, 3), name="outer_v")
    outs = inner([oq, ov])
    model = keras.Model([oq, ov], outs, name="attention_scores")
    rng = np.random.default_rng(seed)
    set_random_weights(inner, rng)
    return Built(model, rand_inputs(model, rng, low=-2.0, high=2.0))


def build_attention_masked(seed):
    x = keras.Input((6, 3), name="x")
    c = keras.Input((5, 3), name="context")
    mx = L.Masking(0.0, name="mask_x")(x)
    mc = L.Masking(0.0, name="mask_context")(c)
    outs = [
        L.Attention(name="self_masked")([mx, mx]),
        L.Attention(use_scale=True, name="cross_masked")([mx, mc]),
        L.AdditiveAttention(name="additive_masked_causal")([mx, mx], use_causal_mask=True),
    ]
    model = branches([x, c], outs, "attention_masked")
    rng = np.random.default_rng(seed)
    set_random_weights(model, rng)
    inputs = rand_inputs(model, rng, low=-2.0, high=2.0)
    inputs[0][0, 1, :] = 0.0  # masked steps: query rows come out as zeros, keys are skipped
    inputs[0][1, 4:, :] = 0.0
    inputs[1][0, 0, :] = 0.0
    inputs[1][1, 2:4, :] = 0.0
    return Built(model, inputs)


def build_mha_options(seed):
    x = keras.Input((6, 4), name="x")
    ctx = keras.Input((7, 5), name="context")
    key = keras.Input((7, 3), name="context_key")
    grid = keras.Input((3, 4, 5), name="grid")
    outs = [
        L.MultiHeadAttention(num_heads=2, key_dim=3, name="self_attention")(x, x),
        L.MultiHeadAttention(num_heads=3, key_dim=2, name="cross_attention")(x, ctx),
        L.MultiHeadAttention(num_heads=2, key_dim=2, value_dim=3, output_shape=5,
                             name="value_dim_output_shape")(x, ctx, ctx),
        L.MultiHeadAttention(num_heads=2, key_dim=3, use_bias=False, name="key_no_bias")(x, ctx, key),
        L.MultiHeadAttention(num_heads=2, key_dim=2, name="kwargs_call")(query=x, value=ctx, key=key),
        L.MultiHeadAttention(num_heads=1, key_dim=4, name="causal")(x, x, use_causal_mask=True),
        L.MultiHeadAttention(num_heads=2, key_dim=3, output_shape=(2, 3), name="output_shape_2d")(x, ctx),
        L.MultiHeadAttention(num_heads=2, key_dim=2, name="two_attention_axes")(grid, grid),
    ]
    return simple_case(branches([x, ctx, key, grid], outs, "mha_options"), seed)


def build_mha_timeseries(seed):
    x = keras.Input((12, 3), name="series")
    h = L.Dense(8, activation="relu", name="embed")(x)
    a = L.MultiHeadAttention(num_heads=2, key_dim=4, name="mha")(h, h)
    y = L.Dense(8, activation="relu", name="ff")(a)
    y = L.Flatten(name="flatten")(y)
    out = L.Dense(1, name="head")(y)
    return simple_case(keras.Model(x, out, name="mha_timeseries"), seed)


def build_transformer_block(seed):
    x = keras.Input((12, 3), name="series")
    h = L.Dense(8, name="embed")(x)
    a = L.MultiHeadAttention(num_heads=2, key_dim=4, name="mha")(h, h)
    h = L.LayerNormalization(epsilon=1e-6, name="norm_1")(L.Add(name="residual_1")([h, a]))
    f = L.Dense(16, activation="relu", name="ff_1")(h)
    f = L.Dense(8, name="ff_2")(f)
    h = L.LayerNormalization(epsilon=1e-6, name="norm_2")(L.Add(name="residual_2")([h, f]))
    out = L.Dense(1, name="head")(L.Flatten(name="flatten")(h))
    return simple_case(keras.Model(x, out, name="transformer_block"), seed)


def build_td_nested(seed):
    x = keras.Input((5, 8, 3), name="frames")
    per_frame = keras.Sequential([
        L.Conv1D(4, 3, activation="relu", input_shape=(8, 3), name="conv"),
        L.MaxPooling1D(2, name="pool"),
        L.Flatten(name="flat"),
        L.Dense(6, activation="tanh", name="frame_dense"),
    ], name="per_frame")
    fi = keras.Input((8, 3), name="frame_in")
    fo = L.Dense(2, name="frame_proj")(L.LSTM(3, name="frame_lstm")(fi))
    per_frame_functional = keras.Model(fi, fo, name="per_frame_functional")
    a = L.TimeDistributed(per_frame, name="td_sequential")(x)
    b = L.TimeDistributed(per_frame_functional, name="td_functional")(x)
    out = L.Dense(2, name="head")(L.LSTM(4, name="lstm")(a))
    return simple_case(keras.Model(x, [out, b], name="td_nested"), seed)


def build_shared_lstm(seed):
    a = keras.Input((7, 3), name="left")
    b = keras.Input((4, 3), name="right")
    shared = L.LSTM(5, name="shared_lstm")
    sa = shared(a)
    sb = shared(b)
    head = L.Dense(2, name="head")
    return simple_case(keras.Model([a, b], [head(sa), head(sb), sb], name="shared_lstm"), seed)


def cases():
    def case(name, builder, seed, description, covers, **kw):
        return Case(name, builder, {"seed": seed}, description, covers, deps=[set_random_weights], **kw)

    return [
        case("attention_dot", build_attention_dot, 1001,
             "Attention and AdditiveAttention branches on query (None,5,4), value (None,6,3), key (None,6,4) "
             "and a 4-feature value used as key: dot/concat scores with and without use_scale, [q,v] and "
             "[q,v,k] inputs, use_causal_mask=True (node kwargs), self-attention [q,q]. All weights set to "
             "seeded normal values (std 0.5); inputs in [-2,2).",
             ["Functional", "Attention", "Attention.use_scale=False", "Attention.use_scale=True",
              "Attention.score_mode=dot", "Attention.score_mode=concat", "Attention.inputs=[query,value]",
              "Attention.inputs=[query,value,key]", "Attention.use_causal_mask=True", "Attention.value_dim!=key_dim",
              "AdditiveAttention", "AdditiveAttention.use_scale=True", "AdditiveAttention.use_scale=False"]),
        case("attention_scores", build_attention_scores, 1002,
             "return_attention_scores=True on Attention(use_scale) and MultiHeadAttention(2 heads), inside a "
             "nested Functional model with four outputs (output, scores) x 2.",
             ["Functional", "Functional.nested_model=Functional", "Attention.return_attention_scores=True",
              "MultiHeadAttention.return_attention_scores=True", "Attention.use_scale=True"]),
        case("attention_masked", build_attention_masked, 1008,
             "Keras masks from Masking layers into Attention (self and cross, use_scale) and AdditiveAttention "
             "(use_causal_mask): masked value steps are skipped, masked query rows are zeros. Weights seeded.",
             ["Functional", "Attention.mask=query+value", "AdditiveAttention.mask=query+value",
              "AdditiveAttention.use_causal_mask=True", "Masking.mask_value=0.0"]),
        case("mha_options", build_mha_options, 1003,
             "MultiHeadAttention branches: self-attention, cross-attention of different lengths, value_dim + "
             "output_shape=5, use_bias=False with a separate key, query=/value=/key= keyword call, "
             "use_causal_mask=True, output_shape=(2,3), and a rank-4 input attending over two axes. "
             "Trained 2 epochs on random data.",
             ["Functional", "MultiHeadAttention", "MultiHeadAttention.num_heads=1", "MultiHeadAttention.num_heads=2",
              "MultiHeadAttention.num_heads=3", "MultiHeadAttention.value_dim=3", "MultiHeadAttention.output_shape=5",
              "MultiHeadAttention.output_shape=(2,3)", "MultiHeadAttention.use_bias=False",
              "MultiHeadAttention.inputs=[query,value]", "MultiHeadAttention.inputs=[query,value,key]",
              "MultiHeadAttention.call=keywords", "MultiHeadAttention.use_causal_mask=True",
              "MultiHeadAttention.attention_axes=(1,2)"]),
        case("mha_timeseries", build_mha_timeseries, 1004,
             "Time-series model: Dense(8, relu) embedding -> MultiHeadAttention(2 heads, key_dim 4) self-attention "
             "-> Dense(8, relu) -> Flatten -> Dense(1); input (None,12,3).",
             ["Functional", "MultiHeadAttention", "MultiHeadAttention.num_heads=2", "Dense.input_rank=3",
              "Flatten.input_rank=3"]),
        case("transformer_block", build_transformer_block, 1005,
             "Transformer encoder block for a time series: Dense(8) -> MultiHeadAttention(2x4) -> Add residual -> "
             "LayerNormalization -> Dense(16, relu) -> Dense(8) -> Add -> LayerNormalization -> Flatten -> Dense(1).",
             ["Functional", "MultiHeadAttention", "Add", "LayerNormalization", "LayerNormalization.epsilon=1e-6"]),
        case("td_nested", build_td_nested, 1006,
             "TimeDistributed around a nested Sequential (Conv1D, MaxPooling1D, Flatten, Dense) followed by an "
             "LSTM, and TimeDistributed around a nested Functional model (LSTM, Dense); input (None,5,8,3).",
             ["Functional", "TimeDistributed.layer=Sequential", "TimeDistributed.layer=Functional",
              "Sequential", "Conv1D.activation=relu", "MaxPooling1D.pool_size=2", "LSTM.return_sequences=False"]),
        case("shared_lstm", build_shared_lstm, 1007,
             "One LSTM(5) called on two inputs of different lengths (7 and 4 steps) and one Dense head called on "
             "both results; outputs head(left), head(right), lstm(right).",
             ["Functional", "Functional.shared_layer", "LSTM.shared", "Dense.shared", "Functional.inputs=2"]),
    ]
