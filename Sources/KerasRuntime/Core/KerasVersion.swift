/// The Keras release that wrote a file, and the one table of behaviour that changed between releases.
///
/// Every version-dependent decision of kconv reads a property here, so the differences between
/// Keras generations are listed in one place.
package struct KerasVersion: Sendable, Equatable, CustomStringConvertible {
    /// The version string as stored in the file (`"2.2.4"`, `"2.2.4-tf"`, `"3.15.1"`).
    package let string: String
    package let major: Int
    package let minor: Int
    package let patch: Int

    /// Parses a stored `keras_version`; unknown or missing text is treated as Keras 2.
    package init(_ string: String?) {
        let text = string ?? ""
        self.string = text.isEmpty ? "unknown" : text
        let numbers = text.split(whereSeparator: { !$0.isNumber }).prefix(3).compactMap { Int($0) }
        major = numbers.count > 0 ? numbers[0] : 2
        minor = numbers.count > 1 ? numbers[1] : 0
        patch = numbers.count > 2 ? numbers[2] : 0
    }

    package var description: String { string }

    private func atLeast(_ ma: Int, _ mi: Int) -> Bool { (major, minor) >= (ma, mi) }

    /// `hard_sigmoid` is `clip(0.2x + 0.5, 0, 1)` up to Keras 2 and `clip(x/6 + 0.5, 0, 1)` from Keras 3
    /// (keras-team/keras PR #19477; tensorflow #65381).
    package var hardSigmoidIsKeras3: Bool { major >= 3 }

    /// LSTM/GRU `recurrent_activation` when a config omits it: `hard_sigmoid` before Keras 2.3.0, then `sigmoid`.
    package var defaultRecurrentActivation: String { atLeast(2, 3) ? "sigmoid" : "hard_sigmoid" }

    /// GRU `reset_after` when a config omits it: the key appeared in Keras 2.1.3 with default False;
    /// tf.keras 2.x (GRU v2) and Keras 3 write it explicitly.
    package var defaultGRUResetAfter: Bool { major >= 3 }

    /// Keras 1 and multi-backend Keras 2 (≤ 2.3, version strings without `-tf`) output the previous
    /// `h` state at a masked step and have no `zero_output_for_mask`; tf.keras (`x.y.z-tf`, 2.4+) and
    /// Keras 3 output the previous output (zeros before the first valid step), and their Bidirectional
    /// forces `zero_output_for_mask = return_sequences` on both directions
    /// (`tfk:tf_keras/backend.py` `rnn`, `tfk:.../bidirectional.py` `force_zero_output_for_mask`).
    package var rnnMasksWithPreviousState: Bool {
        if major <= 1 { return true }
        return major == 2 && minor <= 3 && !string.contains("tf")
    }

    /// How merge layers combine their inputs' masks (`compute_mask`): Keras 2 ANDs the masks present
    /// (Concatenate along the last axis: `all`), Keras 3 ORs them — `Add`/`Multiply`/... only when
    /// every input has a mask (else no mask), Concatenate along the last axis with `any`.
    package var mergeMasksCombineWithOr: Bool { major >= 3 }

    /// The mask `TimeDistributed` gives on when its input mask has axes past `(batch, time)` (a
    /// Masking or Embedding mask of a rank-4 input, which the wrapped layer receives per time step):
    /// Keras 3 passes its input mask on unchanged; Keras 2 reshapes the wrapped layer's output mask
    /// to `(batch, time, ...)`, or, when the wrapped layer gives none, reduces the input mask with
    /// `any` to `(batch, time)` (`TimeDistributed.compute_mask`).
    package var timeDistributedPassesInputMask: Bool { major >= 3 }

    /// Whether `Identity`, `Rescaling` and `Normalization` pass a mask on: Keras 3 sets
    /// `supports_masking` on them; tf.keras does not, so the mask stops there.
    package var utilityLayersPassMasks: Bool { major >= 3 }

    /// Keras 1 named arguments differently (`output_dim`, `nb_filter`, `border_mode` ...).
    package var isKeras1: Bool { major <= 1 }

    /// Keras 3 (the `.keras` archive, `args/kwargs` call records, `batch_shape`, DTypePolicy dicts).
    package var isKeras3: Bool { major >= 3 }

    /// Keras 1 stored weights in its own layouts: LSTM as 12 per-gate tensors, GRU as 9, Conv1D as
    /// `(k, 1, in, filters)`, `th` kernels as `(filters, in, kh, kw)`. Keras 2's loader converts them
    /// (`preprocess_weights_for_loading`, KERAS_FORMATS.md 3.2, 3.4, 3.5).
    package var storesKeras1WeightLayouts: Bool { major <= 1 }

    /// Whether the file records the backend that trained it (Keras 1 never wrote a `backend` attribute,
    /// so a Keras 1 convolution kernel may be Theano-flipped without the file saying so).
    package var recordsBackend: Bool { major >= 2 }

    /// The node index a nested model's first call gets in the enclosing model's config, when the
    /// references themselves do not tell: Keras 1/2 count the model's own construction as node 0
    /// (`kept_nodes = 1` for containers), as does Keras 3 for Functional models; a Keras 3 Sequential
    /// is not a Functional subclass and starts at 0.
    package func firstNodeIndex(ofNestedModel className: String) -> Int {
        major >= 3 && className == "Sequential" ? 0 : 1
    }

    /// The Keras release a file was written by when it records none but its layout shows Keras 3
    /// (a `.keras` archive without `metadata.json`, a `.weights.h5` file, a config with `module` keys).
    package static let inferredKeras3 = KerasVersion("3 (inferred from the file layout)")

    /// The Keras release of a weights file without `keras_version`: Keras 2's loader takes it as Keras 1.
    package static let inferredKeras1 = KerasVersion("1 (inferred: no keras_version)")
}
