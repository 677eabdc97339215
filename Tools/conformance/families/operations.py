"""Operations recorded as graph nodes: tf_keras TFOpLambda / SlicingOpLambda layers (`x + res`,
`x * 0.5`, `x[:, -1, :]`, `tf.reduce_mean(x, axis=1)`) and Keras 3 op nodes (`keras.src.ops.numpy`
Add, Subtract, Multiply, TrueDivide, GetItem, Mean). tf_keras builders take a seed; Keras 3 builders
take the Keras 3 module first and go through the Keras 3 pipeline, whose summary.json here also lists
the op nodes, as Keras 3's printed `model.summary()` does (`model.layers` leaves them out)."""
import json
import os

import numpy as np

from ..case import CASES_DIR, Case
from ..env import L, keras, keras3, tf
from ..helpers import Built, fit_random, simple_case
from ..keras3_pipeline import K3_DEPS, Built3, reload3, simple3, generate_keras3


# ---------------------------------------------------------------------------
# tf_keras (TFOpLambda, SlicingOpLambda).
# ---------------------------------------------------------------------------

def transformer_encoder(inputs, head_size, num_heads, ff_dim):
    """keras.io "Timeseries classification with a Transformer model": attention and feed-forward
    sub-blocks, each normalized and added back with `x + res` (TFOpLambda __operators__.add)."""
    x = L.MultiHeadAttention(key_dim=head_size, num_heads=num_heads)(inputs, inputs)
    x = L.LayerNormalization(epsilon=1e-6)(x)
    res = x + inputs
    x = L.Dense(ff_dim, activation="relu")(res)
    x = L.Dense(inputs.shape[-1])(x)
    x = L.LayerNormalization(epsilon=1e-6)(x)
    return x + res


def build_ops_residual(seed):
    inputs = keras.Input((12, 4))
    x = transformer_encoder(inputs, head_size=8, num_heads=2, ff_dim=16)
    x = transformer_encoder(x, head_size=8, num_heads=2, ff_dim=16)
    x = L.GlobalAveragePooling1D(data_format="channels_first")(x)
    outputs = L.Dense(3, activation="softmax")(x)
    return simple_case(keras.Model(inputs, outputs, name="ops_residual"), seed)


def build_ops_last_step(seed):
    inputs = keras.Input((10, 3))
    h = L.LSTM(8, return_sequences=True)(inputs)
    last = h[:, -1, :]
    every_other = h[:, 1::2, ...]
    return simple_case(keras.Model(inputs, [L.Dense(2)(last), every_other[:, :, None, -3:]], name="ops_last_step"), seed)


def build_ops_mean_pool(seed):
    inputs = keras.Input((10, 3))
    h = L.Conv1D(6, 3, activation="relu")(inputs)
    pooled = tf.reduce_mean(h, axis=1)
    per_step = tf.math.reduce_mean(h, axis=-1, keepdims=True)
    both = tf.reduce_mean(h, axis=[1, 2])
    return simple_case(keras.Model(inputs, [L.Dense(2)(pooled), per_step, both], name="ops_mean_pool"), seed)


def build_ops_scalar(seed):
    inputs = keras.Input((5, 3))
    h = L.Dense(4)(inputs)
    other = L.Dense(4)(inputs[:, 0, :])
    outputs = [h * 0.5, 2.0 * h, h + 1.0, 1.0 - h, h / 4.0,
               tf.math.subtract(h, inputs[:, :, :1]), h / (tf.math.multiply(other, other)[:, None, :] + 1.0)]
    return simple_case(keras.Model(inputs, outputs, name="ops_scalar"), seed)


def build_ops_add(seed):
    a = keras.Input((5, 3))
    b = keras.Input((5, 3))
    h = L.Dense(3)(a)
    outputs = [tf.math.add(h, b), tf.add(b, h[:, :1, :]), tf.math.divide(h, tf.math.add(tf.math.multiply(b, b), 1.0))]
    return simple_case(keras.Model([a, b], outputs, name="ops_add"), seed)


def padding_ids(rng, steps=6):
    """Token ids 1..4 as float32, each sequence padded with 0 after a random length (the second
    sequence has no padding)."""
    ids = rng.integers(1, 5, size=(2, steps)).astype(np.float32)
    ids[0, int(rng.integers(1, steps)):] = 0
    return ids


def build_ops_padding_mask(seed):
    ids = keras.Input((6,), name="ids")
    features = keras.Input((6, 3), name="features")
    h = L.Dense(4)(features)
    mask = tf.cast(tf.not_equal(ids, 0), "float32")
    padding = tf.cast(tf.math.equal(ids, 0), "float32")
    masked = h * mask[:, :, None]
    both = tf.cast(tf.math.not_equal(ids, 2.0), "float32") + tf.cast(features, "float32")[:, :, 0]
    model = keras.Model([ids, features], [masked, padding, both], name="ops_padding_mask")
    built = simple_case(model, seed)
    rng = np.random.default_rng(seed + 1)
    return Built(model, [padding_ids(rng), built.inputs[1]])


def build_ops_math(seed):
    a = keras.Input((5, 3), name="a")
    b = keras.Input((5, 3), name="b")
    h = L.Dense(3)(a)
    positive = tf.math.abs(h) + 0.25
    outputs = [tf.math.maximum(h, b), tf.minimum(h, 0.1), tf.exp(h), tf.math.log(positive),
               tf.sqrt(positive), tf.square(h), tf.tanh(h * 3.0), tf.sigmoid(h * 3.0), tf.nn.relu(h),
               tf.clip_by_value(h * 2.0, -0.5, 0.75)]
    return simple_case(keras.Model([a, b], outputs, name="ops_math"), seed)


def build_ops_shapes(seed):
    a = keras.Input((4, 6), name="a")
    b = keras.Input((4, 2), name="b")
    h = L.Dense(6)(a)
    flat = tf.reshape(h, (-1, 24))
    grid = tf.reshape(h, [-1, 2, 3, 4])
    swapped = tf.transpose(h, [0, 2, 1])
    widened = tf.expand_dims(h, 2)
    squeezed = tf.squeeze(tf.expand_dims(h, -1), axis=-1)
    joined = tf.concat([h, b], axis=-1)
    outputs = [flat, grid, swapped, widened, squeezed, joined, tf.reduce_sum(h, axis=1),
               tf.math.reduce_max(joined, axis=-1, keepdims=True), tf.reduce_min(h, axis=[1, 2]),
               L.Dense(2)(flat)]
    return simple_case(keras.Model([a, b], outputs, name="ops_shapes"), seed)


def build_ops_attention_scores(seed):
    """Hand-written dot-product attention: softmax(q @ kᵀ / √d) @ v, and a softmax over the time axis."""
    inputs = keras.Input((5, 4), name="series")
    q, k, v = L.Dense(4)(inputs), L.Dense(4)(inputs), L.Dense(3)(inputs)
    scores = tf.matmul(q, tf.transpose(k, [0, 2, 1])) / 2.0
    weights = tf.nn.softmax(scores, axis=-1)
    attended = tf.matmul(weights, v)
    over_time = tf.nn.softmax(v, axis=1)
    outputs = [L.Dense(2)(tf.reduce_mean(attended, axis=1)), weights, over_time]
    return simple_case(keras.Model(inputs, outputs, name="ops_attention_scores"), seed)


def keras_io_encoder(layers, inputs, head_size, num_heads, ff_dim, dropout):
    """The encoder block of keras.io "Timeseries classification with a Transformer model", as written
    there: attention with dropout, LayerNormalization, `x + inputs`, then Conv1D(kernel 1, relu),
    Dropout, Conv1D(kernel 1), LayerNormalization, `x + res`."""
    x = layers.MultiHeadAttention(key_dim=head_size, num_heads=num_heads, dropout=dropout)(inputs, inputs)
    x = layers.Dropout(dropout)(x)
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    res = x + inputs
    x = layers.Conv1D(filters=ff_dim, kernel_size=1, activation="relu")(res)
    x = layers.Dropout(dropout)(x)
    x = layers.Conv1D(filters=inputs.shape[-1], kernel_size=1)(x)
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    return x + res


def keras_io_classifier(keras_module, name):
    """keras.io's classifier around the encoder (FordA's one channel, sizes scaled down): two blocks,
    GlobalAveragePooling1D(channels_last), Dense(relu) -> Dropout, Dense(softmax)."""
    layers = keras_module.layers
    inputs = keras_module.Input(shape=(20, 1))
    x = inputs
    for _ in range(2):
        x = keras_io_encoder(layers, x, head_size=8, num_heads=2, ff_dim=4, dropout=0.25)
    x = layers.GlobalAveragePooling1D(data_format="channels_last")(x)
    x = layers.Dense(16, activation="relu")(x)
    x = layers.Dropout(0.4)(x)
    outputs = layers.Dense(2, activation="softmax")(x)
    return keras_module.Model(inputs, outputs, name=name)


def build_ops_transformer_classifier(seed):
    return simple_case(keras_io_classifier(keras, "ops_transformer_classifier"), seed)


def build_ops_select(seed):
    a = keras.Input((5, 3), name="a")
    b = keras.Input((5, 3), name="b")
    h = L.Dense(3)(a)
    divisor = b * b + 0.5
    outputs = [tf.where(h > 0.1, h, -h), tf.where(tf.greater_equal(h, b), h, 0.0),
               tf.cast(h < b, "float32"), tf.cast(tf.math.less_equal(h, 0.2), "float32"),
               h // 0.3, tf.math.floordiv(h * 4.0, divisor), tf.math.erf(h * 2.0)]
    return simple_case(keras.Model([a, b], outputs, name="ops_select"), seed)


def integer_ids(rng, steps=6):
    """Token ids -1..5 as float32 for an int32 input (-1 and 5 fall outside one_hot's depth of 5;
    each sequence holds one of them)."""
    ids = rng.integers(-1, 6, size=(2, steps)).astype(np.float32)
    ids[0, 0], ids[1, 1] = -1, 5
    return ids


def build_ops_integers(seed):
    ids = keras.Input((6,), name="ids", dtype="int32")
    x = keras.Input((6, 3), name="x")
    h = L.Dense(3)(x)
    codes = tf.one_hot(ids, 5)
    outputs = [codes, tf.one_hot(ids, 4, on_value=2.0, off_value=-1.0, axis=1),
               tf.cast((ids - 3) // 2, "float32"), tf.cast(ids * 3 - 4, "float32"),
               tf.cast(tf.cast(h * 10.0, "int32"), "float32"), tf.cast(tf.cast(h - h[:, :1, :], "bool"), "float32"),
               L.Dense(2)(tf.concat([codes, h], axis=-1))]
    model = keras.Model([ids, x], outputs, name="ops_integers")
    built = simple_case(model, seed)
    rng = np.random.default_rng(seed + 1)
    return Built(model, [integer_ids(rng), built.inputs[1]])


def build_ops_stack_split(seed):
    inputs = keras.Input((4, 6), name="series")
    h = L.Dense(6)(inputs)
    first, _, third = tf.split(h, 3, axis=-1)
    head, tail = tf.split(h, [1, -1], axis=1)
    stacked = tf.stack([first, third * 2.0], axis=1)
    outputs = [stacked, tf.stack([h, h], axis=-1), head, tail, L.Dense(2)(tf.reshape(stacked, (-1, 16)))]
    return simple_case(keras.Model(inputs, outputs, name="ops_stack_split"), seed)


def build_ops_stream(seed):
    """Stateful LSTMs with operations between them (x * 0.5 + 1, where, a residual sum), predicted on a
    whole sequence and, from reset states, on three consecutive chunks of it."""
    x = keras.Input(batch_shape=(2, None, 3), name="x")
    seq = L.LSTM(5, return_sequences=True, stateful=True, name="lstm_seq")(x)
    scaled = seq * 0.5 + 1.0
    gated = tf.where(seq > 0.0, scaled, seq * 0.1)
    top = L.LSTM(5, return_sequences=True, stateful=True, name="lstm_top")(gated)
    outputs = [L.Dense(2, name="per_step")(top + seq), tf.reduce_mean(top, axis=-1)]
    model = keras.Model(x, outputs, name="ops_stream")
    rng = np.random.default_rng(seed)
    fit_random(model, rng, x=[rng.uniform(-1, 1, size=(8, 7, 3)).astype(np.float32)],
               y=[rng.uniform(-1, 1, size=(8, 7, 2)).astype(np.float32), rng.uniform(-1, 1, size=(8, 7)).astype(np.float32)],
               batch_size=2)
    full = rng.uniform(-1, 1, size=(2, 9, 3)).astype(np.float32)
    return Built(model, [full], chunks=[[full[:, :4]], [full[:, 4:6]], [full[:, 6:]]])


# ---------------------------------------------------------------------------
# Keras 3 (op nodes).
# ---------------------------------------------------------------------------

def k3_ops_residual(K, seed):
    L3 = K.layers
    inputs = K.Input((12, 4), name="series")
    x = inputs
    for _ in range(2):
        h = L3.LayerNormalization(epsilon=1e-6)(x)
        h = L3.Dense(16, activation="relu")(h)
        h = L3.Dense(4)(h)
        x = x + h
    x = K.ops.mean(x, axis=1)
    outputs = L3.Dense(3, activation="softmax")(x)
    return simple3(K, K.Model(inputs, outputs, name="k3_ops_residual"), seed)


def k3_ops_transformer_classifier(K, seed):
    return simple3(K, keras_io_classifier(K, "k3_ops_transformer_classifier"), seed)


def k3_ops_last_step(K, seed):
    L3 = K.layers
    inputs = K.Input((10, 3), name="series")
    h = L3.LSTM(8, return_sequences=True)(inputs)
    last = h[:, -1, :]
    every_other = h[:, 1::2, ...]
    return simple3(K, K.Model(inputs, [L3.Dense(2)(last), every_other[:, :, None, -3:]], name="k3_ops_last_step"), seed)


def k3_ops_mean_pool(K, seed):
    L3 = K.layers
    inputs = K.Input((10, 3), name="series")
    h = L3.Conv1D(6, 3, activation="relu")(inputs)
    pooled = K.ops.mean(h, axis=1)
    per_step = K.ops.mean(h, axis=-1, keepdims=True)
    both = K.ops.mean(h, axis=[1, 2])
    return simple3(K, K.Model(inputs, [L3.Dense(2)(pooled), per_step, both], name="k3_ops_mean_pool"), seed)


def k3_ops_scalar(K, seed):
    L3 = K.layers
    inputs = K.Input((5, 3), name="series")
    h = L3.Dense(4)(inputs)
    other = L3.Dense(4)(inputs[:, 0, :])
    outputs = [h * 0.5, 2.0 * h, h + 1.0, 1.0 - h, h / 4.0, K.ops.subtract(h, inputs[:, :, :1]),
               K.ops.divide(h, K.ops.multiply(other, other)[:, None, :] + 1.0)]
    return simple3(K, K.Model(inputs, outputs, name="k3_ops_scalar"), seed)


def k3_ops_padding_mask(K, seed):
    L3 = K.layers
    ids = K.Input((6,), name="ids")
    features = K.Input((6, 3), name="features")
    h = L3.Dense(4)(features)
    mask = K.ops.cast(K.ops.not_equal(ids, 0), "float32")
    padding = K.ops.cast(K.ops.equal(ids, 0), "float32")
    masked = h * mask[:, :, None]
    both = K.ops.cast(K.ops.not_equal(ids, 2.0), "float32") + K.ops.cast(features, "float32")[:, :, 0]
    model = K.Model([ids, features], [masked, padding, both], name="k3_ops_padding_mask")
    built = simple3(K, model, seed)
    rng = np.random.default_rng(seed + 1)
    return Built3(model, [padding_ids(rng), built.inputs[1]])


def k3_ops_math(K, seed):
    L3, O = K.layers, K.ops
    a = K.Input((5, 3), name="a")
    b = K.Input((5, 3), name="b")
    h = L3.Dense(3)(a)
    positive = O.absolute(h) + 0.25
    outputs = [O.maximum(h, b), O.minimum(h, 0.1), O.exp(h), O.log(positive), O.sqrt(positive), O.square(h),
               O.tanh(h * 3.0), O.sigmoid(h * 3.0), O.relu(h), O.clip(h * 2.0, -0.5, 0.75)]
    return simple3(K, K.Model([a, b], outputs, name="k3_ops_math"), seed)


def k3_ops_shapes(K, seed):
    L3, O = K.layers, K.ops
    a = K.Input((4, 6), name="a")
    b = K.Input((4, 2), name="b")
    h = L3.Dense(6)(a)
    flat = O.reshape(h, (-1, 24))
    grid = O.reshape(h, [-1, 2, 3, 4])
    swapped = O.transpose(h, [0, 2, 1])
    widened = O.expand_dims(h, 2)
    squeezed = O.squeeze(O.expand_dims(h, -1), axis=-1)
    joined = O.concatenate([h, b], axis=-1)
    outputs = [flat, grid, swapped, widened, squeezed, joined, O.sum(h, axis=1),
               O.max(joined, axis=-1, keepdims=True), O.min(h, axis=[1, 2]), L3.Dense(2)(flat)]
    return simple3(K, K.Model([a, b], outputs, name="k3_ops_shapes"), seed)


def k3_ops_attention_scores(K, seed):
    L3, O = K.layers, K.ops
    inputs = K.Input((5, 4), name="series")
    q, k, v = L3.Dense(4)(inputs), L3.Dense(4)(inputs), L3.Dense(3)(inputs)
    scores = O.matmul(q, O.transpose(k, [0, 2, 1])) / 2.0
    weights = O.softmax(scores, axis=-1)
    attended = O.matmul(weights, v)
    over_time = O.softmax(v, axis=1)
    outputs = [L3.Dense(2)(O.mean(attended, axis=1)), weights, over_time]
    return simple3(K, K.Model(inputs, outputs, name="k3_ops_attention_scores"), seed)


def k3_ops_select(K, seed):
    L3, O = K.layers, K.ops
    a = K.Input((5, 3), name="a")
    b = K.Input((5, 3), name="b")
    h = L3.Dense(3)(a)
    divisor = b * b + 0.5
    outputs = [O.where(h > 0.1, h, -h), O.where(O.greater_equal(h, b), h, 0.0), O.cast(h < b, "float32"),
               O.cast(O.less_equal(h, 0.2), "float32"), h // 0.3, O.floor_divide(h * 4.0, divisor), O.erf(h * 2.0)]
    return simple3(K, K.Model([a, b], outputs, name="k3_ops_select"), seed)


def k3_ops_integers(K, seed):
    L3, O = K.layers, K.ops
    ids = K.Input((6,), name="ids", dtype="int32")
    x = K.Input((6, 3), name="x")
    h = L3.Dense(3)(x)
    codes = O.one_hot(ids, 5)
    outputs = [codes, O.one_hot(ids, 4, axis=1), O.cast((ids - 3) // 2, "float32"), O.cast(ids * 3 - 4, "float32"),
               O.cast(O.cast(h * 10.0, "int32"), "float32"), O.cast(O.cast(h - h[:, :1, :], "bool"), "float32"),
               L3.Dense(2)(O.concatenate([codes, h], axis=-1))]
    model = K.Model([ids, x], outputs, name="k3_ops_integers")
    built = simple3(K, model, seed)
    rng = np.random.default_rng(seed + 1)
    return Built3(model, [integer_ids(rng), built.inputs[1]])


def k3_ops_stack_split(K, seed):
    L3, O = K.layers, K.ops
    inputs = K.Input((4, 6), name="series")
    h = L3.Dense(6)(inputs)
    first, _, third = O.split(h, 3, axis=-1)
    head, tail = O.split(h, [1], axis=1)
    stacked = O.stack([first, third * 2.0], axis=1)
    outputs = [stacked, O.stack([h, h], axis=-1), head, tail, L3.Dense(2)(O.reshape(stacked, (-1, 16)))]
    return simple3(K, K.Model(inputs, outputs, name="k3_ops_stack_split"), seed)


def summary3_operations(model):
    """summary.json from Keras 3 objects with a row per op node too (`model._operations`, the list
    Keras 3's `model.summary()` prints for a Functional model)."""
    def shape_of(op):
        out = op.output
        if isinstance(out, (list, tuple)):
            shapes = [[None if d is None else int(d) for d in t.shape] for t in out]
            return shapes[0] if len(shapes) == 1 else shapes
        return [None if d is None else int(d) for d in out.shape]

    def count(weights):
        return int(sum(int(np.prod(w.shape)) for w in {id(w): w for w in weights}.values()))

    trainable, non_trainable = count(model.trainable_weights), count(model.non_trainable_weights)
    return {
        "layers": [{"name": op.name, "class_name": op.__class__.__name__, "output_shape": shape_of(op),
                    "params": int(op.count_params()) if hasattr(op, "count_params") else 0}
                   for op in model._operations],
        "total_params": trainable + non_trainable,
        "trainable_params": trainable,
        "non_trainable_params": non_trainable,
    }


def generate_keras3_operations(case, spec_hash):
    """The Keras 3 pipeline, then summary.json rewritten from the saved model reloaded by Keras 3,
    with the op nodes' rows."""
    generate_keras3(case, spec_hash)
    directory = os.path.join(CASES_DIR, case.name)
    with open(os.path.join(directory, "case.json")) as f:
        meta = json.load(f)
    summary = summary3_operations(reload3(keras3(), directory, meta["model"], meta["weights"]))
    with open(os.path.join(directory, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")
    return summary


def cases():
    def k3(name, builder, seed, description, covers, deps=()):
        return Case(name, builder, {"seed": seed}, description, ["keras3"] + covers, fmt="keras",
                    deps=K3_DEPS + [summary3_operations] + list(deps), keras=3, generate=generate_keras3_operations)

    return [
        Case("ops_residual", build_ops_residual, {"seed": 2101},
             "keras.io Transformer encoder for time series, twice: MultiHeadAttention -> LayerNormalization -> "
             "x + inputs, Dense(relu) -> Dense -> LayerNormalization -> x + res (TFOpLambda __operators__.add), "
             "then GlobalAveragePooling1D(channels_first) -> Dense(softmax).",
             ["Functional", "TFOpLambda.function=__operators__.add", "MultiHeadAttention", "LayerNormalization"],
             deps=[transformer_encoder]),
        Case("ops_last_step", build_ops_last_step, {"seed": 2102},
             "LSTM(return_sequences) -> h[:, -1, :] -> Dense, and h[:, 1::2, ...][:, :, None, -3:] "
             "(SlicingOpLambda: index, negative index, step, Ellipsis, newaxis).",
             ["SlicingOpLambda.function=__operators__.getitem", "LSTM.return_sequences=True"]),
        Case("ops_mean_pool", build_ops_mean_pool, {"seed": 2103},
             "Conv1D(relu) -> tf.reduce_mean(h, axis=1) -> Dense; tf.math.reduce_mean(h, axis=-1, keepdims=True); "
             "tf.reduce_mean(h, axis=[1, 2]).",
             ["TFOpLambda.function=math.reduce_mean"]),
        Case("ops_scalar", build_ops_scalar, {"seed": 2104},
             "Dense -> h * 0.5, 2.0 * h, h + 1.0, 1.0 - h, h / 4.0 (scalar constants on either side, "
             "_CONSTANT_VALUE first operands), tf.math.subtract(h, x[:, :, :1]) and "
             "h / (tf.math.multiply(o, o)[:, None, :] + 1.0) (broadcasting tensor operands).",
             ["TFOpLambda.function=math.multiply", "TFOpLambda.function=__operators__.add",
              "TFOpLambda.function=math.subtract", "TFOpLambda.function=math.truediv",
              "SlicingOpLambda.function=__operators__.getitem"]),
        Case("ops_add", build_ops_add, {"seed": 2105},
             "Dense -> tf.math.add(h, b), tf.add(b, h[:, :1, :]) (both written as math.add, broadcasting) and "
             "tf.math.divide(h, tf.math.add(b * b, 1.0)) (written as math.truediv).",
             ["TFOpLambda.function=math.add", "TFOpLambda.function=math.truediv",
              "TFOpLambda.function=math.multiply", "SlicingOpLambda.function=__operators__.getitem"]),
        Case("ops_padding_mask", build_ops_padding_mask, {"seed": 2106},
             "Token ids (0 = padding) and features: Dense(features) * tf.cast(tf.not_equal(ids, 0), 'float32')[:, :, None] "
             "(a time-series model masking padded steps), tf.cast(tf.math.equal(ids, 0), 'float32'), and "
             "tf.cast(tf.math.not_equal(ids, 2.0), 'float32') + tf.cast(features, 'float32')[:, :, 0].",
             ["TFOpLambda.function=math.not_equal", "TFOpLambda.function=math.equal", "TFOpLambda.function=cast",
              "TFOpLambda.function=__operators__.add", "TFOpLambda.function=math.multiply",
              "SlicingOpLambda.function=__operators__.getitem"],
             deps=[padding_ids]),
        Case("ops_math", build_ops_math, {"seed": 2107},
             "Dense -> tf.math.maximum(h, b), tf.minimum(h, 0.1), tf.exp, tf.math.log(|h| + 0.25), tf.sqrt(|h| + 0.25), "
             "tf.square, tf.tanh(3h), tf.sigmoid(3h), tf.nn.relu, tf.clip_by_value(2h, -0.5, 0.75).",
             ["TFOpLambda.function=math.maximum", "TFOpLambda.function=math.minimum", "TFOpLambda.function=math.exp",
              "TFOpLambda.function=math.log", "TFOpLambda.function=math.sqrt", "TFOpLambda.function=math.square",
              "TFOpLambda.function=math.abs", "TFOpLambda.function=math.tanh", "TFOpLambda.function=math.sigmoid",
              "TFOpLambda.function=nn.relu", "TFOpLambda.function=clip_by_value",
              "TFOpLambda.function=__operators__.add", "TFOpLambda.function=math.multiply"]),
        Case("ops_shapes", build_ops_shapes, {"seed": 2108},
             "Dense -> tf.reshape(h, (-1, 24)) -> Dense, tf.reshape(h, [-1, 2, 3, 4]), tf.transpose(h, [0, 2, 1]), "
             "tf.expand_dims(h, 2), tf.squeeze(tf.expand_dims(h, -1), axis=-1), tf.concat([h, b], axis=-1), "
             "tf.reduce_sum(h, axis=1), tf.math.reduce_max(concat, axis=-1, keepdims=True), tf.reduce_min(h, axis=[1, 2]).",
             ["TFOpLambda.function=reshape", "TFOpLambda.function=compat.v1.transpose",
              "TFOpLambda.function=expand_dims", "TFOpLambda.function=compat.v1.squeeze", "TFOpLambda.function=concat",
              "TFOpLambda.function=math.reduce_sum", "TFOpLambda.function=math.reduce_max",
              "TFOpLambda.function=math.reduce_min"]),
        Case("ops_attention_scores", build_ops_attention_scores, {"seed": 2109},
             "Hand-written dot-product attention: Dense q, k, v -> tf.matmul(q, tf.transpose(k, [0, 2, 1])) / 2 -> "
             "tf.nn.softmax(axis=-1) -> tf.matmul(weights, v) -> reduce_mean -> Dense; tf.nn.softmax(v, axis=1).",
             ["TFOpLambda.function=linalg.matmul", "TFOpLambda.function=nn.softmax",
              "TFOpLambda.function=compat.v1.transpose", "TFOpLambda.function=math.truediv",
              "TFOpLambda.function=math.reduce_mean"]),
        Case("ops_transformer_classifier", build_ops_transformer_classifier, {"seed": 2110},
             "keras.io Timeseries classification with a Transformer model, as written there (sizes scaled down): "
             "two encoder blocks (MultiHeadAttention with dropout, LayerNormalization, x + inputs, Conv1D(1, relu), "
             "Conv1D(1), LayerNormalization, x + res as TFOpLambda __operators__.add), GlobalAveragePooling1D, "
             "Dense(relu), Dropout, Dense(softmax); .h5.",
             ["TFOpLambda.function=__operators__.add", "MultiHeadAttention", "Conv1D.kernel_size=1",
              "LayerNormalization", "GlobalAveragePooling1D"],
             deps=[keras_io_encoder, keras_io_classifier]),
        Case("ops_select", build_ops_select, {"seed": 2121},
             "Dense -> tf.where(h > 0.1, h, -h), tf.where(tf.greater_equal(h, b), h, 0.0), tf.cast(h < b), "
             "tf.cast(tf.math.less_equal(h, 0.2)), h // 0.3, tf.math.floordiv(4h, b² + 0.5), tf.math.erf(2h).",
             ["TFOpLambda.function=where", "TFOpLambda.function=math.greater", "TFOpLambda.function=math.greater_equal",
              "TFOpLambda.function=math.less", "TFOpLambda.function=math.less_equal", "TFOpLambda.function=math.negative",
              "TFOpLambda.function=compat.v1.floor_div", "TFOpLambda.function=math.erf", "TFOpLambda.function=cast"]),
        Case("ops_integers", build_ops_integers, {"seed": 2122},
             "An int32 input of ids -1..5 and features: tf.one_hot(ids, 5), tf.one_hot(ids, 4, on_value=2, off_value=-1, "
             "axis=1), integer (ids - 3) // 2 and ids * 3 - 4, tf.cast(tf.cast(10h, 'int32')) (toward zero), "
             "tf.cast(tf.cast(h - h[:, :1], 'bool')), Dense(concat(one_hot, h)).",
             ["TFOpLambda.function=one_hot", "TFOpLambda.function=compat.v1.floor_div", "TFOpLambda.function=cast",
              "TFOpLambda.function=math.subtract", "TFOpLambda.function=math.multiply", "TFOpLambda.function=concat",
              "InputLayer.dtype=int32"],
             deps=[integer_ids]),
        Case("ops_stack_split", build_ops_stack_split, {"seed": 2123},
             "Dense -> tf.split(h, 3, axis=-1), tf.split(h, [1, -1], axis=1), tf.stack([first, 2 * third], axis=1), "
             "tf.stack([h, h], axis=-1), reshape -> Dense.",
             ["TFOpLambda.function=split", "TFOpLambda.function=stack", "TFOpLambda.function=reshape"]),
        Case("ops_stream", build_ops_stream, {"seed": 2124},
             "Stateful LSTM(return_sequences) -> seq * 0.5 + 1.0, tf.where(seq > 0, scaled, 0.1 seq) -> stateful LSTM -> "
             "Dense(top + seq), tf.reduce_mean(top, axis=-1); predicted whole and in three chunks with carried states.",
             ["TFOpLambda.function=where", "TFOpLambda.function=math.greater", "LSTM.stateful=True",
              "TFOpLambda.function=__operators__.add", "TFOpLambda.function=math.multiply"]),
        k3("k3_ops_select", k3_ops_select, 2125,
           "Keras 3 Dense -> where(h > 0.1, h, -h), where(greater_equal(h, b), h, 0.0), cast(h < b), cast(less_equal(h, 0.2)), "
           "h // 0.3, floor_divide(4h, b² + 0.5), erf(2h) (op nodes numpy.Where, Greater, GreaterEqual, Less, LessEqual, "
           "Negative, FloorDivide, math.Erf); .keras archive.",
           ["ops.numpy.Where", "ops.numpy.Greater", "ops.numpy.GreaterEqual", "ops.numpy.Less", "ops.numpy.LessEqual",
            "ops.numpy.Negative", "ops.numpy.FloorDivide", "ops.math.Erf", "ops.core.Cast"]),
        k3("k3_ops_integers", k3_ops_integers, 2126,
           "Keras 3 int32 ids -1..5 and features: one_hot(ids, 5), one_hot(ids, 4, axis=1), integer (ids - 3) // 2 and "
           "ids * 3 - 4, cast(cast(10h, 'int32')), cast(cast(h - h[:, :1], 'bool')), Dense(concatenate(one_hot, h)) "
           "(op nodes nn.OneHot, numpy.FloorDivide, core.Cast); .keras archive.",
           ["ops.nn.OneHot", "ops.numpy.FloorDivide", "ops.core.Cast", "ops.numpy.Subtract", "ops.numpy.Multiply",
            "ops.numpy.Concatenate", "InputLayer.dtype=int32"], deps=[integer_ids]),
        k3("k3_ops_stack_split", k3_ops_stack_split, 2127,
           "Keras 3 Dense -> split(h, 3, axis=-1), split(h, [1], axis=1) (numpy's split indices), stack([first, 2 * third], "
           "axis=1), stack([h, h], axis=-1), reshape -> Dense (op nodes numpy.Split, numpy.Stack); .keras archive.",
           ["ops.numpy.Split", "ops.numpy.Stack", "ops.numpy.Reshape"]),
        k3("k3_ops_transformer_classifier", k3_ops_transformer_classifier, 2120,
           "keras.io Timeseries classification with a Transformer model in Keras 3, as written there (sizes scaled "
           "down): two encoder blocks with MultiHeadAttention (sublayer groups in the .keras weights) and "
           "x + inputs / x + res (op nodes numpy.Add), GlobalAveragePooling1D, Dense(relu), Dropout, "
           "Dense(softmax); .keras archive.",
           ["ops.numpy.Add", "MultiHeadAttention", "Conv1D.kernel_size=1", "LayerNormalization",
            "GlobalAveragePooling1D"], deps=[keras_io_encoder, keras_io_classifier]),
        k3("k3_ops_residual", k3_ops_residual, 2111,
           "Keras 3 pre-norm residual blocks, twice: LayerNormalization -> Dense(relu) -> Dense -> x + h "
           "(op node numpy.Add), then keras.ops.mean(x, axis=1) -> Dense(softmax); .keras archive.",
           ["ops.numpy.Add", "ops.numpy.Mean", "LayerNormalization"]),
        k3("k3_ops_last_step", k3_ops_last_step, 2112,
           "Keras 3 LSTM(return_sequences) -> h[:, -1, :] -> Dense, and h[:, 1::2, ...][:, :, None, -3:] "
           "(op nodes numpy.GetItem); .keras archive.",
           ["ops.numpy.GetItem", "LSTM.return_sequences=True"]),
        k3("k3_ops_mean_pool", k3_ops_mean_pool, 2113,
           "Keras 3 Conv1D(relu) -> keras.ops.mean(h, axis=1) -> Dense; mean(axis=-1, keepdims=True); "
           "mean(axis=[1, 2]) (op nodes numpy.Mean); .keras archive.",
           ["ops.numpy.Mean"]),
        k3("k3_ops_scalar", k3_ops_scalar, 2114,
           "Keras 3 Dense -> h * 0.5, 2.0 * h, h + 1.0, 1.0 - h, h / 4.0, keras.ops.subtract(h, x[:, :, :1]), "
           "keras.ops.divide(h, multiply(o, o)[:, None, :] + 1.0) (op nodes numpy.Multiply, Add, Subtract, "
           "TrueDivide, Divide, GetItem); .keras archive.",
           ["ops.numpy.Multiply", "ops.numpy.Add", "ops.numpy.Subtract", "ops.numpy.TrueDivide",
            "ops.numpy.Divide", "ops.numpy.GetItem"]),
        k3("k3_ops_padding_mask", k3_ops_padding_mask, 2116,
           "Keras 3 token ids (0 = padding) and features: Dense(features) * keras.ops.cast(keras.ops.not_equal(ids, 0), "
           "'float32')[:, :, None], cast(equal(ids, 0)), cast(not_equal(ids, 2.0)) + cast(features)[:, :, 0] "
           "(op nodes numpy.NotEqual, numpy.Equal, core.Cast); .keras archive.",
           ["ops.numpy.NotEqual", "ops.numpy.Equal", "ops.core.Cast", "ops.numpy.Multiply", "ops.numpy.Add",
            "ops.numpy.GetItem"], deps=[padding_ids]),
        k3("k3_ops_math", k3_ops_math, 2117,
           "Keras 3 Dense -> keras.ops.maximum(h, b), minimum(h, 0.1), exp, log(|h| + 0.25), sqrt(|h| + 0.25), square, "
           "tanh(3h), sigmoid(3h), relu, clip(2h, -0.5, 0.75) (op nodes numpy.Maximum ... nn.Sigmoid, nn.Relu, "
           "numpy.Clip); .keras archive.",
           ["ops.numpy.Maximum", "ops.numpy.Minimum", "ops.numpy.Exp", "ops.numpy.Log", "ops.numpy.Sqrt",
            "ops.numpy.Square", "ops.numpy.Absolute", "ops.numpy.Tanh", "ops.nn.Sigmoid", "ops.nn.Relu",
            "ops.numpy.Clip", "ops.numpy.Add", "ops.numpy.Multiply"]),
        k3("k3_ops_shapes", k3_ops_shapes, 2118,
           "Keras 3 Dense -> keras.ops.reshape(h, (-1, 24)) -> Dense, reshape(h, [-1, 2, 3, 4]), transpose(h, [0, 2, 1]), "
           "expand_dims(h, 2), squeeze(expand_dims(h, -1), axis=-1), concatenate([h, b], axis=-1), sum(h, axis=1), "
           "max(concat, axis=-1, keepdims=True), min(h, axis=[1, 2]); .keras archive.",
           ["ops.numpy.Reshape", "ops.numpy.Transpose", "ops.numpy.ExpandDims", "ops.numpy.Squeeze",
            "ops.numpy.Concatenate", "ops.numpy.Sum", "ops.numpy.Max", "ops.numpy.Min"]),
        k3("k3_ops_attention_scores", k3_ops_attention_scores, 2119,
           "Keras 3 hand-written dot-product attention: keras.ops.matmul(q, transpose(k, [0, 2, 1])) / 2 -> "
           "softmax(axis=-1) -> matmul(weights, v) -> mean -> Dense; softmax(v, axis=1) (op nodes numpy.Matmul, "
           "nn.Softmax); .keras archive.",
           ["ops.numpy.Matmul", "ops.nn.Softmax", "ops.numpy.Transpose", "ops.numpy.TrueDivide", "ops.numpy.Mean"]),
    ]
