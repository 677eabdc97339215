"""The kconv conformance case generator (entry point: generate.py).

    env.py              the Keras environment: tf_keras 2.21 on TensorFlow 2.21; Keras 3 on first use
    case.py             Case and its spec_hash; whether a case on disk is current; writing a case's files
    helpers.py          what tf_keras builders share: seeded helpers (hashed into every case), Built, branches
    summary.py          summary.json / summary.txt from tf_keras and Keras 3 models
    pipeline.py         the tf_keras pipeline: build, predict, save, reload-check, write
    keras3_pipeline.py  the Keras 3 pipeline and its helpers (K3_DEPS)
    reproducible.py     byte-reproducible .keras archives (standard library only)
    families/           the case builders and case tables, one module per family
"""
