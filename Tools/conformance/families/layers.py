"""The rest of the Keras layers: advanced activations, normalization, merges, embedding and masking,
inference no-ops, pooling, shape layers and the remaining convolutions."""
import numpy as np

from ..case import Case
from ..env import L, keras
from ..helpers import Built, branches, fit_random, simple_case


# ---------------------------------------------------------------------------
# Activation layers.
# ---------------------------------------------------------------------------

def build_activation_layers_adv(seed):
    x = keras.Input((6, 4), name="x")
    img = keras.Input((3, 4, 2), name="img")
    outs = [
        L.ReLU(name="relu_default")(x),
        L.ReLU(max_value=1.5, name="relu_max")(x),
        L.ReLU(max_value=6.0, name="relu_max6")(x),
        L.ReLU(negative_slope=0.1, name="relu_slope")(x),
        L.ReLU(threshold=0.5, name="relu_threshold")(x),
        L.ReLU(max_value=2.0, negative_slope=0.2, threshold=0.5, name="relu_all")(x),
        L.LeakyReLU(name="leaky_default")(x),
        L.LeakyReLU(alpha=0.05, name="leaky_005")(x),
        L.ELU(name="elu_default")(x),
        L.ELU(alpha=0.5, name="elu_05")(x),
        L.ThresholdedReLU(name="thresholded_default")(x),
        L.ThresholdedReLU(theta=0.25, name="thresholded_025")(x),
        L.Softmax(name="softmax_default")(x),
        L.Softmax(axis=1, name="softmax_axis1")(x),
        L.Softmax(axis=[1, 2], name="softmax_axes12")(x),
        L.PReLU(name="prelu")(x),
        L.PReLU(shared_axes=[1], name="prelu_shared1")(x),
        L.PReLU(shared_axes=[1, 2], name="prelu_img_shared12")(img),
        L.PReLU(name="prelu_img")(img),
    ]
    model = branches([x, img], outs, "activation_layers_adv")
    # PReLU alphas start at zero: train with a larger rate so they move away from it.
    return simple_case(model, seed, low=-3.0, high=3.0, lr=0.05)


# ---------------------------------------------------------------------------
# Normalization.
# ---------------------------------------------------------------------------

def set_small_variance(layer, value):
    """Sets moving_variance of the first channels to tiny values so that epsilon dominates."""
    ws = layer.get_weights()
    names = [w.name.split("/")[-1] for w in layer.weights]
    i = next(k for k, n in enumerate(names) if n.startswith("moving_variance"))
    flat = ws[i].reshape(-1)
    flat[: max(1, flat.size // 2)] = value
    ws[i] = flat.reshape(ws[i].shape)
    layer.set_weights(ws)


def build_batchnorm(seed):
    v = keras.Input((5,), name="vec")
    s = keras.Input((6, 4), name="seq")
    m = keras.Input((4, 5, 3), name="img")
    outs = [
        L.BatchNormalization(name="bn_vec")(v),
        L.BatchNormalization(momentum=0.5, name="bn_vec_momentum")(v),
        L.BatchNormalization(center=False, name="bn_vec_nocenter")(v),
        L.BatchNormalization(scale=False, name="bn_vec_noscale")(v),
        L.BatchNormalization(center=False, scale=False, name="bn_vec_plain")(v),
        L.BatchNormalization(epsilon=1e-6, momentum=0.5, name="bn_vec_eps_small")(v),
        L.BatchNormalization(renorm=True, momentum=0.5, name="bn_vec_renorm")(v),
        L.BatchNormalization(momentum=0.5, name="bn_seq_last")(s),
        L.BatchNormalization(axis=1, momentum=0.5, name="bn_seq_axis1")(s),
        L.BatchNormalization(axis=-2, momentum=0.5, name="bn_seq_axis_m2")(s),
        L.BatchNormalization(momentum=0.5, name="bn_img_last")(m),
        L.BatchNormalization(axis=1, momentum=0.5, name="bn_img_axis1")(m),
        L.BatchNormalization(axis=2, momentum=0.5, name="bn_img_axis2")(m),
        L.BatchNormalization(axis=[1, 3], momentum=0.5, name="bn_img_axes13")(m),
        L.BatchNormalization(epsilon=1e-6, momentum=0.5, name="bn_img_eps_small_fused")(m),
        L.BatchNormalization(axis=2, epsilon=1e-6, momentum=0.5, name="bn_img_eps_small_axis2")(m),
    ]
    model = branches([v, s, m], outs, "batchnorm")
    built = simple_case(model, seed, epochs=3)
    # Tiny variances make the epsilon (and TensorFlow's fused 1.001e-5 clamp) visible in the outputs.
    for name in ("bn_vec_eps_small", "bn_img_eps_small_fused", "bn_img_eps_small_axis2"):
        set_small_variance(model.get_layer(name), 2e-6)
    return built


def build_layernorm(seed):
    s = keras.Input((6, 4), name="seq")
    m = keras.Input((3, 4, 2), name="img")
    outs = [
        L.LayerNormalization(name="ln_default")(s),
        L.LayerNormalization(axis=1, name="ln_axis1")(s),
        L.LayerNormalization(axis=[1, 2], name="ln_axes12")(s),
        L.LayerNormalization(axis=[2, 1], name="ln_axes21")(s),
        L.LayerNormalization(center=False, name="ln_nocenter")(s),
        L.LayerNormalization(scale=False, name="ln_noscale")(s),
        L.LayerNormalization(epsilon=1e-6, name="ln_eps_small")(s),
        L.LayerNormalization(axis=[-1, -2], name="ln_img_last2")(m),
        L.LayerNormalization(axis=[1, 3], name="ln_img_axes13")(m),
        L.UnitNormalization(name="unit_default")(s),
        L.UnitNormalization(axis=1, name="unit_axis1")(s),
        L.UnitNormalization(axis=[1, 2], name="unit_axes12")(m),
    ]
    return simple_case(branches([s, m], outs, "layernorm"), seed, low=-2.0, high=3.0)


# ---------------------------------------------------------------------------
# Merge layers.
# ---------------------------------------------------------------------------

def build_merge(seed):
    a = keras.Input((4, 3), name="a")
    b = keras.Input((4, 3), name="b")
    c = keras.Input((3,), name="c")
    d = keras.Input((1, 3), name="d")
    e = keras.Input((3, 5), name="e")
    ha = L.Dense(3, name="dense_a")(a)
    outs = [
        L.Add(name="add")([ha, b]),
        L.Add(name="add3")([ha, b, a]),
        L.Add(name="add_rank2")([a, c]),
        L.Subtract(name="subtract")([ha, b]),
        L.Multiply(name="multiply")([ha, b]),
        L.Multiply(name="multiply_bcast1")([a, d]),
        L.Average(name="average")([ha, b, a]),
        L.Maximum(name="maximum")([ha, b]),
        L.Minimum(name="minimum")([ha, b, d]),
        L.Concatenate(name="concat_default")([ha, b]),
        L.Concatenate(axis=1, name="concat_axis1")([ha, b, d]),
        L.Concatenate(axis=-2, name="concat_axis_m2")([a, d]),
        L.Concatenate(axis=2, name="concat_axis2")([a, ha, b]),
        L.Dot(axes=2, name="dot_axes2")([ha, b]),
        L.Dot(axes=(1, 1), name="dot_axes11")([ha, b]),
        L.Dot(axes=-1, normalize=True, name="dot_normalize")([ha, b]),
        L.Dot(axes=(2, 1), name="dot_axes21")([a, e]),
        L.Dot(axes=1, name="dot_rank2")([c, L.Dense(3, name="dense_c")(c)]),
        L.Dot(axes=(1, 1), normalize=True, name="dot_rank2_normalize")([c, c]),
    ]
    return simple_case(branches([a, b, c, d, e], outs, "merge"), seed)


# ---------------------------------------------------------------------------
# Embedding, Masking and masks through layers.
# ---------------------------------------------------------------------------

VOCAB = 11


def index_inputs(rng, n, steps, zero_steps):
    """Integer-valued float32 indices in [1, VOCAB), with 0 (the padding index) at the given steps."""
    x = rng.integers(1, VOCAB, size=(n, steps)).astype(np.float32)
    for b, ts in zero_steps.items():
        for t in ts:
            x[b % n, t] = 0.0
    return x


def build_embedding_masks(seed):
    rng = np.random.default_rng(seed)
    ids = keras.Input((7,), name="ids")
    seq = keras.Input((7, 3), name="seq")
    emb_mask = L.Embedding(VOCAB, 4, mask_zero=True, name="emb_mask_zero")(ids)
    emb_plain = L.Embedding(VOCAB, 3, name="emb_plain")(ids)
    masked = L.Masking(mask_value=0.5, name="masking")(seq)
    outs = [
        emb_plain,
        masked,
        L.GlobalAveragePooling1D(name="gap_emb_masked")(emb_mask),
        L.GlobalAveragePooling1D(name="gap_emb_plain")(emb_plain),
        L.GlobalAveragePooling1D(name="gap_masking")(masked),
        # Masks through pass-through layers and merges.
        L.GlobalAveragePooling1D(name="gap_through_layers")(
            L.ReLU(name="relu_masked")(L.BatchNormalization(name="bn_masked")(
                L.Dense(3, name="dense_masked")(masked)))),
        L.GlobalAveragePooling1D(name="gap_concat_last")(
            L.Concatenate(name="concat_masked_last")([emb_plain, masked])),
        L.GlobalAveragePooling1D(name="gap_concat_both")(
            L.Concatenate(name="concat_two_masks")([L.Dense(3, name="dense_emb")(emb_mask), masked])),
        L.GlobalAveragePooling1D(name="gap_concat_time")(
            L.Concatenate(axis=1, name="concat_time")([L.Dense(3, name="dense_emb2")(emb_mask), masked])),
        L.GlobalAveragePooling1D(name="gap_add")(L.Add(name="add_masked")([masked, emb_plain])),
        L.GlobalAveragePooling1D(name="gap_multiply")(
            L.Multiply(name="multiply_two_masks")([masked, L.Dense(3, name="dense_emb3")(emb_mask)])),
        L.GlobalMaxPooling1D(name="gmp_drops_mask")(masked),
    ]
    model = branches([ids, seq], outs, "embedding_masks")
    mask_steps = {0: [0, 3, 6], 1: [1, 2]}
    n = 32
    x_ids = index_inputs(rng, n, 7, {k: v for k, v in mask_steps.items()})
    x_seq = rng.uniform(-1, 1, size=(n, 7, 3)).astype(np.float32)
    x_seq[0, 2] = 0.5
    x_seq[1, 5] = 0.5
    fit_random(model, rng, x=[x_ids, x_seq])
    t_ids = index_inputs(rng, 2, 7, mask_steps)
    t_seq = rng.uniform(-1, 1, size=(2, 7, 3)).astype(np.float32)
    t_seq[0, 2] = 0.5      # masked by Masking(0.5)
    t_seq[0, 4, 1] = 0.5   # one feature equal to mask_value: not masked
    t_seq[1, 0] = 0.5
    t_seq[1, 6] = 0.5
    return Built(model, [t_ids, t_seq])


def build_embedding_sequential(seed):
    rng = np.random.default_rng(seed)
    model = keras.Sequential([
        L.Embedding(VOCAB, 5, input_length=6, name="embedding"),
        L.Flatten(name="flatten"),
        L.Dense(2, name="out"),
    ])
    x = rng.integers(0, VOCAB, size=(32, 6)).astype(np.float32)
    fit_random(model, rng, x=[x])
    t = rng.integers(0, VOCAB, size=(2, 6)).astype(np.float32)
    t[0, 1] += 0.75   # Keras casts float indices to int32 (truncation toward zero)
    return Built(model, [t])


# ---------------------------------------------------------------------------
# Inference no-ops.
# ---------------------------------------------------------------------------

def build_inference_noops(seed):
    s = keras.Input((6, 4), name="seq")
    m = keras.Input((4, 4, 3), name="img")
    v = keras.Input((2, 3, 4, 2), name="vol")
    masked = L.Masking(mask_value=0.0, name="masking")(s)
    chain = L.SpatialDropout1D(0.5, name="spatial_dropout1d")(masked)
    chain = L.GaussianNoise(0.5, name="gaussian_noise")(chain)
    chain = L.GaussianDropout(0.3, name="gaussian_dropout")(chain)
    chain = L.AlphaDropout(0.2, name="alpha_dropout")(chain)
    chain = L.ActivityRegularization(l1=0.01, l2=0.01, name="activity_regularization")(chain)
    outs = [
        chain,
        L.GlobalAveragePooling1D(name="gap_after_noops")(chain),
        L.SpatialDropout2D(0.5, name="spatial_dropout2d")(L.Conv2D(2, 3, padding="same", name="conv2d")(m)),
        L.SpatialDropout3D(0.5, name="spatial_dropout3d")(v),
    ]
    model = branches([s, m, v], outs, "inference_noops")
    built = simple_case(model, seed)
    built.inputs[0][0, 1] = 0.0
    built.inputs[0][1, 4] = 0.0
    return built


def build_utility_layers(seed):
    """Normalization (adapted on data, per axis, over everything, from given mean/variance, inverted),
    Rescaling and Identity; and Masking -> Rescaling/Identity -> LSTM, where tf_keras drops the mask."""
    rng = np.random.default_rng(seed)
    data = rng.normal(3.0, 2.0, size=(64, 6, 3)).astype(np.float32)
    s = keras.Input((6, 3), name="seq")
    per_feature = L.Normalization(name="norm_last_axis")
    per_feature.adapt(data)
    per_step = L.Normalization(axis=(1, 2), name="norm_axes12")
    per_step.adapt(data)
    overall = L.Normalization(axis=None, name="norm_all")
    overall.adapt(data)
    outs = [
        per_feature(s),
        per_step(s),
        overall(s),
        L.Normalization(mean=[1.0, -2.0, 0.5], variance=[4.0, 0.25, 0.0], name="norm_given")(s),
        L.Normalization(mean=2.0, variance=9.0, invert=True, name="norm_invert")(s),
        L.Rescaling(1.0 / 255, offset=-0.5, name="rescale")(s),
        L.Identity(name="identity")(s),
    ]
    masked = L.Masking(mask_value=0.0, name="masking")(s)
    outs.append(L.LSTM(3, name="lstm_after_rescaling")(L.Rescaling(2.0, name="rescale_masked")(masked)))
    outs.append(L.LSTM(3, name="lstm_after_identity")(L.Identity(name="identity_masked")(masked)))
    built = simple_case(branches(s, outs, "utility_layers"), seed, low=-2.0, high=6.0)
    built.inputs[0][0, 1] = 0.0
    built.inputs[0][1, 4] = 0.0
    return built


# ---------------------------------------------------------------------------
# Pooling.
# ---------------------------------------------------------------------------

def build_average_pooling(seed):
    x = keras.Input((11, 3), name="x")
    m = keras.Input((7, 8, 2), name="img")
    outs = []
    for pool, strides, pad in [(2, None, "valid"), (2, None, "same"), (3, None, "same"), (3, 1, "same"),
                               (3, 2, "valid"), (3, 2, "same"), (4, 3, "same")]:
        tag = f"avg1d_p{pool}_s{'def' if strides is None else strides}_{pad}"
        outs.append(L.AveragePooling1D(pool, strides=strides, padding=pad, name=tag)(x))
    for pool, strides, pad in [((2, 2), None, "valid"), ((2, 2), None, "same"), ((3, 3), (2, 2), "same"),
                               ((3, 3), (1, 1), "same"), ((2, 3), (1, 2), "same"), ((3, 2), (2, 1), "valid")]:
        tag = "avg2d_p{}{}_s{}_{}".format(pool[0], pool[1], "def" if strides is None else f"{strides[0]}{strides[1]}", pad)
        outs.append(L.AveragePooling2D(pool, strides=strides, padding=pad, name=tag)(m))
    return simple_case(branches([x, m], outs, "average_pooling"), seed)


def build_pooling_3d(seed):
    """3-D pooling, and the wild 022 form: ConvLSTM2D sequences -> MaxPooling3D -> TimeDistributed(Dropout)."""
    vol = keras.Input((5, 6, 7, 2), name="vol")
    clip = keras.Input((4, 9, 9, 1), name="clip")
    outs = []
    for pool, strides, pad in [((2, 2, 2), None, "valid"), ((2, 2, 2), None, "same"), ((3, 2, 3), (1, 2, 2), "same"),
                               ((1, 3, 2), (2, 1, 3), "valid")]:
        tag = "p{}_s{}_{}".format("".join(map(str, pool)), "def" if strides is None else "".join(map(str, strides)), pad)
        outs.append(L.MaxPooling3D(pool, strides=strides, padding=pad, name="max3d_" + tag)(vol))
        outs.append(L.AveragePooling3D(pool, strides=strides, padding=pad, name="avg3d_" + tag)(vol))
    outs += [
        L.GlobalMaxPooling3D(name="gmp3d")(vol),
        L.GlobalAveragePooling3D(keepdims=True, name="gap3d_keepdims")(vol),
        L.GlobalAveragePooling3D(data_format="channels_first", name="gap3d_cf")(vol),
    ]
    seq = L.ConvLSTM2D(3, (3, 3), return_sequences=True, name="convlstm")(clip)
    seq = L.MaxPooling3D((1, 2, 2), padding="same", name="max3d_time_kept")(seq)
    seq = L.TimeDistributed(L.Dropout(0.2), name="td_dropout")(seq)
    outs.append(L.Dense(2, name="head")(L.Flatten(name="flatten")(seq)))
    return simple_case(branches([vol, clip], outs, "pooling_3d"), seed)


def build_global_pooling(seed):
    x = keras.Input((5, 3), name="x")
    m = keras.Input((4, 3, 2), name="img")
    outs = [
        L.GlobalMaxPooling1D(name="gmp1d")(x),
        L.GlobalAveragePooling1D(name="gap1d")(x),
        L.GlobalMaxPooling1D(keepdims=True, name="gmp1d_keepdims")(x),
        L.GlobalAveragePooling1D(keepdims=True, name="gap1d_keepdims")(x),
        L.GlobalMaxPooling1D(data_format="channels_first", name="gmp1d_cf")(x),
        L.GlobalAveragePooling1D(data_format="channels_first", keepdims=True, name="gap1d_cf_keepdims")(x),
        L.GlobalMaxPooling2D(name="gmp2d")(m),
        L.GlobalAveragePooling2D(name="gap2d")(m),
        L.GlobalMaxPooling2D(keepdims=True, name="gmp2d_keepdims")(m),
        L.GlobalAveragePooling2D(keepdims=True, name="gap2d_keepdims")(m),
        L.GlobalAveragePooling2D(data_format="channels_first", name="gap2d_cf")(m),
        L.GlobalMaxPooling2D(data_format="channels_first", keepdims=True, name="gmp2d_cf_keepdims")(m),
    ]
    return simple_case(branches([x, m], outs, "global_pooling"), seed)


# ---------------------------------------------------------------------------
# Shape layers.
# ---------------------------------------------------------------------------

def build_shape_layers(seed):
    s = keras.Input((4, 3), name="seq")
    m = keras.Input((3, 4, 2), name="img")
    v = keras.Input((2, 3, 2, 2), name="vol")
    hs = L.Dense(3, name="dense_seq")(s)
    outs = [
        L.Permute((2, 1), name="permute_21")(hs),
        L.Permute((3, 1, 2), name="permute_312")(m),
        L.Permute((2, 4, 1, 3), name="permute_2413")(v),
        L.ZeroPadding1D(name="zeropad1d_default")(hs),
        L.ZeroPadding1D(2, name="zeropad1d_2")(hs),
        L.ZeroPadding1D((1, 3), name="zeropad1d_13")(hs),
        L.ZeroPadding2D(name="zeropad2d_default")(m),
        L.ZeroPadding2D(2, name="zeropad2d_2")(m),
        L.ZeroPadding2D((1, 2), name="zeropad2d_12")(m),
        L.ZeroPadding2D(((1, 0), (2, 3)), name="zeropad2d_asym")(m),
        L.ZeroPadding2D(((0, 1), (1, 0)), data_format="channels_first", name="zeropad2d_cf")(m),
        L.Cropping1D(name="crop1d_default")(hs),
        L.Cropping1D((2, 0), name="crop1d_20")(hs),
        L.Cropping2D(1, name="crop2d_1")(m),
        L.Cropping2D((1, 0), name="crop2d_10")(m),
        L.Cropping2D(((1, 0), (0, 2)), name="crop2d_asym")(m),
        L.Cropping2D(((1, 1), (0, 1)), data_format="channels_first", name="crop2d_cf")(m),
        L.UpSampling1D(name="upsample1d_default")(hs),
        L.UpSampling1D(3, name="upsample1d_3")(hs),
        L.UpSampling2D(name="upsample2d_default")(m),
        L.UpSampling2D((2, 3), name="upsample2d_23")(m),
        L.UpSampling2D((2, 2), interpolation="bilinear", name="upsample2d_bilinear")(m),
        L.UpSampling2D((3, 2), interpolation="bilinear", name="upsample2d_bilinear_32")(m),
        L.UpSampling2D((2, 3), interpolation="area", name="upsample2d_area")(m),
        L.UpSampling2D((2, 1), data_format="channels_first", name="upsample2d_cf")(m),
        L.UpSampling2D((2, 2), interpolation="bilinear", data_format="channels_first", name="upsample2d_bilinear_cf")(m),
        L.Flatten(name="flatten_rank5")(v),
        L.MaxPooling2D(name="maxpool2d_default")(m),
        L.MaxPooling2D((2, 3), strides=(1, 1), padding="same", name="maxpool2d_23_s11_same")(m),
        L.MaxPooling2D((3, 3), strides=(2, 2), padding="valid", name="maxpool2d_33_s22_valid")(m),
    ]
    return simple_case(branches([s, m, v], outs, "shape_layers"), seed)


# ---------------------------------------------------------------------------
# Convolutions: depthwise, separable, transposed, grouped.
# ---------------------------------------------------------------------------

def build_depthwise_separable(seed):
    s = keras.Input((11, 3), name="seq")
    m = keras.Input((7, 8, 3), name="img")
    outs = [
        L.DepthwiseConv1D(3, name="dw1d_k3")(s),
        L.DepthwiseConv1D(3, depth_multiplier=2, padding="same", name="dw1d_dm2_same")(s),
        L.DepthwiseConv1D(2, strides=2, padding="same", name="dw1d_s2_same")(s),
        L.DepthwiseConv1D(3, dilation_rate=2, use_bias=False, activation="relu", name="dw1d_d2_nobias_relu")(s),
        L.DepthwiseConv2D((3, 3), name="dw2d_k33")(m),
        L.DepthwiseConv2D((2, 3), depth_multiplier=2, strides=(2, 2), padding="same", name="dw2d_dm2_s22_same")(m),
        L.DepthwiseConv2D((3, 3), dilation_rate=(2, 2), padding="same", name="dw2d_d22_same")(m),
        L.SeparableConv1D(4, 3, name="sep1d_k3")(s),
        L.SeparableConv1D(4, 3, padding="same", depth_multiplier=2, name="sep1d_same_dm2")(s),
        L.SeparableConv1D(4, 3, padding="causal", dilation_rate=2, name="sep1d_causal_d2")(s),
        L.SeparableConv1D(4, 2, strides=2, use_bias=False, name="sep1d_s2_nobias")(s),
        L.SeparableConv2D(4, (3, 3), name="sep2d_k33")(m),
        L.SeparableConv2D(5, (2, 3), strides=(2, 2), padding="same", depth_multiplier=2, name="sep2d_s22_same_dm2")(m),
        L.SeparableConv2D(3, (3, 3), dilation_rate=(2, 1), padding="same", activation="relu", name="sep2d_d21_same_relu")(m),
    ]
    return simple_case(branches([s, m], outs, "depthwise_separable"), seed)


def build_conv_transpose(seed):
    s = keras.Input((5, 3), name="seq")
    m = keras.Input((4, 5, 3), name="img")
    outs = [
        L.Conv1DTranspose(4, 3, name="t1d_k3")(s),
        L.Conv1DTranspose(4, 3, strides=2, name="t1d_k3_s2_valid")(s),
        L.Conv1DTranspose(4, 3, strides=2, padding="same", name="t1d_k3_s2_same")(s),
        L.Conv1DTranspose(4, 2, strides=2, padding="same", name="t1d_k2_s2_same")(s),
        L.Conv1DTranspose(4, 3, strides=2, padding="same", output_padding=0, name="t1d_k3_s2_same_op0")(s),
        L.Conv1DTranspose(4, 4, strides=3, output_padding=2, name="t1d_k4_s3_valid_op2")(s),
        L.Conv1DTranspose(4, 1, strides=2, name="t1d_k1_s2_valid")(s),
        L.Conv2DTranspose(4, (3, 3), name="t2d_k33")(m),
        L.Conv2DTranspose(4, (3, 3), strides=(2, 2), padding="same", name="t2d_k33_s22_same")(m),
        L.Conv2DTranspose(4, (2, 3), strides=(2, 1), name="t2d_k23_s21_valid")(m),
        L.Conv2DTranspose(4, (3, 3), strides=2, padding="same", output_padding=1, name="t2d_k33_s2_same_op1")(m),
        L.Conv2DTranspose(4, (4, 4), strides=(2, 3), padding="same", output_padding=(1, 2), name="t2d_k44_s23_same_op12")(m),
        L.Conv2DTranspose(3, (3, 2), dilation_rate=(2, 2), padding="same", name="t2d_k32_d22_same")(m),
        L.Conv2DTranspose(3, (2, 2), strides=2, use_bias=False, activation="relu", name="t2d_k22_s2_nobias_relu")(m),
    ]
    return simple_case(branches([s, m], outs, "conv_transpose"), seed)


def build_conv_groups(seed):
    s = keras.Input((9, 4), name="seq")
    m = keras.Input((6, 7, 6), name="img")
    outs = [
        L.Conv1D(6, 3, groups=2, name="c1d_g2")(s),
        L.Conv1D(4, 3, groups=4, padding="same", name="c1d_g4_same")(s),
        L.Conv1D(8, 2, groups=2, padding="causal", dilation_rate=2, name="c1d_g2_causal_d2")(s),
        L.Conv2D(6, (3, 3), groups=3, name="c2d_g3")(m),
        L.Conv2D(4, (2, 2), groups=2, strides=2, padding="same", use_bias=False, name="c2d_g2_s2_same_nobias")(m),
        L.Conv2D(6, 1, groups=6, activation="relu", name="c2d_g6_k1_relu")(m),
    ]
    return simple_case(branches([s, m], outs, "conv_groups"), seed)


# ---------------------------------------------------------------------------
# Case table.
# ---------------------------------------------------------------------------

def cases():
    def case(name, builder, seed, description, covers, **kw):
        return Case(name, builder, {"seed": seed}, description, covers, **kw)

    return [
        case("depthwise_separable", build_depthwise_separable, 1011,
             "DepthwiseConv1D/2D (depth_multiplier 1/2, strides, dilation, valid/same, no bias) and SeparableConv1D/2D "
             "(valid/same/causal, depth_multiplier 2, strides, dilation, no bias, relu) on (None,11,3) and (None,7,8,3).",
             ["Functional", "DepthwiseConv1D.padding=valid", "DepthwiseConv1D.padding=same",
              "DepthwiseConv1D.depth_multiplier=2", "DepthwiseConv1D.strides=2", "DepthwiseConv1D.dilation_rate=2",
              "DepthwiseConv1D.use_bias=False", "DepthwiseConv2D.padding=valid", "DepthwiseConv2D.padding=same",
              "DepthwiseConv2D.depth_multiplier=2", "DepthwiseConv2D.strides=(2,2)", "DepthwiseConv2D.dilation_rate=(2,2)",
              "SeparableConv1D.padding=valid", "SeparableConv1D.padding=same", "SeparableConv1D.padding=causal",
              "SeparableConv1D.depth_multiplier=2", "SeparableConv1D.dilation_rate=2", "SeparableConv1D.strides=2",
              "SeparableConv1D.use_bias=False", "SeparableConv2D.padding=valid", "SeparableConv2D.padding=same",
              "SeparableConv2D.depth_multiplier=2", "SeparableConv2D.strides=(2,2)", "SeparableConv2D.dilation_rate=(2,1)",
              "SeparableConv2D.activation=relu"]),
        case("conv_transpose", build_conv_transpose, 1012,
             "Conv1DTranspose and Conv2DTranspose: valid/same, strides 1-3 (also kernel smaller than stride), "
             "output_padding (0, 1, 2, (1,2)), Conv2DTranspose dilation with stride 1 (TensorFlow's CPU kernel has no dilated Conv1DTranspose), no bias + relu; (None,5,3) and (None,4,5,3).",
             ["Functional", "Conv1DTranspose.padding=valid", "Conv1DTranspose.padding=same", "Conv1DTranspose.strides=2",
              "Conv1DTranspose.strides=3", "Conv1DTranspose.output_padding=0", "Conv1DTranspose.output_padding=2",
              "Conv1DTranspose.kernel_size<strides", "Conv2DTranspose.padding=valid",
              "Conv2DTranspose.padding=same", "Conv2DTranspose.strides=(2,2)", "Conv2DTranspose.strides=(2,1)",
              "Conv2DTranspose.strides=(2,3)", "Conv2DTranspose.output_padding=1", "Conv2DTranspose.output_padding=(1,2)",
              "Conv2DTranspose.dilation_rate=(2,2)", "Conv2DTranspose.use_bias=False", "Conv2DTranspose.activation=relu"]),
        case("conv_groups", build_conv_groups, 1013,
             "Grouped convolutions (tf_keras runs them with XLA on CPU): Conv1D groups 2/4 (valid, same, causal with "
             "dilation), Conv2D groups 2/3/6 (valid, same with strides, 1x1 depthwise-like, no bias, relu).",
             ["Functional", "Conv1D.groups=2", "Conv1D.groups=4", "Conv1D.padding=causal", "Conv2D.groups=2",
              "Conv2D.groups=3", "Conv2D.groups=6", "Conv2D.padding=same", "Conv2D.use_bias=False"]),
        case("shape_layers", build_shape_layers, 1010,
             "Shape layers: Permute (rank 3, 4, 5), ZeroPadding1D (default, 2, (1,3)), ZeroPadding2D (default, 2, "
             "(1,2), ((1,0),(2,3)), channels_first), Cropping1D (default, (2,0)), Cropping2D (1, (1,0), "
             "((1,0),(0,2)), channels_first), UpSampling1D (2, 3), UpSampling2D (nearest (2,2)/(2,3), bilinear "
             "(2,2)/(3,2) and channels_first, area, channels_first nearest), Flatten after rank 5, MaxPooling2D.",
             ["Functional", "Permute.dims=(2,1)", "Permute.dims=(3,1,2)", "Permute.dims=(2,4,1,3)",
              "ZeroPadding1D.padding=default", "ZeroPadding1D.padding=2", "ZeroPadding1D.padding=(1,3)",
              "ZeroPadding2D.padding=default", "ZeroPadding2D.padding=2", "ZeroPadding2D.padding=(1,2)",
              "ZeroPadding2D.padding=((1,0),(2,3))", "ZeroPadding2D.data_format=channels_first",
              "Cropping1D.cropping=default", "Cropping1D.cropping=(2,0)", "Cropping2D.cropping=1",
              "Cropping2D.cropping=(1,0)", "Cropping2D.cropping=((1,0),(0,2))", "Cropping2D.data_format=channels_first",
              "UpSampling1D.size=2", "UpSampling1D.size=3", "UpSampling2D.size=(2,2)", "UpSampling2D.size=(2,3)",
              "UpSampling2D.interpolation=nearest", "UpSampling2D.interpolation=bilinear",
              "UpSampling2D.interpolation=area", "UpSampling2D.data_format=channels_first", "Flatten.input_rank=5",
              "MaxPooling2D.pool_size=(2,2)", "MaxPooling2D.pool_size=(2,3)", "MaxPooling2D.padding=same",
              "MaxPooling2D.padding=valid", "MaxPooling2D.strides=(2,2)"]),
        case("activation_layers_adv", build_activation_layers_adv, 1001,
             "Advanced activation layers on (None,6,4) inputs in [-3,3] (and PReLU on (None,3,4,2)): ReLU "
             "(max_value, negative_slope, threshold, all three, max_value=6), LeakyReLU (default alpha 0.3, 0.05), "
             "ELU (alpha 1, 0.5), ThresholdedReLU (theta 1, 0.25), Softmax (axis -1, 1, [1,2]), PReLU (no sharing, "
             "shared_axes [1] and [1,2]; alphas trained away from zero).",
             ["Functional", "ReLU.max_value=None", "ReLU.max_value=1.5", "ReLU.max_value=6", "ReLU.negative_slope=0.1",
              "ReLU.threshold=0.5", "ReLU.max_value+negative_slope+threshold", "LeakyReLU.alpha=0.3",
              "LeakyReLU.alpha=0.05", "ELU.alpha=1.0", "ELU.alpha=0.5", "ThresholdedReLU.theta=1.0",
              "ThresholdedReLU.theta=0.25", "Softmax.axis=-1", "Softmax.axis=1", "Softmax.axis=[1,2]",
              "PReLU.shared_axes=None", "PReLU.shared_axes=[1]", "PReLU.shared_axes=[1,2]", "PReLU.input_rank=4"]),
        case("batchnorm", build_batchnorm, 1002,
             "BatchNormalization on rank 2, 3 and 4 inputs: axis -1/1/-2/2/[1,3], center/scale off, momentum 0.5, "
             "renorm, epsilon 1e-6 on non-fused (rank 2, rank 4 axis 2) and fused (rank 4 "
             "axis -1) layers, with half the moving variances set to 2e-6 so that epsilon shows in the outputs: "
             "TensorFlow 2.21's fused kernel no longer raises epsilon to 1.001e-5. Trained 3 epochs (moving statistics non-trivial).",
             ["Functional", "BatchNormalization.axis=-1", "BatchNormalization.axis=1", "BatchNormalization.axis=-2",
              "BatchNormalization.axis=2", "BatchNormalization.axis=[1,3]", "BatchNormalization.center=False",
              "BatchNormalization.scale=False", "BatchNormalization.center=False+scale=False",
              "BatchNormalization.momentum=0.5", "BatchNormalization.epsilon=1e-6",
              "BatchNormalization.epsilon=1e-6.fused", "BatchNormalization.renorm=True", "BatchNormalization.input_rank=2",
              "BatchNormalization.input_rank=3", "BatchNormalization.input_rank=4"],
             deps=[set_small_variance]),
        case("layernorm", build_layernorm, 1003,
             "LayerNormalization (axis -1, 1, [1,2], [2,1] (weights in listed order), center/scale off, epsilon 1e-6 "
             "(non-fused path), rank-4 axes [-1,-2] and [1,3]) and UnitNormalization (axis -1, 1, [1,2]); inputs in "
             "[-2,3].",
             ["Functional", "LayerNormalization.axis=-1", "LayerNormalization.axis=1", "LayerNormalization.axis=[1,2]",
              "LayerNormalization.axis=[2,1]", "LayerNormalization.center=False", "LayerNormalization.scale=False",
              "LayerNormalization.epsilon=1e-6", "LayerNormalization.axis=[-1,-2]", "LayerNormalization.axis=[1,3]",
              "UnitNormalization.axis=-1", "UnitNormalization.axis=1", "UnitNormalization.axis=[1,2]"]),
        case("merge", build_merge, 1004,
             "Merge layers on (None,4,3) a/b, (None,3) c, (None,1,3) d, (None,3,5) e: Add (2 and 3 inputs, rank-2 "
             "input broadcast after the batch axis), Subtract, Multiply (size-1 broadcast), Average, Maximum, Minimum, "
             "Concatenate (axis -1, 1, -2, 2), Dot (axes 2, (1,1), -1 normalize, (2,1), rank-2 inputs, rank-2 "
             "normalize).",
             ["Functional", "Add.inputs=2", "Add.inputs=3", "Add.broadcast=rank2", "Subtract", "Multiply",
              "Multiply.broadcast=size1", "Average.inputs=3", "Maximum", "Minimum.inputs=3", "Concatenate.axis=-1",
              "Concatenate.axis=1", "Concatenate.axis=-2", "Concatenate.axis=2", "Dot.axes=2", "Dot.axes=(1,1)",
              "Dot.axes=-1", "Dot.normalize=True", "Dot.axes=(2,1)", "Dot.input_rank=2"]),
        case("embedding_masks", build_embedding_masks, 1005,
             "Embedding (mask_zero True/False) on integer-valued float indices with 0 at some steps, "
             "Masking(mask_value=0.5) with whole steps (and one single feature) equal to 0.5; masks through Dense, "
             "BatchNormalization, ReLU, Concatenate (last axis: Keras 2 ANDs masks; time axis: masks concatenated), "
             "Add and Multiply into GlobalAveragePooling1D (masked mean); GlobalMaxPooling1D drops the mask.",
             ["Functional", "Embedding.mask_zero=True", "Embedding.mask_zero=False", "Masking.mask_value=0.5",
              "GlobalAveragePooling1D.mask=True", "mask.through=Dense", "mask.through=BatchNormalization",
              "mask.through=ReLU", "Concatenate.mask=and", "Concatenate.mask=axis1", "Add.mask=and",
              "Multiply.mask=and", "GlobalMaxPooling1D.mask=dropped"], deps=[index_inputs]),
        case("embedding_sequential", build_embedding_sequential, 1006,
             "Sequential Embedding(input_length=6) -> Flatten -> Dense; one index is 3.75-style (non-integer): "
             "Keras truncates it.",
             ["Sequential", "Embedding.input_length=6", "Embedding.index=float_truncated", "Flatten.input_rank=3"]),
        case("inference_noops", build_inference_noops, 1007,
             "Layers that are identities at inference: SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout, "
             "AlphaDropout, ActivityRegularization; a Masking mask passes through the 1-D chain into "
             "GlobalAveragePooling1D.",
             ["Functional", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise",
              "GaussianDropout", "AlphaDropout", "ActivityRegularization", "mask.through=SpatialDropout1D",
              "mask.through=GaussianNoise", "mask.through=GaussianDropout", "mask.through=AlphaDropout",
              "mask.through=ActivityRegularization"]),
        case("utility_layers", build_utility_layers, 1021,
             "Normalization adapted per feature, over axes (1,2) and over everything (axis=None), from given "
             "mean/variance (a zero variance divides by 1e-7), inverted; Rescaling(1/255, offset -0.5); Identity; and "
             "Masking -> Rescaling / Identity -> LSTM, where tf_keras drops the mask. Inputs in [-2, 6].",
             ["Functional", "Normalization.axis=-1", "Normalization.axis=(1,2)", "Normalization.axis=None",
              "Normalization.mean+variance", "Normalization.invert=True", "Rescaling", "Rescaling.offset",
              "Identity", "mask.dropped_by=Rescaling", "mask.dropped_by=Identity"]),
        case("average_pooling", build_average_pooling, 1008,
             "AveragePooling1D on (None,11,3) and AveragePooling2D on (None,7,8,2): pool sizes 2-4, default and "
             "explicit strides, valid and same padding (same windows divide by their real cells).",
             ["Functional", "AveragePooling1D.padding=valid", "AveragePooling1D.padding=same",
              "AveragePooling1D.strides=default", "AveragePooling1D.strides=1", "AveragePooling1D.strides=2",
              "AveragePooling1D.strides=3", "AveragePooling1D.pool_size=4", "AveragePooling2D.padding=valid",
              "AveragePooling2D.padding=same", "AveragePooling2D.strides=default", "AveragePooling2D.strides=(2,2)",
              "AveragePooling2D.strides=(1,2)", "AveragePooling2D.strides=(2,1)", "AveragePooling2D.pool_size=(2,3)"]),
        case("global_pooling", build_global_pooling, 1009,
             "GlobalMaxPooling1D/2D and GlobalAveragePooling1D/2D with keepdims False/True and data_format "
             "channels_last/channels_first.",
             ["Functional", "GlobalMaxPooling1D", "GlobalAveragePooling1D", "GlobalMaxPooling2D",
              "GlobalAveragePooling2D", "GlobalMaxPooling1D.keepdims=True", "GlobalAveragePooling1D.keepdims=True",
              "GlobalMaxPooling2D.keepdims=True", "GlobalAveragePooling2D.keepdims=True",
              "GlobalMaxPooling1D.data_format=channels_first", "GlobalAveragePooling1D.data_format=channels_first",
              "GlobalMaxPooling2D.data_format=channels_first", "GlobalAveragePooling2D.data_format=channels_first"]),
        case("pooling_3d", build_pooling_3d, 1020,
             "MaxPooling3D and AveragePooling3D on (None,5,6,7,2): default and explicit strides, valid and same "
             "padding; GlobalMaxPooling3D, GlobalAveragePooling3D (keepdims, channels_first); and the wild 022 form "
             "ConvLSTM2D(return_sequences) -> MaxPooling3D((1,2,2)) -> TimeDistributed(Dropout) -> Flatten -> Dense.",
             ["Functional", "MaxPooling3D.padding=valid", "MaxPooling3D.padding=same", "MaxPooling3D.strides=default",
              "MaxPooling3D.strides=(1,2,2)", "MaxPooling3D.strides=(2,1,3)", "AveragePooling3D.padding=valid",
              "AveragePooling3D.padding=same", "AveragePooling3D.strides=default", "AveragePooling3D.strides=(1,2,2)",
              "GlobalMaxPooling3D", "GlobalAveragePooling3D", "GlobalAveragePooling3D.keepdims=True",
              "GlobalAveragePooling3D.data_format=channels_first", "ConvLSTM2D.return_sequences=True",
              "TimeDistributed.layer=Dropout"]),
    ]
