import Checkpoints
import Postgres

/// The connection that holds the connector's state, renewed when it breaks.
actor StateSession {
    let configuration: SyncConfiguration
    private var connection: PostgresConnection?
    private var current: CheckpointStore?

    init(configuration: SyncConfiguration) {
        self.configuration = configuration
    }

    /// The store, opening (and migrating) it on first use.
    func store() async throws -> CheckpointStore {
        if let current { return current }
        let connection = try await PostgresConnection.connect(configuration.state ?? configuration.source)
        do {
            let store = try await CheckpointStore.open(connection: connection, schemaName: configuration.stateSchema)
            self.connection = connection
            self.current = store
            return store
        } catch {
            await connection.close()
            throw error
        }
    }

    /// A new store on a new connection when the current one no longer answers; the same store otherwise.
    func renewIfBroken() async throws -> CheckpointStore {
        if let connection, (try? await connection.query("SELECT 1")) != nil, let current { return current }
        await connection?.close()
        connection = nil
        current = nil
        return try await store()
    }

    func close() async {
        await connection?.close()
        connection = nil
        current = nil
    }

    /// Whether `error` is a database connection that broke or could not be made: worth a new connection.
    static func isReconnectable(_ error: any Error) -> Bool {
        guard let error = error as? PostgresError else { return false }
        return error.isConnectionLoss || error.code == .connectionFailed || error.code == .connectionClosed
    }
}
