// swift-tools-version: 6.0
import PackageDescription

// Typed model classes generated at build time: every `.kconv` in Sources/TypedModels becomes a
// Swift struct named after the file (CnnLstm, LstmAutoencoder, Gesture, PaddingMask, OpsStream), with the
// model bundled as a resource, by kconv's KConvModelPlugin. No manual conversion step, no HDF5.
let package = Package(
    name: "TypedModels",
    platforms: [.macOS(.v13)],
    products: [.library(name: "TypedModels", targets: ["TypedModels"])],
    dependencies: [
        // Named, so that the dependency does not depend on the checkout's directory name.
        .package(name: "kconv", path: "../.."),
    ],
    targets: [
        .target(
            name: "TypedModels",
            dependencies: [.product(name: "KerasRuntime", package: "kconv")],
            // The generated code is compiled with warnings as errors, in Swift 6 mode.
            swiftSettings: [.unsafeFlags(["-warnings-as-errors"])],
            plugins: [.plugin(name: "KConvModelPlugin", package: "kconv")]
        ),
        .testTarget(
            name: "TypedModelsTests",
            dependencies: ["TypedModels", .product(name: "KerasRuntime", package: "kconv")],
            swiftSettings: [.unsafeFlags(["-warnings-as-errors"])]
        ),
    ],
    swiftLanguageModes: [.v6]
)
