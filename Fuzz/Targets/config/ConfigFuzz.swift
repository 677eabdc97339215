import FuzzDriver
import Foundation
import KerasImport
import KerasRuntime

/// A Keras model config as every generation's reader takes it: a model JSON (`to_json()`, version
/// from its `keras_version`), an `.h5` file's `model_config` (Keras 2) and a `.keras` archive's
/// `config.json` (Keras 3). The layers are made from their configs; no weights are allocated.
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    for version in ParserEntryPoints.configVersions(bytes) {
        _ = try? ParserEntryPoints.decodeConfig(bytes, version: version)
    }
    return 0
})
