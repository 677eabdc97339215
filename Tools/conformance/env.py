"""The Keras environment of the generator: tf_keras 2.21 on TensorFlow 2.21 (`import tf_keras as
keras`, with TF_USE_LEGACY_KERAS=1) for most cases, and Keras 3 (`import keras`, TensorFlow
backend) imported on first use by the k3_* cases. Versions pinned in requirements.txt."""
import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("PYTHONHASHSEED", "0")

import warnings  # noqa: E402

warnings.filterwarnings("ignore")

import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

tf.get_logger().setLevel("ERROR")

KERAS_LABEL = "tf_keras " + keras.__version__
TF_LABEL = tf.__version__
KERAS3_LABEL = "keras 3.15.1"

L = keras.layers
CuDNNLSTM = tf.compat.v1.keras.layers.CuDNNLSTM  # tf_keras.src.layers.rnn.cudnn_lstm

_K3 = None


def keras3():
    """Keras 3, imported on first use (TensorFlow backend)."""
    global _K3
    if _K3 is None:
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
        import keras
        assert keras.__version__ == "3.15.1", keras.__version__
        assert keras.backend.backend() == "tensorflow", keras.backend.backend()
        _K3 = keras
    return _K3
