import AsyncHTTPClient
import Telemetry
import Testing

@Suite("Metrics and health over HTTP")
struct TelemetryServerTests {
    func get(_ url: String) async throws -> (Int, String) {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: body))
    }

    @Test func metricsAreServedInPrometheusTextAndHealthFollowsTheLastRun() async throws {
        let registry = MetricsRegistry()
        registry.add("asapp_sync_rows_read_total", 120, stream: "convs")
        registry.add("asapp_sync_rows_read_total", 5, stream: "convs")
        registry.set("asapp_sync_watermark_lag_seconds", 42.5, stream: "a \"quoted\" stream")
        let server = try await TelemetryServer.start(host: "127.0.0.1", port: 0, registry: registry)
        let base = "http://127.0.0.1:\(server.port)"

        let (status, text) = try await get(base + "/metrics")
        #expect(status == 200)
        #expect(text.contains("# TYPE asapp_sync_rows_read_total counter"))
        #expect(text.contains("asapp_sync_rows_read_total{stream=\"convs\"} 125\n"))
        #expect(text.contains("asapp_sync_watermark_lag_seconds{stream=\"a \\\"quoted\\\" stream\"} 42.5\n"))

        registry.setHealth(true, reason: "last run: succeeded")
        #expect(try await get(base + "/healthz").0 == 200)
        registry.setHealth(false, reason: "last run failed: x")
        let (unhealthy, reason) = try await get(base + "/healthz")
        #expect(unhealthy == 503)
        #expect(reason.contains("failed"))
        #expect(try await get(base + "/nothing").0 == 404)
        await server.shutdown()
    }
}
