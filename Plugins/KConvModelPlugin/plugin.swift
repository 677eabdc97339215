import Foundation
import PackagePlugin

/// For every `.kconv` file among a target's files: a typed Swift wrapper named after the file
/// (`EMGModel.kconv` → `struct EMGModel`), compiled into the target, and the file itself in the
/// target's resources (`Bundle.module`), both remade when the file changes.
@main
struct KConvModelPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        let tool = try context.tool(named: "KConvModelGenerator").url
        return target.sourceFiles.filter { $0.url.pathExtension == "kconv" }.map { file in
            let name = file.url.deletingPathExtension().lastPathComponent
            let swiftFile = context.pluginWorkDirectoryURL.appending(path: "\(name).swift")
            let resource = context.pluginWorkDirectoryURL.appending(path: "Resources").appending(path: file.url.lastPathComponent)
            return .buildCommand(
                displayName: "Generating \(name).swift from \(file.url.lastPathComponent)",
                executable: tool,
                arguments: [file.url.path, swiftFile.path, resource.path],
                inputFiles: [file.url],
                outputFiles: [swiftFile, resource]
            )
        }
    }
}
