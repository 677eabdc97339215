"""The tf_keras pipeline, for every case without its own `generate`: build and train (the case's
builder), predict, save as model.h5 or model.json + weights.h5, reload and check that the summary and
outputs survive, then write the case."""
import os
import shutil
import tempfile

import numpy as np

from .case import CASES_DIR, save_npy, write_case
from .env import KERAS_LABEL, L, keras
from .helpers import seed_all
from .summary import summary_dict, summary_text


def layer_outputs(model, inputs):
    """{layer name: Keras' first output of the layer's first call} for every layer but the inputs
    (as Tools/keras_reference.py --layers writes them)."""
    layers = [l for l in model.layers if not isinstance(l, L.InputLayer)]
    tensors = [l.get_output_at(0) for l in layers]
    probe = keras.Model(model.inputs, [t[0] if isinstance(t, (list, tuple)) else t for t in tensors])
    values = probe.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    return dict(zip([l.name for l in layers], values if isinstance(values, list) else [values]))


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
        layer_names = []
        if case.layer_outputs:
            os.makedirs(os.path.join(tmp, "layers"))
            for name, value in layer_outputs(model, inputs).items():
                layer_names.append(f"layers/{name}.npy")
                save_npy(os.path.join(tmp, layer_names[-1]), value)
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

        extra = {**({"layers": layer_names} if layer_names else {}), **({"chunks": chunks} if chunks else {})}
        write_case(case, spec_hash, tmp, KERAS_LABEL, model_file, weights_file, inputs, expected, summary, text,
                   extra=extra)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return summary
