package io.nbdflow.web;

import io.nbdflow.application.MigrationConflictException;
import io.nbdflow.application.MigrationNotFoundException;
import io.nbdflow.domain.DomainConflictException;
import io.nbdflow.domain.DomainNotFoundException;
import io.nbdflow.domain.DomainUnavailableException;
import io.nbdflow.domain.DomainValidationException;
import io.nbdflow.host.QemuAlreadyRunningException;
import io.nbdflow.host.QemuLaunchException;
import io.nbdflow.host.UnknownHostNameException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.ErrorResponse;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/** Turns every failure of a controller into JSON {"error", "detail"}: a status, never a stack trace. */
@RestControllerAdvice
public class ApiExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ApiExceptionHandler.class);

    @ExceptionHandler(DomainValidationException.class)
    public ResponseEntity<ApiError> invalid(DomainValidationException e) {
        return ResponseEntity.badRequest().body(new ApiError("invalid", e.getMessage(), e.field()));
    }

    @ExceptionHandler(DomainNotFoundException.class)
    public ResponseEntity<ApiError> notFound(DomainNotFoundException e) {
        return respond(HttpStatus.NOT_FOUND, "not-found", e.getMessage());
    }

    @ExceptionHandler({DomainConflictException.class, QemuAlreadyRunningException.class,
            UnknownHostNameException.class})
    public ResponseEntity<ApiError> conflict(RuntimeException e) {
        return respond(HttpStatus.CONFLICT, "conflict", e.getMessage());
    }

    @ExceptionHandler(MigrationNotFoundException.class)
    public ResponseEntity<ApiError> noMigration(MigrationNotFoundException e) {
        return respond(HttpStatus.NOT_FOUND, "not-found", e.getMessage());
    }

    @ExceptionHandler(MigrationConflictException.class)
    public ResponseEntity<ApiError> migrationConflict(MigrationConflictException e) {
        return respond(HttpStatus.CONFLICT, "conflict", e.getMessage());
    }

    @ExceptionHandler(DomainUnavailableException.class)
    public ResponseEntity<ApiError> unavailable(DomainUnavailableException e) {
        return respond(HttpStatus.SERVICE_UNAVAILABLE, "unavailable", e.getMessage());
    }

    @ExceptionHandler(QemuLaunchException.class)
    public ResponseEntity<ApiError> qemuFailed(QemuLaunchException e) {
        log.warn("QEMU launch failed: {}", e.getMessage());
        return respond(HttpStatus.INTERNAL_SERVER_ERROR, "qemu-failed", e.getMessage());
    }

    @ExceptionHandler(HttpMessageNotReadableException.class)
    public ResponseEntity<ApiError> unreadable(HttpMessageNotReadableException e) {
        // Jackson's message quotes the input and names Java types: keep only its first line
        String detail = e.getMostSpecificCause().getMessage();
        detail = detail == null ? "the request body is missing or not valid JSON" : detail.lines().findFirst().orElse("");
        return respond(HttpStatus.BAD_REQUEST, "malformed-request", detail);
    }

    /** Spring MVC's own failures (405, 404, 415, ...) keep their status; anything else is a 500. */
    @ExceptionHandler(Exception.class)
    public ResponseEntity<ApiError> other(Exception e) {
        if (e instanceof ErrorResponse response) {
            HttpStatusCode status = response.getStatusCode();
            String detail = response.getBody().getDetail();
            return ResponseEntity.status(status).headers(response.getHeaders()) // e.g. Allow on a 405
                    .body(new ApiError(errorName(status), detail != null ? detail : e.getMessage()));
        }
        log.error("request failed", e);
        return respond(HttpStatus.INTERNAL_SERVER_ERROR, "internal", e.getClass().getSimpleName() + ": " + e.getMessage());
    }

    private static String errorName(HttpStatusCode status) {
        HttpStatus known = HttpStatus.resolve(status.value());
        return known == null ? "error" : known.name().toLowerCase().replace('_', '-');
    }

    private static ResponseEntity<ApiError> respond(HttpStatusCode status, String error, String detail) {
        return ResponseEntity.status(status).body(new ApiError(error, detail));
    }
}
