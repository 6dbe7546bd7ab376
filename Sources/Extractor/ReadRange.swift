/// Which rows a read covers, besides starting after a position.
public enum ReadRange: Sendable, Hashable {
    /// Every row whose watermark is at most the bound (an incremental run).
    case upTo(String)
    /// Rows whose watermark is at least `from` and below `to` (a backfill window), in the watermark
    /// column's text form.
    case window(from: String, to: String)
}
