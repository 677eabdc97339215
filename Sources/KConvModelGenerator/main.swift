import Foundation
import KerasRuntime
import TypedModelGenerator

// KConvModelGenerator MODEL.kconv OUT.swift RESOURCE_COPY.kconv
//
// The KConvModelPlugin's tool: writes the typed Swift wrapper of MODEL.kconv (named after the file)
// and a copy of the model for the target's resources. Arguments are written by the plugin, not by
// people, so they are read by position.
let arguments = CommandLine.arguments.dropFirst()
guard arguments.count == 3 else {
    FileHandle.standardError.write(Data("usage: KConvModelGenerator MODEL.kconv OUT.swift RESOURCE_COPY.kconv\n".utf8))
    exit(64)
}
let model = URL(fileURLWithPath: arguments[arguments.startIndex])
let swiftFile = URL(fileURLWithPath: arguments[arguments.startIndex + 1])
let resourceCopy = URL(fileURLWithPath: arguments[arguments.startIndex + 2])
do {
    let name = model.deletingPathExtension().lastPathComponent
    let generator = TypedModelGenerator(typeName: name, resourceName: name, usesModuleBundle: true)
    let source = generator.source(for: try KerasModel(contentsOf: model))
    let fileManager = FileManager.default
    try fileManager.createDirectory(at: resourceCopy.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(source.utf8).write(to: swiftFile, options: .atomic)
    try Data(contentsOf: model).write(to: resourceCopy, options: .atomic)
} catch {
    FileHandle.standardError.write(Data("error: \(model.path): \(error)\n".utf8))
    exit(2)
}
