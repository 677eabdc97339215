"""What the tf_keras builders share: the seeded numeric helpers (their source is part of every
spec_hash, see case.py), `Built` (a builder's result) and `branches`."""
import numpy as np

from .env import keras


def seed_all(seed):
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)


def rand_inputs(model, rng, low=-1.0, high=1.0, batch=2):
    """One float32 C-order array per model input, uniform in [low, high)."""
    out = []
    for t in model.inputs:
        shape = (batch,) + tuple(int(d) for d in t.shape[1:])
        out.append(np.ascontiguousarray(rng.uniform(low, high, size=shape).astype(np.float32)))
    return out


def fit_random(model, rng, n=32, epochs=2, lr=0.01, batch_size=8, loss="mse", x=None, y=None):
    """Train briefly on seeded random data so that weights (biases too) move away
    from their initial values."""
    if not model.trainable_weights:
        return
    if x is None:
        x = [rng.uniform(-1, 1, size=(n,) + tuple(int(d) for d in t.shape[1:])).astype(np.float32)
             for t in model.inputs]
    if y is None:
        y = [rng.uniform(-1, 1, size=(n,) + tuple(int(d) for d in t.shape[1:])).astype(np.float32)
             for t in model.outputs]
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr), loss=loss)
    model.fit(x if len(x) > 1 else x[0], y if len(y) > 1 else y[0],
              epochs=epochs, batch_size=batch_size, shuffle=False, verbose=0)


class Built:
    """What a builder returns: the (trained) model and the inputs for the
    expected outputs.  `expected` is normally None (the pipeline calls
    model.predict); a builder may supply it (cnn_lstm_cudnn)."""

    def __init__(self, model, inputs, expected=None, reload_predict=True, chunks=None):
        self.model = model
        self.inputs = inputs
        self.expected = expected
        self.reload_predict = reload_predict
        # For models with stateful recurrent layers: consecutive chunks of the same sequences (each a
        # list of inputs), predicted one after the other from reset states (case.json "chunks").
        self.chunks = chunks


def simple_case(model, seed, epochs=2, low=-1.0, high=1.0, **fit_kwargs):
    rng = np.random.default_rng(seed)
    fit_random(model, rng, epochs=epochs, **fit_kwargs)
    return Built(model, rand_inputs(model, rng, low=low, high=high))


# Hashed into every case's spec_hash, in this order.
SHARED_HELPERS = [seed_all, rand_inputs, fit_random, simple_case]


def branches(inputs, outs, name):
    return keras.Model(inputs, outs, name=name)
