@main
struct KConvMain {
    static func main() {}
}
