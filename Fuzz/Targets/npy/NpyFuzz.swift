import FuzzDriver
import Foundation
import KerasRuntime

/// `.npy` files (`--input`, `--expected`, `--test-input`): any bytes give a tensor or a KerasError.
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    _ = try? Npy.read(bytes: Array(UnsafeBufferPointer(start: data, count: size)), name: "fuzz.npy")
    return 0
})
