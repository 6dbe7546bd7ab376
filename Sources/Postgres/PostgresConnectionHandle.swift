internal import CLibPQ

/// Owns a `PGconn` and finishes it when dropped, so a connection nobody closed still lets go of its
/// socket and server backend.
final class PostgresConnectionHandle: @unchecked Sendable {
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) { self.pointer = pointer }

    deinit { PQfinish(pointer) }
}
