package dev.tokenledger.orchestrator.http;

import com.google.protobuf.CodedOutputStream;
import io.javalin.http.Context;
import io.javalin.http.Header;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Ends a {@code POST /v1/traces} request with a 4xx or 5xx status and, as the OTLP specification requires for
 * every such answer, a {@code google.rpc.Status} body ({@code code}, {@code message}) in the request's encoding.
 * The Status message is written by hand (two fields) rather than through a dependency that only holds it.
 */
final class OtlpException extends RuntimeException {
    /** google.rpc.Code values: clients are not expected to act on them (OTLP), they name the problem's kind. */
    private static final int INVALID_ARGUMENT = 3;
    private static final int RESOURCE_EXHAUSTED = 8;
    private static final int UNAVAILABLE = 14;

    final int status;
    final OtlpEncoding encoding;
    final Integer retryAfterSeconds;

    private OtlpException(int status, String message, OtlpEncoding encoding, Integer retryAfterSeconds) {
        super(message, null, false, false);
        this.status = status;
        this.encoding = encoding;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    static OtlpException badRequest(String message, OtlpEncoding encoding) {
        return new OtlpException(400, message, encoding, null);
    }

    static OtlpException tooLarge(String message, OtlpEncoding encoding) {
        return new OtlpException(413, message, encoding, null);
    }

    /** Not a body we read: OTLP/HTTP knows only protobuf and JSON; answered in JSON, the readable one. */
    static OtlpException unsupportedMediaType(String message, OtlpEncoding encoding) {
        return new OtlpException(415, message, encoding == null ? OtlpEncoding.JSON : encoding, null);
    }

    /** The spans were fine, PostgreSQL was not: OTLP clients retry a 503, after Retry-After. */
    static OtlpException unavailable(String message, OtlpEncoding encoding, int retryAfterSeconds) {
        return new OtlpException(503, message, encoding, retryAfterSeconds);
    }

    void answer(Context ctx) {
        if (retryAfterSeconds != null) {
            ctx.header(Header.RETRY_AFTER, Integer.toString(retryAfterSeconds));
        }
        ctx.status(status).contentType(encoding.mediaType).result(statusBody(code(), getMessage(), encoding));
    }

    private int code() {
        return switch (status) {
            case 413 -> RESOURCE_EXHAUSTED;
            case 503 -> UNAVAILABLE;
            default -> INVALID_ARGUMENT;
        };
    }

    private record StatusJson(int code, String message) {
    }

    /** {@code google.rpc.Status { int32 code = 1; string message = 2; }}, in protobuf or its JSON mapping. */
    static byte[] statusBody(int code, String message, OtlpEncoding encoding) {
        if (encoding == OtlpEncoding.JSON) {
            try {
                return ApiJson.MAPPER.writeValueAsBytes(new StatusJson(code, message));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(message.length() + 16);
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        try {
            out.writeInt32(1, code);
            out.writeString(2, message);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
