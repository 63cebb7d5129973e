package io.nbdflow.web;

import com.fasterxml.jackson.annotation.JsonInclude;

/** Every error the API returns: {"error": "...", "detail": "..."}, plus the field for bad input. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ApiError(String error, String detail, String field) {

    /** No answer repeats an unbounded input: messages quote at most 64 characters of a value, and this caps the rest. */
    static final int MAX_DETAIL = 400;
    static final int MAX_FIELD = 100;

    public ApiError {
        detail = cap(detail, MAX_DETAIL);
        field = cap(field, MAX_FIELD);
    }

    public ApiError(String error, String detail) {
        this(error, detail, null);
    }

    private static String cap(String text, int max) {
        return text == null || text.length() <= max ? text : text.substring(0, max) + "... (cut)";
    }
}
