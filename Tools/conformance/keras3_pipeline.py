"""The Keras 3 pipeline (`Case.generate` of the k3_* cases): build and train with Keras 3 (imported
on first use, see env.keras3), predict, save in the case's format (.keras archive made
reproducible, Keras 3 legacy .h5, or to_json() + .weights.h5), reload with Keras 3 and check that
summary and outputs survive the round trip, then write the case. The helpers here are Keras 3's
counterparts of helpers.py; their sources are part of each Keras 3 case's spec_hash (K3_DEPS)."""
import os
import shutil
import tempfile
import types

import numpy as np

from .case import CASES_DIR, write_case
from .env import KERAS3_LABEL, keras3
from .reproducible import reproducible_archive
from .summary import summary3


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


def Built3(model, inputs, postprocess=None, without_optimizer=False):
    """A builder's result: the model, its inputs, optionally a post-processing of the saved file, and
    whether to save it without its optimizer state."""
    return types.SimpleNamespace(model=model, inputs=inputs, postprocess=postprocess,
                                 without_optimizer=without_optimizer)


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


def reload3(K, directory, model_file, weights_file):
    if weights_file is None:
        return K.saving.load_model(os.path.join(directory, model_file), compile=False)
    with open(os.path.join(directory, model_file)) as f:
        model = K.models.model_from_json(f.read())
    model.load_weights(os.path.join(directory, weights_file))
    return model


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
    os.makedirs(CASES_DIR, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".tmp-{case.name}-", dir=CASES_DIR)
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


# The sources hashed into every Keras 3 case's spec_hash, besides its builder.
K3_DEPS = [keras3, seed3, rand_inputs3, fit3, simple3, summary3, save3, reproducible_archive, reload3, write_case,
           Built3]
