import FuzzDriver
import Foundation
import KerasRuntime

/// `.kconv` files: the safetensors header, the metadata, the graph JSON, the layers built with the
/// file's weights (so bounded by the file's size) and the stored test vectors.
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    _ = try? KConvFile.decode(Array(UnsafeBufferPointer(start: data, count: size)), name: "fuzz.kconv")
    return 0
})
