import Testing

@testable import Postgres

@Suite("Configuration and errors, without a server")
struct ConfigurationTests {
    @Test("defaults are the documented ones")
    func defaults() {
        let configuration = PostgresConfiguration()
        #expect(configuration.connectionString == "")
        #expect(configuration.applicationName == "asapp-sync")
        #expect(configuration.statementTimeout == nil)
        #expect(configuration.connectTimeoutSeconds == 10)
    }

    /// A connection string and its redacted form, shown in test output by its name only: the sample
    /// passwords are not printed, even these.
    struct RedactionCase: Sendable, CustomTestStringConvertible {
        var name: String
        var input: String
        var expected: String
        var testDescription: String { name }
    }

    @Test("redaction hides passwords in URLs and keyword strings", arguments: [
        RedactionCase(name: "URL, escaped password", input: "postgresql://app:s3cr%40t@db.example.com:5432/prod",
                      expected: "postgresql://app:***@db.example.com:5432/prod"),
        RedactionCase(name: "URL, password with '/' and '@'", input: "postgres://app:pa/ss@word@db/x?sslmode=require",
                      expected: "postgres://app:***@db/x?sslmode=require"),
        RedactionCase(name: "URL, password parameter", input: "postgresql://app@db/x?password=s3cret&sslmode=require",
                      expected: "postgresql://app@db/x?password=***&sslmode=require"),
        RedactionCase(name: "URL, no password", input: "postgresql:///x?host=/tmp/sock", expected: "postgresql:///x?host=/tmp/sock"),
        RedactionCase(name: "keywords", input: "host=db user=app password=s3cret dbname=x", expected: "host=db user=app password=*** dbname=x"),
        RedactionCase(name: "keywords, quoted password", input: "host=db password = 's3 cr\\'et' dbname=x",
                      expected: "host=db password = *** dbname=x"),
        RedactionCase(name: "keywords, password alone", input: "password=s3cret", expected: "password=***"),
        RedactionCase(name: "empty", input: "", expected: ""),
    ])
    func redaction(_ example: RedactionCase) {
        let configuration = PostgresConfiguration(connectionString: example.input)
        #expect(configuration.redactedConnectionString == example.expected)
        #expect(!configuration.description.contains("s3"))
        #expect(!configuration.description.contains("pa/ss"))
    }

    @Test("error classification follows SQLSTATE")
    func classification() {
        func error(_ code: PostgresError.Code, _ sqlState: String?) -> PostgresError {
            PostgresError(code: code, message: "m", sqlState: sqlState)
        }
        #expect(error(.queryFailed, "08006").isConnectionLoss)
        #expect(error(.queryFailed, "57P01").isConnectionLoss)
        #expect(error(.queryFailed, "57P01").isRetryable)
        #expect(error(.queryFailed, "40001").isSerializationFailure)
        #expect(error(.queryFailed, "40001").isRetryable)
        #expect(error(.queryFailed, "40P01").isDeadlock)
        #expect(error(.queryFailed, "40P01").isRetryable)
        #expect(error(.queryFailed, "57014").isStatementTimeout)
        #expect(!error(.queryFailed, "57014").isRetryable)
        #expect(!error(.queryCancelled, "57014").isStatementTimeout)
        #expect(!error(.queryFailed, "23505").isRetryable)
        #expect(!error(.queryFailed, "42P01").isConnectionLoss)
        #expect(error(.connectionFailed, nil).isRetryable)
        #expect(!error(.connectionFailed, "28P01").isRetryable)
    }

    @Test("description keeps detail and query text out")
    func descriptionIsSafe() {
        let error = PostgresError(
            code: .queryFailed, message: "duplicate key value violates unique constraint \"t_pkey\"",
            sqlState: "23505", detail: "Key (email)=(ann@example.com) already exists.",
            query: "INSERT INTO t VALUES ($1)")
        #expect(error.description.contains("23505"))
        #expect(error.description.contains("duplicate key"))
        #expect(!error.description.contains("ann@example.com"))
        #expect(!error.description.contains("INSERT"))
        #expect(error.debugDescription.contains("ann@example.com"))
        #expect(error.debugDescription.contains("INSERT INTO t"))
    }

    @Test("advisory lock keys are FNV-1a 64 and stable")
    func lockKeys() {
        #expect(PostgresConnection.advisoryLockKey(for: "") == Int64(bitPattern: 0xcbf2_9ce4_8422_2325))
        #expect(PostgresConnection.advisoryLockKey(for: "a") == Int64(bitPattern: 0xaf63_dc4c_8601_ec8c))
        #expect(PostgresConnection.advisoryLockKey(for: "foobar") == Int64(bitPattern: 0x8594_4171_f739_67e8))
        #expect(PostgresConnection.advisoryLockKey(for: "sync:conversations")
            != PostgresConnection.advisoryLockKey(for: "sync:messages"))
    }

    @Test("binds use PostgreSQL's spellings and types")
    func binds() {
        #expect(PostgresBind(Double.infinity).text == "Infinity")
        #expect(PostgresBind(-Double.infinity).text == "-Infinity")
        #expect(PostgresBind(Double.nan).text == "NaN")
        #expect(PostgresBind(0.1).text == "0.1")
        #expect(PostgresBind(true) == PostgresBind(text: "true", type: .bool))
        #expect(PostgresBind(Int64(42)).type == .int8)
        #expect(PostgresBind("x").type == .unspecified)
        let null: PostgresBind = nil
        #expect(null.text == nil)
    }
}
