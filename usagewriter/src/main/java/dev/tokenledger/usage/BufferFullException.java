package dev.tokenledger.usage;

/** recordAsync() refused events because its bounded buffer is full; nothing was dropped silently. */
public final class BufferFullException extends RuntimeException {
    public BufferFullException(String message) {
        super(message);
    }
}
