import Foundation
@testable import Loader
import NIOHTTP1
import Synchronization
import Testing

@Suite("HTTP transport: connections, answers and TLS against a real server")
struct HTTPTransportTests {
    /// A test CA (EC P-256, valid until 2126) and a server certificate it signed for `localhost` and
    /// `127.0.0.1`, with that server's key: fixtures for a TLS server on loopback, used nowhere else.
    static let caPEM = """
        -----BEGIN CERTIFICATE-----
        MIIBtDCCAVmgAwIBAgIUGEcgSh8Yd9tUmr4wa8pDqalbrr8wCgYIKoZIzj0EAwIw
        JjEkMCIGA1UEAwwbYXNhcHAtc3luYyBsb29wYmFjayB0ZXN0IENBMCAXDTI2MTIw
        MTIzNTE1NVoYDzIxMjYxMTA3MjM1MTU1WjAmMSQwIgYDVQQDDBthc2FwcC1zeW5j
        IGxvb3BiYWNrIHRlc3QgQ0EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQ68Tg/
        FMUkI4lQtbuaqhLAHB+5CmPbIL30mFjvqQLtTrGBk5VgyBWP4CaQ4AGT8Va+LJ7g
        9tCTCeyen5IG9HHTo2MwYTAdBgNVHQ4EFgQUZ0+gI4FisCu6m1B6lCAXPTwKm1Qw
        HwYDVR0jBBgwFoAUZ0+gI4FisCu6m1B6lCAXPTwKm1QwDwYDVR0TAQH/BAUwAwEB
        /zAOBgNVHQ8BAf8EBAMCAgQwCgYIKoZIzj0EAwIDSQAwRgIhAPkcDncdE/Ud6iNA
        2Mqi9euifcgBAq+lOq1qcP3Oo2FnAiEA0GjCciyRhmUfycOZYP0BkjBkh2gJwpOj
        IIsICzToXfo=
        -----END CERTIFICATE-----

        """
    static let serverChainPEM = """
        -----BEGIN CERTIFICATE-----
        MIIBuzCCAWKgAwIBAgIUM4rOlDc4lA+MtLpOyc3tnU104LEwCgYIKoZIzj0EAwIw
        JjEkMCIGA1UEAwwbYXNhcHAtc3luYyBsb29wYmFjayB0ZXN0IENBMCAXDTI2MTIw
        MTIzNTE1NVoYDzIxMjYxMTA3MjM1MTU1WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3Qw
        WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAS5BAx8ZtEAZNAN2BPHxsvdDWvVd5Sx
        h6W0bJAmXL96D6NGx8uEJHFoSWQj9WBjwYsXlvm7ko++YrwDZEjhe/j/o34wfDAa
        BgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwCQYDVR0TBAIwADATBgNVHSUEDDAK
        BggrBgEFBQcDATAdBgNVHQ4EFgQUsLsQ1BJ7EWNj0shGwC4YO774OJgwHwYDVR0j
        BBgwFoAUZ0+gI4FisCu6m1B6lCAXPTwKm1QwCgYIKoZIzj0EAwIDRwAwRAIgUO0/
        txx0Lyoaz74d/jiaMRn3Gs2gaGxJqXVuOmfBpV0CIByZQy37VYEfm+bq65wfVlbk
        mq0gEpLUC6gkRqFRgfju
        -----END CERTIFICATE-----

        """
    static let serverKeyPEM = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg1uoYMcfgkl/v9p6W
        XgfjJapbeZOR9NK1ppP4XVMnu9ChRANCAAS5BAx8ZtEAZNAN2BPHxsvdDWvVd5Sx
        h6W0bJAmXL96D6NGx8uEJHFoSWQj9WBjwYsXlvm7ko++YrwDZEjhe/j/
        -----END PRIVATE KEY-----

        """
    /// A certificate from the same CA for `elsewhere.example` only, with its key: right CA, wrong name.
    static let elsewhereChainPEM = """
        -----BEGIN CERTIFICATE-----
        MIIBxjCCAW2gAwIBAgIUM4rOlDc4lA+MtLpOyc3tnU104LIwCgYIKoZIzj0EAwIw
        JjEkMCIGA1UEAwwbYXNhcHAtc3luYyBsb29wYmFjayB0ZXN0IENBMCAXDTI2MTIw
        MjAxMTIzOVoYDzIxMjYxMTA4MDExMjM5WjAcMRowGAYDVQQDDBFlbHNld2hlcmUu
        ZXhhbXBsZTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABOXhZcx1BUkafwW9Iwpg
        PaiMlg1fh+4iy4IOTasrwmg2E3N/9blbr8/tjkIKS0fzR2ESMM93hPfODsbFVNf2
        8IejgYAwfjAcBgNVHREEFTATghFlbHNld2hlcmUuZXhhbXBsZTAJBgNVHRMEAjAA
        MBMGA1UdJQQMMAoGCCsGAQUFBwMBMB0GA1UdDgQWBBSsFoWskaBsV5HUh2Rrm2vK
        wNOOqzAfBgNVHSMEGDAWgBRnT6AjgWKwK7qbUHqUIBc9PAqbVDAKBggqhkjOPQQD
        AgNHADBEAiBsLoIZCMSMwgR8/RD0bU/vtDy7rlDqO22qYhrmU8awQQIgSxOxFmXz
        XiMhbYPgpjY9vZuuq+oBFv2Ze8J5oFkHLCY=
        -----END CERTIFICATE-----

        """
    static let elsewhereKeyPEM = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgxzJUsATzvzerBOj9
        gbi8CAxwZiDHep+mTTeTr4hzezmhRANCAATl4WXMdQVJGn8FvSMKYD2ojJYNX4fu
        IsuCDk2rK8JoNhNzf/W5W6/P7Y5CCktH80dhEjDPd4T3zg7GxVTX9vCH
        -----END PRIVATE KEY-----

        """
    static let healthy = #"{"healthCheck":"SUCCESS"}"#

    static func configuration(_ baseURL: String, caBundle: String? = nil) -> LoaderConfiguration {
        var configuration = LoaderConfiguration(credentials: APICredentials(id: "transport-id", secret: "transport-secret"))
        configuration.baseURL = baseURL
        configuration.caBundlePath = caBundle
        configuration.maxAttempts = 1
        configuration.requestTimeout = .seconds(10)
        return configuration
    }

    static func transport(port: Int, maxIdle: Int = 64) throws -> HTTPTransport {
        try HTTPTransport(origin: #require(HTTPOrigin(baseURL: "http://127.0.0.1:\(port)")), tls: nil,
                          connectTimeout: .seconds(5), maxIdle: maxIdle)
    }

    static func get(_ transport: HTTPTransport, maxResponseBytes: Int = 1 << 16) async throws -> HTTPTransport.Response {
        try await transport.send(.GET, path: "/v1/health", headers: HTTPHeaders(), body: nil,
                                 timeout: .seconds(10), maxResponseBytes: maxResponseBytes)
    }

    @Test("base URLs: scheme, host, port, path prefix and Host header; anything else is refused")
    func origins() throws {
        let plain = try #require(HTTPOrigin(baseURL: "http://127.0.0.1:8080"))
        #expect(!plain.tls && plain.host == "127.0.0.1" && plain.port == 8080 && plain.pathPrefix == "")
        #expect(plain.hostHeader == "127.0.0.1:8080" && plain.hostIsAddress)
        let vendor = try #require(HTTPOrigin(baseURL: "HTTPS://api.sandbox.asapp.com/"))
        #expect(vendor.tls && vendor.port == 443 && vendor.hostHeader == "api.sandbox.asapp.com" && !vendor.hostIsAddress)
        let prefixed = try #require(HTTPOrigin(baseURL: "https://gateway.example:8443/asapp/"))
        #expect(prefixed.pathPrefix == "/asapp" && prefixed.hostHeader == "gateway.example:8443")
        let v6 = try #require(HTTPOrigin(baseURL: "http://[::1]:9000"))
        #expect(v6.host == "::1" && v6.hostHeader == "[::1]:9000" && v6.hostIsAddress)
        for bad in ["ftp://host", "api.sandbox.asapp.com", "http://", "http://:80", "http://host:0", "http://host:70000",
                    "http://user:pass@host", "http://host/path?query", "http://[::1", "http://host:8o"] {
            #expect(HTTPOrigin(baseURL: bad) == nil, "\(bad) was accepted")
        }
        let error = #expect(throws: LoaderConfigurationError.self) {
            try Self.configuration("http://user:hunter2@host").validate()
        }
        #expect(error?.code == .invalidBaseURL)
    }

    @Test("credentials that cannot be header values are refused before anything is sent, without being shown")
    func credentialsAreHeaderSafe() throws {
        for (id, secret) in [("id", "line\r\nx-injected: 1"), ("", "secret"), ("id\u{0}", "secret"), ("id", "tab\u{7F}")] {
            var configuration = Self.configuration("http://127.0.0.1:1")
            configuration.credentials = APICredentials(id: id, secret: secret)
            let error = #expect(throws: LoaderConfigurationError.self) { try configuration.validate() }
            #expect(error?.code == .invalidCredentials)
            #expect(error.map { !$0.message.contains("injected") && !$0.message.contains("secret\u{0}") } == true)
        }
        var spaced = Self.configuration("http://127.0.0.1:1")
        spaced.credentials = APICredentials(id: "an id", secret: "s3cr\tet")
        #expect(throws: Never.self) { try spaced.validate() }
    }

    @Test("sequential requests share one keep-alive connection; concurrent ones reuse the connections they opened")
    func connectionsAreReused() async throws {
        let server = try await ScriptedHTTPServer { _ in .answer(status: 200, body: Self.healthy) }
        defer { Task { await server.close() } }
        let answers = try await APIClient.withClient(Self.configuration("http://127.0.0.1:\(server.port)/gateway/"),
                                                     logger: LoaderSandbox.logger) { client in
            var answers: [Bool] = []
            for _ in 0..<30 { answers.append(try await client.health()) }
            return answers
        }
        #expect(answers == Array(repeating: true, count: 30))
        #expect(server.connections == 1)
        #expect(server.requests.count == 30)
        let first = try #require(server.requests.first)
        #expect(first.uri == "/gateway/v1/health")
        #expect(first.headers.contains { $0.0.lowercased() == "host" && $0.1 == "127.0.0.1:\(server.port)" })
        #expect(first.headers.contains { $0.0 == "asapp-api-id" && $0.1 == "transport-id" })

        let transport = try Self.transport(port: server.port)
        func round() async throws {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 { group.addTask { try await Self.get(transport).status } }
                for try await status in group { #expect(status == 200) }
            }
        }
        try await round()
        let afterFirst = server.connections
        #expect(afterFirst > 1 && afterFirst <= 1 + 8)
        try await round()
        #expect(server.connections == afterFirst, "the second round opened new connections")
        await transport.shutdown()
    }

    @Test("an answer with Connection: close is read whole and the next request opens a new connection")
    func closeAfterAnswer() async throws {
        let server = try await ScriptedHTTPServer { _ in .answer(status: 200, body: Self.healthy, close: true) }
        defer { Task { await server.close() } }
        let answers = try await APIClient.withClient(Self.configuration("http://127.0.0.1:\(server.port)"),
                                                     logger: LoaderSandbox.logger) { client in
            var answers: [Bool] = []
            for _ in 0..<3 { answers.append(try await client.health()) }
            return answers
        }
        #expect(answers == [true, true, true])
        #expect(server.connections == 3)
    }

    @Test("a keep-alive connection the server hangs up on is never a hang: a request on it fails at once (closed or reset), the next goes on a new one",
          .timeLimit(.minutes(1)))
    func hungUpConnections() async throws {
        let server = try await ScriptedHTTPServer { _ in .answerThenHangUp(status: 200, body: Self.healthy) }
        defer { Task { await server.close() } }
        let transport = try Self.transport(port: server.port)
        var succeeded = 0
        for round in 0..<40 {
            // Half the requests follow the hang-up at once (racing it), half after it has landed.
            if round % 2 == 1 { try await Task.sleep(for: .milliseconds(20)) }
            do {
                #expect(try await Self.get(transport).status == 200)
                succeeded += 1
            } catch let error as HTTPTransportError {
                #expect([HTTPTransportError.closed.description, HTTPTransportError.reset.description].contains(error.description))
                // What the caller's retry does: the closed connection is gone, the next one is new.
                #expect(try await Self.get(transport).status == 200)
            }
        }
        #expect(succeeded >= 20)
        await transport.shutdown()
    }

    @Test("a chunked body is joined; an answer over the size limit fails, declared or chunked, and the connection is not reused")
    func bodiesAndLimits() async throws {
        let large = String(repeating: "x", count: 100)
        let server = try await ScriptedHTTPServer { request in
            switch request.uri {
            case "/v1/health": return .answer(status: 200, body: Self.healthy, chunked: true)
            default: return .answer(status: 200, body: large, chunked: request.uri == "/chunked")
            }
        }
        defer { Task { await server.close() } }
        let transport = try Self.transport(port: server.port)
        let joined = try await Self.get(transport)
        #expect(String(buffer: joined.body) == Self.healthy)
        for path in ["/declared", "/chunked"] {
            let error = await #expect(throws: HTTPTransportError.self) {
                _ = try await transport.send(.GET, path: path, headers: HTTPHeaders(), body: nil,
                                             timeout: .seconds(10), maxResponseBytes: 64)
            }
            #expect(error?.description == "the answer is larger than 64 bytes", "\(path)")
        }
        // Each failure closed its connection; the transport still answers on a fresh one.
        #expect(try await Self.get(transport).status == 200)
        #expect(server.connections == 3)
        await transport.shutdown()
    }

    @Test("a connection that breaks off mid-answer fails that request; the next one goes on a new connection")
    func brokenAnswer() async throws {
        let calls = Mutex(0)
        let server = try await ScriptedHTTPServer { _ in
            calls.withLock { $0 += 1; return $0 } == 1
                ? .breakOff(declaredBytes: 500, sentBody: #"{"healthCh"#)
                : .answer(status: 200, body: #"{"items":[]}"#)
        }
        defer { Task { await server.close() } }
        let transport = try Self.transport(port: server.port)
        let error = await #expect(throws: HTTPTransportError.self) { _ = try await Self.get(transport) }
        #expect(error?.description == HTTPTransportError.closed.description)
        #expect(try await Self.get(transport).status == 200)
        #expect(server.connections == 2)
        await transport.shutdown()
    }

    @Test("HTTPS: a server whose certificate chains to the configured CA is reached; without that CA it is refused")
    func tls() async throws {
        try await Self.withTLSServer(chain: Self.serverChainPEM, key: Self.serverKeyPEM) { server, path in
            for host in ["localhost", "127.0.0.1"] {
                let trusted = try await APIClient.withClient(Self.configuration("https://\(host):\(server.port)", caBundle: path),
                                                             logger: LoaderSandbox.logger) { try await $0.health() }
                #expect(trusted, "\(host)")
            }
            let untrusted = await #expect(throws: (any Error).self) {
                _ = try await APIClient.withClient(Self.configuration("https://localhost:\(server.port)"),
                                                   logger: LoaderSandbox.logger) { try await $0.health() }
            }
            #expect(String(describing: untrusted).contains("CERTIFICATE_VERIFY_FAILED"), "\(String(describing: untrusted))")
            // Plain HTTP to the TLS port is no answer either.
            await #expect(throws: (any Error).self) {
                _ = try await APIClient.withClient(Self.configuration("http://127.0.0.1:\(server.port)"),
                                                   logger: LoaderSandbox.logger) { try await $0.health() }
            }
            #expect(server.requests.count == 2)
        }
    }

    /// Runs `body` with an HTTPS server presenting `chain` and a CA bundle file holding the test CA.
    static func withTLSServer(chain: String, key: String,
                              _ body: (ScriptedHTTPServer, String) async throws -> Void) async throws {
        let server = try await ScriptedHTTPServer(tls: (chain, key)) { _ in .answer(status: 200, body: Self.healthy) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ca-\(UUID().uuidString).pem").path
        try Self.caPEM.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            try await body(server, path)
        } catch {
            await server.close()
            throw error
        }
        await server.close()
    }

    @Test("HTTPS: a certificate from the trusted CA for another name is refused, by host name and by address")
    func tlsNameIsVerified() async throws {
        try await Self.withTLSServer(chain: Self.elsewhereChainPEM, key: Self.elsewhereKeyPEM) { server, path in
            for host in ["localhost", "127.0.0.1"] {
                await #expect(throws: (any Error).self, "\(host)") {
                    _ = try await APIClient.withClient(Self.configuration("https://\(host):\(server.port)", caBundle: path),
                                                       logger: LoaderSandbox.logger) { try await $0.health() }
                }
            }
            #expect(server.requests.isEmpty)
        }
    }
}
