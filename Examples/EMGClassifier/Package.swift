// swift-tools-version: 6.0
import PackageDescription

// An app that embeds a converted Keras model: it depends on KerasRuntime only (no HDF5, no Python).
let package = Package(
    name: "EMGClassifier",
    platforms: [.macOS(.v13)],
    dependencies: [
        // Named, so that the dependency does not depend on the checkout's directory name.
        .package(name: "kconv", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "EMGClassifier",
            // Only KerasRuntime: the app links neither HDF5 nor the importer.
            dependencies: [.product(name: "KerasRuntime", package: "kconv")],
            resources: [
                .copy("Resources/cnn_lstm.kconv"),
                .copy("Resources/emg.csv"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
