/// Strings as the `const char *const *` arrays libpq takes, alive for the duration of `body`.
enum CStringArray {
    /// Calls `body` with one C string per element (`NULL` for `nil`), plus a trailing `NULL` when
    /// `nullTerminated`, as the keyword/value arrays of `PQconnectdbParams` need.
    static func with<R>(
        _ strings: [String?],
        nullTerminated: Bool = false,
        _ body: (UnsafePointer<UnsafePointer<CChar>?>) throws -> R
    ) rethrows -> R {
        var pointers: [UnsafePointer<CChar>?] = []
        pointers.reserveCapacity(strings.count + 1)
        var owned: [UnsafeMutablePointer<CChar>] = []
        owned.reserveCapacity(strings.count)
        defer { for pointer in owned { pointer.deallocate() } }
        for string in strings {
            guard let string else {
                pointers.append(nil)
                continue
            }
            let utf8 = string.utf8
            let copy = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count + 1)
            _ = UnsafeMutableBufferPointer(start: copy, count: utf8.count)
                .initialize(from: utf8.lazy.map { CChar(bitPattern: $0) })
            copy[utf8.count] = 0
            owned.append(copy)
            pointers.append(UnsafePointer(copy))
        }
        // An empty Swift array may have no storage at all; libpq wants a valid pointer regardless.
        if nullTerminated || pointers.isEmpty { pointers.append(nil) }
        return try pointers.withUnsafeBufferPointer { try body($0.baseAddress!) }
    }
}
