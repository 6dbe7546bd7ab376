import Foundation
@testable import Loader
import Logging
import Testing

@Suite("Loader TLS settings")
struct TLSConfigurationTests {
    /// A self-signed CA certificate (EC P-256), valid until 2126; its key is not kept anywhere.
    static let caPEM = """
        -----BEGIN CERTIFICATE-----
        MIIBkTCCATegAwIBAgIUTwUT0YUT443HQOeZdSuOciWLCicwCgYIKoZIzj0EAwIw
        HTEbMBkGA1UEAwwSYXNhcHAtc3luYyB0ZXN0IENBMCAXDTI2MTEyMjAxMTE1NFoY
        DzIxMjYxMDI5MDExMTU0WjAdMRswGQYDVQQDDBJhc2FwcC1zeW5jIHRlc3QgQ0Ew
        WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQc4ac9On+2ta0yAw7MgF+1P82ipLkp
        h+cp2vz9sE+O/0O9nfBv5LtSE0OWuke/yZgiMEnsFSc5x4K+vE/FJ/Q2o1MwUTAd
        BgNVHQ4EFgQUXnOUwdnlxKz+SCLvNmZWfq/mgVowHwYDVR0jBBgwFoAUXnOUwdnl
        xKz+SCLvNmZWfq/mgVowDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBF
        AiBgUlzbHOzWuJ5UHovfsLwOJ3AiQsTaTW/6tPFmpyf4ugIhANPA471BQYExUX6E
        gB0+adMxBCDnkc+N454i+T5UL+Fq
        -----END CERTIFICATE-----

        """

    func temporaryFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ca-\(UUID().uuidString).pem").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func configuration(caBundle: String?) -> LoaderConfiguration {
        var configuration = LoaderConfiguration(credentials: APICredentials(id: "a", secret: "b"))
        configuration.caBundlePath = caBundle
        return configuration
    }

    @Test("by default the system's roots are used, with verification")
    func defaultVerifies() throws {
        let defaults = configuration(caBundle: nil)
        #expect(defaults.caBundlePath == nil)
        // nil leaves the HTTP client's own default, which verifies certificates fully.
        #expect(try defaults.tlsConfiguration() == nil)
    }

    @Test("a CA bundle becomes the only trust root, still fully verified")
    func customBundle() throws {
        let path = try temporaryFile(Self.caPEM)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let tls = try #require(try configuration(caBundle: path).tlsConfiguration())
        #expect(tls.certificateVerification == .fullVerification)
        guard case .certificates(let roots)? = tls.trustRoots else {
            Issue.record("expected the bundle's certificates as trust roots")
            return
        }
        #expect(roots.count == 1)
    }

    @Test("a missing or unreadable CA bundle is a clear error before any request")
    func missingBundle() async throws {
        let path = "/nonexistent/asapp-sync/ca.pem"
        let error = await #expect(throws: LoaderConfigurationError.self) {
            _ = try await APIClient.withClient(configuration(caBundle: path), logger: Logger(label: "test")) { _ in 1 }
        }
        #expect(error?.code == .caBundleUnreadable)
        #expect(error?.description.contains(path) == true)
    }

    @Test("a file that is not PEM certificates is refused")
    func invalidBundle() throws {
        let path = try temporaryFile("not a certificate\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = #expect(throws: LoaderConfigurationError.self) { try configuration(caBundle: path).validate() }
        #expect(error?.code == .caBundleInvalid)
    }
}
