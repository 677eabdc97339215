extension String {
    /// The text cut to 80 characters (an ellipsis marks a cut), to quote in an error message.
    var clipped: String {
        count <= 80 ? self : String(prefix(80)) + "…"
    }
}
