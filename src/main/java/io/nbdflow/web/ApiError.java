package io.nbdflow.web;

import com.fasterxml.jackson.annotation.JsonInclude;

/** Every error the API returns: {"error": "...", "detail": "..."}, plus the field for bad input. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ApiError(String error, String detail, String field) {

    public ApiError(String error, String detail) {
        this(error, detail, null);
    }
}
