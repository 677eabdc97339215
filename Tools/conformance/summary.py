"""summary.json and summary.txt from the Keras objects: `summary_dict` / `summary_text` for tf_keras
models, `summary3` for Keras 3 models (Conformance/README.md gives the schema)."""
import numpy as np

from .env import tf


def shape_json(shape):
    if isinstance(shape, tf.TensorShape):
        shape = tuple(shape.as_list())
    if isinstance(shape, tuple):
        return [None if d is None else int(d) for d in shape]
    if isinstance(shape, list):
        if len(shape) == 1:
            return shape_json(shape[0])  # tf_keras InputLayer: [(None, 16)]
        return [shape_json(s) for s in shape]
    raise TypeError(f"unexpected output shape {shape!r}")


def layer_output_shape(layer):
    # Same rule as tf_keras' print_summary.
    try:
        return shape_json(layer.output_shape)
    except AttributeError:
        return "multiple"


def unique_count(weights):
    seen = {}
    for w in weights:
        seen[id(w)] = w
    return int(sum(int(np.prod(w.shape.as_list())) for w in seen.values()))


def summary_dict(model):
    layers = [{
        "name": layer.name,
        "class_name": layer.__class__.__name__,
        "output_shape": layer_output_shape(layer),
        "params": int(layer.count_params()),
    } for layer in model.layers]
    trainable = unique_count(model.trainable_weights)
    non_trainable = unique_count(model.non_trainable_weights)
    return {
        "layers": layers,
        "total_params": trainable + non_trainable,
        "trainable_params": trainable,
        "non_trainable_params": non_trainable,
    }


def summary_text(model):
    lines = []
    model.summary(print_fn=lambda s, *a, **k: lines.append(s))
    return "\n".join(lines) + "\n"


def summary3(model):
    """summary.json from Keras 3 objects."""
    def shape_of(layer):
        try:
            out = layer.output
        except (AttributeError, ValueError):
            return "multiple"
        if isinstance(out, (list, tuple)):
            shapes = [[None if d is None else int(d) for d in t.shape] for t in out]
            return shapes[0] if len(shapes) == 1 else shapes
        return [None if d is None else int(d) for d in out.shape]

    def count(weights):
        return int(sum(int(np.prod(w.shape)) for w in {id(w): w for w in weights}.values()))

    trainable, non_trainable = count(model.trainable_weights), count(model.non_trainable_weights)
    assert trainable + non_trainable == model.count_params()
    return {
        "layers": [{"name": l.name, "class_name": l.__class__.__name__, "output_shape": shape_of(l),
                    "params": int(l.count_params())} for l in model.layers],
        "total_params": trainable + non_trainable,
        "trainable_params": trainable,
        "non_trainable_params": non_trainable,
    }
