import NIOSSL

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension LoaderConfiguration {
    /// Checks the settings that can be wrong before any request: the base URL, the CA bundle (read and
    /// parsed now, so a bad path fails at startup rather than on the first HTTPS connection), the rate
    /// cap and the cap of requests in flight.
    ///
    /// - Throws: `LoaderConfigurationError`.
    public func validate() throws(LoaderConfigurationError) {
        _ = try origin()
        try validateCredentials()
        _ = try tlsConfiguration()
        if let rate = maxRequestsPerSecond, !(rate > 0 && rate.isFinite) {
            throw LoaderConfigurationError(code: .invalidRateLimit,
                                           message: "the request rate cap must be a positive number of requests per second, not \(rate)")
        }
        guard maxRequestsInFlight >= 1 else {
            throw LoaderConfigurationError(code: .invalidInFlightLimit,
                                           message: "the cap of requests in flight must be 1 or more, not \(maxRequestsInFlight)")
        }
    }

    /// The API id and secret become header values as they are (the transport does not check headers
    /// again on every request), so each must be non-empty and free of control characters (a line break
    /// would end the header). The error never shows them.
    func validateCredentials() throws(LoaderConfigurationError) {
        for (name, value) in [("ASAPP_API_ID", credentials.id), ("ASAPP_API_SECRET", credentials.secret)] {
            guard !value.isEmpty, value.utf8.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else {
                throw LoaderConfigurationError(code: .invalidCredentials,
                                               message: "\(name) must be non-empty, without control characters or line breaks (its value is not shown)")
            }
        }
    }

    /// The server the base URL names.
    func origin() throws(LoaderConfigurationError) -> HTTPOrigin {
        guard let origin = HTTPOrigin(baseURL: baseURL) else {
            throw LoaderConfigurationError(code: .invalidBaseURL,
                                           message: "the API base URL \(baseURL) is not http://host[:port][/path] or https://host[:port][/path]")
        }
        return origin
    }

    /// The TLS settings for the HTTP client: `nil` (the default client settings, which verify
    /// certificates against the system's roots) unless a CA bundle is configured, in which case only its
    /// certificates are trusted, still with full verification.
    func tlsConfiguration() throws(LoaderConfigurationError) -> TLSConfiguration? {
        guard let path = caBundlePath else { return nil }
        guard access(path, R_OK) == 0 else {
            throw LoaderConfigurationError(code: .caBundleUnreadable,
                                           message: "the CA bundle \(path) does not exist or cannot be read (errno \(errno))")
        }
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw LoaderConfigurationError(code: .caBundleInvalid, message: "the CA bundle \(path) is not a PEM file of certificates: \(error)")
        }
        guard !certificates.isEmpty else {
            throw LoaderConfigurationError(code: .caBundleInvalid, message: "the CA bundle \(path) holds no PEM certificate")
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .fullVerification
        tls.trustRoots = .certificates(certificates)
        return tls
    }
}
