import FuzzDriver
import Foundation
import KerasImport

/// The `.keras` zip directory and members (`config.json`, `metadata.json`, `model.weights.h5`,
/// whose HDF5 bytes are not parsed here: libhdf5 runs in kconv's isolated child). The archive
/// reader takes a path, so each input is first written to one file per process, in memory
/// (/dev/shm) where there is one, with plain `write` (FileManager syncs the file to disk).
let directory = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : FileManager.default.temporaryDirectory.path
let archivePath = "\(directory)/kconv-fuzz-\(getpid()).keras"
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    let fd = open(archivePath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { return 0 }
    let written = size == 0 ? 0 : write(fd, data, size)
    close(fd)
    guard written == size else { return 0 }
    _ = try? ParserEntryPoints.readArchive(archivePath)
    return 0
})
