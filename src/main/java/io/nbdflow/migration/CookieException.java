package io.nbdflow.migration;

/** A migration cookie that is malformed, hostile or incomplete. */
public class CookieException extends RuntimeException {

    public CookieException(String message) {
        super(message);
    }

    public CookieException(String message, Throwable cause) {
        super(message, cause);
    }
}
