#!/usr/bin/env python3
"""Write seeded random inputs for a Keras model and Keras' own outputs for them, as .npy files.

usage: keras_reference.py MODEL [--weights W.h5] [--batch N] [--seed S] [--out DIR] [--keras 2|3] [--layers]

MODEL is a full-model .h5, a .keras archive, or a model .json (then --weights is needed).
Writes DIR/input_0.npy ... (one per model input) and DIR/expected_0.npy ... (one per output),
then prints the `kconv verify` command that checks them. With --layers it also writes each
layer's first output (of its first call) as DIR/layers/<layer name>.npy, for
`kconv verify --layers DIR/layers`, which names the first layer whose outputs leave Keras'.

--keras 2 loads with tf_keras (Keras 2 semantics, TF_USE_LEGACY_KERAS=1), --keras 3 with Keras 3.
By default the generation that wrote the file: a .keras archive's metadata.json names it (tf_keras
writes .keras archives too), .h5 and .json files are Keras 2. hard_sigmoid and other defaults
differ between the generations.
"""
import argparse
import os
import sys


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('model')
    p.add_argument('--weights')
    p.add_argument('--batch', type=int, default=2)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--out', default='.')
    p.add_argument('--keras', choices=['2', '3'])
    p.add_argument('--layers', action='store_true', help="also write every layer's output")
    a = p.parse_args()
    generation = a.keras or writer_generation(a.model)
    if generation == '2':
        os.environ['TF_USE_LEGACY_KERAS'] = '1'
        import tf_keras as keras
    else:
        import keras
    import numpy as np

    if a.model.endswith('.json'):
        with open(a.model) as f:
            model = keras.models.model_from_json(f.read())
        if not a.weights:
            sys.exit('error: a .json model needs --weights')
        model.load_weights(a.weights)
    else:
        model = keras.models.load_model(a.model, compile=False)

    rng = np.random.default_rng(a.seed)
    inputs = []
    for t in model.inputs:
        shape = [a.batch if d is None else d for d in t.shape]
        if model.inputs[0].shape[0] is not None:
            shape[0] = model.inputs[0].shape[0]
        inputs.append(rng.uniform(-1, 1, size=shape).astype(np.float32))
    outputs = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    if not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    os.makedirs(a.out, exist_ok=True)
    cmd = ['kconv', 'verify', a.model] + (['--weights', a.weights] if a.weights else [])
    for i, x in enumerate(inputs):
        path = os.path.join(a.out, f'input_{i}.npy')
        np.save(path, x)
        cmd += ['--input', path]
    for i, y in enumerate(outputs):
        path = os.path.join(a.out, f'expected_{i}.npy')
        np.save(path, np.asarray(y, dtype=np.float32))
        cmd += ['--expected', path]
    if a.layers:
        directory = os.path.join(a.out, 'layers')
        os.makedirs(directory, exist_ok=True)
        for name, value in layer_outputs(keras, model, inputs).items():
            np.save(os.path.join(directory, name + '.npy'), np.asarray(value, dtype=np.float32))
        cmd += ['--layers', directory]
    print(' '.join(cmd))


def writer_generation(path):
    """'3' for a .keras archive written by Keras 3, '2' for one written by tf_keras and for .h5/.json."""
    if not path.endswith('.keras'):
        return '2'
    import json
    import zipfile
    try:
        with zipfile.ZipFile(path) as archive:
            version = str(json.loads(archive.read('metadata.json')).get('keras_version', '3'))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return '3'
    return '2' if version.startswith('2.') else '3'


def layer_outputs(keras, model, inputs):
    """{layer name: the first output of the layer's first call} for every layer but the inputs."""
    names, tensors = [], []
    for layer in model.layers:
        if type(layer).__name__ == 'InputLayer':
            continue
        if hasattr(layer, 'get_output_at'):
            out = layer.get_output_at(0)  # tf_keras
        else:
            out = layer._inbound_nodes[0].outputs  # Keras 3
        tensors.append(out[0] if isinstance(out, (list, tuple)) else out)
        names.append(layer.name)
    probe = keras.Model(model.inputs, tensors)
    values = probe.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    return dict(zip(names, values if isinstance(values, list) else [values]))


if __name__ == '__main__':
    main()
