import Postgres
import SyncCore
import Testing
import TestSupport

@Suite("Decoding values by column type")
struct DecodingTests {
    static let allTypes = """
        SELECT 7::int2 AS small, 2147483647::int4 AS regular, '-9223372036854775808'::int8 AS big,
               12345678901234567890.123456789012345678901::numeric AS exact,
               1.5::float4 AS single, 0.30000000000000004::float8 AS double,
               true AS flag, 'plain'::text AS text, 'var'::varchar(10) AS var, 'pad'::char(5) AS padded,
               'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS id,
               '{"b": [1, 2], "a": null}'::jsonb AS doc, '{"b":1,  "a":2}'::json AS raw,
               '2024-02-29'::date AS day, '2024-03-01 12:34:56.5'::timestamp AS local,
               '2024-03-01 12:34:56.123456+00'::timestamptz AS instant,
               ARRAY['x', NULL, 'y,z']::text[] AS tags, ARRAY[1, 2]::int4[] AS numbers,
               ARRAY['a']::varchar[] AS names, 'PT1H'::interval AS span
        """

    @Test("every supported type decodes to the expected SourceValue")
    func sourceValues() async throws {
        try await withTestConnection { connection in
            let result = try await connection.query(Self.allTypes)
            let row = try result.sourceRows()[0]
            let instant = CivilTime(year: 2024, month: 3, day: 1, hour: 12, minute: 34, second: 56, microsecond: 123_456)
            let local = CivilTime(year: 2024, month: 3, day: 1, hour: 12, minute: 34, second: 56, microsecond: 500_000)
            #expect(row["small"] == .integer(7))
            #expect(row["regular"] == .integer(2_147_483_647))
            #expect(row["big"] == .integer(.min))
            #expect(row["exact"] == .decimal("12345678901234567890.123456789012345678901"))
            #expect(row["single"] == .double(1.5))
            #expect(row["double"] == .double(0.30000000000000004))
            #expect(row["flag"] == .bool(true))
            #expect(row["text"] == .string("plain"))
            #expect(row["var"] == .string("var"))
            #expect(row["padded"] == .string("pad  "))
            #expect(row["id"] == .string("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"))
            #expect(row["doc"] == .json(#"{"a": null, "b": [1, 2]}"#))
            #expect(row["raw"] == .json(#"{"b":1,  "a":2}"#))
            #expect(row["day"] == .date(LocalDate(year: 2024, month: 2, day: 29)))
            #expect(row["local"] == .localTimestamp(LocalTimestamp(microseconds: local.microsecondsSinceEpoch)))
            #expect(row["instant"] == .timestamp(UTCTimestamp(microseconds: instant.microsecondsSinceEpoch)))
            #expect(row["tags"] == .stringArray(["x", nil, "y,z"]))
            #expect(row["numbers"] == .stringArray(["1", "2"]))
            #expect(row["names"] == .stringArray(["a"]))
            #expect(row["span"] == .string("PT1H"))
        }
    }

    @Test("NULL of every type is .null and nil for optionals")
    func nulls() async throws {
        try await withTestConnection { connection in
            let result = try await connection.query("""
                SELECT NULL::int8 AS a, NULL::numeric AS b, NULL::text AS c, NULL::timestamptz AS d,
                       NULL::date AS e, NULL::text[] AS f, NULL::jsonb AS g, NULL::bool AS h
                """)
            let row = result[0]
            #expect(try row.sourceRow().values == Array(repeating: SourceValue.null, count: 8))
            #expect(try row.decode(Int64?.self, column: "a") == nil)
            #expect(try row.decode(UTCTimestamp?.self, column: "d") == nil)
            #expect(try row.decode([String?]?.self, column: "f") == nil)
            #expect(try row.decode(Bool?.self, column: "h") == nil)
            #expect(row[0].isNull)
            #expect(row[0].text == nil)

            let error = #expect(throws: PostgresError.self) { try row.decode(Int64.self, column: "a") }
            #expect(error?.code == .decodingFailed)
            #expect(error?.message == "unexpected NULL")
        }
    }

    @Test("arrays with tricky elements read back exactly")
    func trickyArrays() async throws {
        try await withTestConnection { connection in
            let elements: [String?] = [
                "a,b", "{braces}", "\"quoted\"", "back\\slash", nil, "NULL", "", "  spaced  ", "ünï🌍", "tab\there",
                "new\nline",
            ]
            try await connection.execute("CREATE TABLE t (tags text[], names varchar(20)[])")
            _ = try await connection.query("INSERT INTO t VALUES ($1, $2)", [PostgresBind(elements), PostgresBind(["x y"])])
            let row = try await connection.query("SELECT tags, names, '{}'::text[] AS empty, '[0:1]={p,q}'::text[] AS shifted FROM t")[0]
            #expect(try row.decode([String?].self, column: "tags") == elements)
            #expect(try row.sourceValue(at: 0) == .stringArray(elements))
            #expect(try row.sourceValue(at: 1) == .stringArray(["x y"]))
            #expect(try row.sourceValue(at: 2) == .stringArray([]))
            #expect(try row.sourceValue(at: 3) == .stringArray(["p", "q"]))
            // The elements must have reached the server as separate values, not as one spliced string.
            let count = try await connection.query("SELECT cardinality(tags) FROM t")[0].decode(Int.self, at: 0)
            #expect(count == elements.count)

            let nested = try await connection.query("SELECT ARRAY[[1,2],[3,4]] AS grid")[0]
            let error = #expect(throws: PostgresError.self) { try nested.sourceValue(at: 0) }
            #expect(error?.message?.contains("multi-dimensional") == true)
        }
    }

    @Test("numeric keeps every digit; floats keep their exact value")
    func numbers() async throws {
        try await withTestConnection { connection in
            let row = try await connection.query("""
                SELECT 0.1::numeric(30,25) AS scaled, '-0.000000000000000000000000000001'::numeric AS tiny,
                       'NaN'::numeric AS nan_numeric, 'Infinity'::float8 AS inf, 'NaN'::float8 AS nan,
                       (0.1::float8 + 0.2::float8) AS sum, 3.4028235e38::float4 AS max_float
                """)[0]
            #expect(try row.sourceValue(at: 0) == .decimal("0.1000000000000000000000000"))
            #expect(try row.sourceValue(at: 1) == .decimal("-0.000000000000000000000000000001"))
            #expect(try row.sourceValue(at: 2) == .decimal("NaN"))
            #expect(try row.decode(Double.self, at: 3) == .infinity)
            #expect(try row.decode(Double.self, at: 4).isNaN)
            #expect(try row.decode(Double.self, at: 5) == 0.1 + 0.2)
            #expect(try row.decode(Double.self, at: 6) == 3.4028235e38)
        }
    }

    @Test("timestamptz decodes to the same instant whatever the session's zone", arguments: [
        "UTC", "Asia/Kolkata", "America/St_Johns", "Asia/Kathmandu", "Pacific/Chatham", "Europe/Amsterdam",
    ])
    func zones(zone: String) async throws {
        try await withTestConnection { connection in
            try await connection.execute("SET TimeZone TO '\(zone)'")
            let result = try await connection.query("""
                SELECT '2024-03-01 12:34:56.123456+00'::timestamptz, '2024-07-01 00:00:00.000001+00'::timestamptz,
                       '1890-06-01 00:00:00+00'::timestamptz, '1969-12-31 23:59:59.999999+00'::timestamptz,
                       '2024-03-01 12:34:56.123456+00'::timestamptz::text
                """)
            let row = result[0]
            func utc(_ c: CivilTime) -> UTCTimestamp { UTCTimestamp(microseconds: c.microsecondsSinceEpoch) }
            #expect(try row.decode(UTCTimestamp.self, at: 0)
                == utc(CivilTime(year: 2024, month: 3, day: 1, hour: 12, minute: 34, second: 56, microsecond: 123_456)))
            #expect(try row.decode(UTCTimestamp.self, at: 1)
                == utc(CivilTime(year: 2024, month: 7, day: 1, microsecond: 1)))
            #expect(try row.decode(UTCTimestamp.self, at: 2) == utc(CivilTime(year: 1890, month: 6, day: 1)))
            #expect(try row.decode(UTCTimestamp.self, at: 3) == UTCTimestamp(microseconds: -1))
            if zone != "UTC" {
                // The server really printed a non-UTC offset, so the offset handling was exercised.
                #expect(try !row.decode(String.self, at: 4).hasSuffix("+00"))
            }
        }
    }

    @Test("infinity and BC values are decoding errors with a clear reason")
    func unrepresentable() async throws {
        try await withTestConnection { connection in
            let result = try await connection.query("""
                SELECT 1 AS fine, 'infinity'::timestamptz AS a, '-infinity'::timestamp AS b, '0044-03-15 BC'::date AS c,
                       'infinity'::date AS d
                """)
            // A whole page decoded at once names the cell's column as one cell decoded alone does.
            let page = #expect(throws: PostgresError.self) { try result.sourceRows() }
            #expect(page?.column == "a")
            #expect(page?.columnType == "timestamptz")
            #expect(page?.message?.contains("infinite") == true)
            let row = try await connection.query("""
                SELECT 'infinity'::timestamptz AS a, '-infinity'::timestamp AS b, '0044-03-15 BC'::date AS c,
                       'infinity'::date AS d
                """)[0]
            let a = #expect(throws: PostgresError.self) { try row.decode(UTCTimestamp.self, column: "a") }
            #expect(a?.message?.contains("infinite") == true)
            #expect(throws: PostgresError.self) { try row.sourceValue(at: 1) }
            let c = #expect(throws: PostgresError.self) { try row.sourceValue(at: 2) }
            #expect(c?.message?.contains("BC") == true)
            #expect(c?.column == "c")
            #expect(throws: PostgresError.self) { try row.decode(LocalDate.self, column: "d") }
        }
    }

    @Test("a decoding error names the column, its type and the Swift type")
    func decodingErrors() async throws {
        try await withTestConnection { connection in
            let row = try await connection.query("""
                SELECT 'x'::text AS label, 3000000000::int8 AS big, '2024-01-01'::timestamp AS naive
                """)[0]
            let wrongType = #expect(throws: PostgresError.self) { try row.decode(Int64.self, column: "label") }
            #expect(wrongType?.code == .decodingFailed)
            #expect(wrongType?.column == "label")
            #expect(wrongType?.columnType == "text")
            #expect(wrongType?.expectedType == "Int64")
            let text = wrongType?.description ?? ""
            #expect(text.contains("\"label\"") && text.contains("text") && text.contains("Int64"))

            let overflow = #expect(throws: PostgresError.self) { try row.decode(Int32.self, column: "big") }
            #expect(overflow?.columnType == "int8")
            #expect(overflow?.expectedType == "Int32")

            let naive = #expect(throws: PostgresError.self) { try row.decode(UTCTimestamp.self, column: "naive") }
            #expect(naive?.columnType == "timestamp")

            let missing = #expect(throws: PostgresError.self) { try row.decode(String.self, column: "nope") }
            #expect(missing?.column == "nope")
        }
    }

    @Test("rows of one result share one SourceColumns")
    func sharedColumns() async throws {
        try await withTestConnection { connection in
            let rows = try await connection.query("SELECT g AS n, g::text AS s FROM generate_series(1, 3) g").sourceRows()
            #expect(rows.count == 3)
            #expect(rows[0].columns === rows[2].columns)
            #expect(rows[0].columns.names == ["n", "s"])
            #expect(rows.map { $0["n"] } == [.integer(1), .integer(2), .integer(3)])
        }
    }
}
