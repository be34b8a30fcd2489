package dev.tokenledger.orchestrator.http;

import java.util.Locale;

/**
 * The two encodings of OTLP/HTTP: binary protobuf and OTLP/JSON. The answer is always in the encoding of the
 * request (the OTLP specification requires it), so the encoding travels with every answer, errors included.
 */
enum OtlpEncoding {
    PROTOBUF("application/x-protobuf"),
    JSON("application/json");

    final String mediaType;

    OtlpEncoding(String mediaType) {
        this.mediaType = mediaType;
    }

    /** The encoding a {@code Content-Type} names (parameters such as {@code charset} ignored), or null for any other. */
    static OtlpEncoding of(String contentType) {
        if (contentType == null) {
            return null;
        }
        int semicolon = contentType.indexOf(';');
        String type = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).strip().toLowerCase(Locale.ROOT);
        for (OtlpEncoding e : values()) {
            if (e.mediaType.equals(type)) {
                return e;
            }
        }
        return null;
    }
}
