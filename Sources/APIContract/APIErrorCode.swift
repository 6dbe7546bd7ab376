/// The `code` values of error envelopes (`{"error": {"requestId", "code", "message"}}`), as
/// `<HTTP status>-<subcode>`.
///
/// The vendor documents the statuses and the `-01` form; it names only `400-03` (a timestamp in the
/// wrong form). The other subcodes are this project's, used by the validator and the sandbox alike:
///
/// | code     | status | meaning                                                                  |
/// |----------|--------|--------------------------------------------------------------------------|
/// | `400-01` | 400    | body is not well-formed JSON, or not a JSON object                         |
/// | `400-02` | 400    | a required member is missing or `null`                                   |
/// | `400-03` | 400    | a date-time value is not in an accepted form (vendor code)               |
/// | `400-04` | 400    | a member the API does not define                                         |
/// | `400-05` | 400    | a value of the wrong type, pattern, length, enumeration or e-mail form, or a `null` where none is allowed |
/// | `400-06` | 400    | an array with too few or too many items (`items` 1…1000, `messages` 1…300, `attributes` ≤ 10) |
/// | `400-07` | 400    | the `conversationId` in the path does not match `^[A-Z0-9]+$`            |
/// | `400-08` | 400    | `Content-Type` is not `application/json`                                 |
/// | `401-01` | 401    | `asapp-api-id` or `asapp-api-secret` header missing                      |
/// | `403-01` | 403    | credentials not recognised                                               |
/// | `404-01` | 404    | no conversation has this `conversationId`                                |
/// | `404-02` | 404    | no such path                                                             |
/// | `405-01` | 405    | the path exists but not for this method                                  |
/// | `413-01` | 413    | the body exceeds the size limit                                          |
/// | `429-01` | 429    | too many requests (reserved for fault injection)                         |
/// | `500-01` | 500    | internal error                                                           |
/// | `503-01` | 503    | service unavailable (reserved for fault injection)                       |
public enum APIErrorCode {
    /// `400-01`: not well-formed JSON, or not an object.
    public static let malformedJSON = "400-01"
    /// `400-02`: a required member is missing or `null`.
    public static let missingField = "400-02"
    /// `400-03`: a date-time in a form the API does not accept.
    public static let badTimestamp = "400-03"
    /// `400-04`: a member the API does not define.
    public static let unknownField = "400-04"
    /// `400-05`: wrong type, pattern, length, enumeration member or e-mail form, or a forbidden `null`.
    public static let invalidValue = "400-05"
    /// `400-06`: an array with too few or too many items.
    public static let itemCount = "400-06"
    /// `400-07`: a `conversationId` path parameter not matching `^[A-Z0-9]+$`.
    public static let badPathParameter = "400-07"
    /// `400-08`: a `Content-Type` other than `application/json`.
    public static let unsupportedContentType = "400-08"
    /// `401-01`: credentials missing.
    public static let missingCredentials = "401-01"
    /// `403-01`: credentials not recognised.
    public static let badCredentials = "403-01"
    /// `404-01`: unknown conversation.
    public static let unknownConversation = "404-01"
    /// `404-02`: no such path.
    public static let unknownPath = "404-02"
    /// `405-01`: the method is not allowed on this path.
    public static let methodNotAllowed = "405-01"
    /// `413-01`: the body is too large.
    public static let bodyTooLarge = "413-01"
    /// `429-01`: too many requests.
    public static let tooManyRequests = "429-01"
    /// `500-01`: internal error.
    public static let internalError = "500-01"
    /// `503-01`: service unavailable.
    public static let serviceUnavailable = "503-01"

    /// The HTTP status a code belongs to (its first three digits), or `nil` for a malformed code.
    public static func status(of code: String) -> Int? {
        guard code.utf8.count >= 3 else { return nil }
        return Int(code.prefix(3))
    }
}
