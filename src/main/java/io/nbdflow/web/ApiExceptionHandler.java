package io.nbdflow.web;

import io.nbdflow.application.InvalidMigrationRequestException;
import io.nbdflow.application.MigrationConflictException;
import io.nbdflow.application.MigrationNotFoundException;
import io.nbdflow.domain.DomainConflictException;
import io.nbdflow.domain.DomainNotFoundException;
import io.nbdflow.domain.DomainUnavailableException;
import io.nbdflow.domain.DomainValidationException;
import io.nbdflow.host.HostKeyRefusedException;
import io.nbdflow.host.HostUnreachableException;
import io.nbdflow.host.QemuAlreadyRunningException;
import io.nbdflow.host.QemuLaunchException;
import io.nbdflow.host.UnknownHostNameException;

import java.util.Collection;
import java.util.List;

import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;

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

    /** A host nbdflow cannot reach now: the request may succeed later, as is. */
    @ExceptionHandler(HostUnreachableException.class)
    public ResponseEntity<ApiError> hostUnreachable(HostUnreachableException e) {
        return respond(HttpStatus.SERVICE_UNAVAILABLE, "host-unreachable", e.getMessage());
    }

    /** A host whose key is not the listed one: a gateway nbdflow refuses to trust, named with its key. */
    @ExceptionHandler(HostKeyRefusedException.class)
    public ResponseEntity<ApiError> hostKeyRefused(HostKeyRefusedException e) {
        log.warn("host key refused: {}", e.getMessage());
        return respond(HttpStatus.BAD_GATEWAY, "host-key-refused", e.getMessage());
    }

    @ExceptionHandler(QemuLaunchException.class)
    public ResponseEntity<ApiError> qemuFailed(QemuLaunchException e) {
        log.warn("QEMU launch failed: {}", e.getMessage());
        return respond(HttpStatus.INTERNAL_SERVER_ERROR, "qemu-failed", e.getMessage());
    }

    @ExceptionHandler(InvalidMigrationRequestException.class)
    public ResponseEntity<ApiError> invalidMigration(InvalidMigrationRequestException e) {
        return ResponseEntity.badRequest().body(new ApiError("invalid", e.getMessage(), e.field()));
    }

    @ExceptionHandler(HttpMessageNotReadableException.class)
    public ResponseEntity<ApiError> unreadable(HttpMessageNotReadableException e) {
        if (RequestSizeLimitFilter.tooLarge(e)) {
            return respond(HttpStatus.PAYLOAD_TOO_LARGE, "too-large", RequestSizeLimitFilter.DETAIL);
        }
        if (e.getMostSpecificCause() instanceof MismatchedInputException m && !m.getPath().isEmpty()) {
            // a value of the wrong type (or a fraction for a whole number): name the field, and say what
            // was expected in our words; Jackson's message quotes the value and names Java types
            String field = field(m.getPath());
            return ResponseEntity.badRequest().body(new ApiError("invalid",
                    field + ": expected " + expected(m.getTargetType()), field));
        }
        // Jackson's message quotes the input and names Java types: keep only its first line
        String detail = e.getMostSpecificCause().getMessage();
        detail = detail == null ? "the request body is missing or not valid JSON" : detail.lines().findFirst().orElse("");
        return respond(HttpStatus.BAD_REQUEST, "malformed-request", detail);
    }

    /** The JSON path as the API names fields, e.g. "disks[0].target". */
    static String field(List<JsonMappingException.Reference> path) {
        StringBuilder b = new StringBuilder();
        for (JsonMappingException.Reference r : path) {
            if (r.getFieldName() != null) {
                b.append(b.isEmpty() ? "" : ".").append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                b.append('[').append(r.getIndex()).append(']');
            }
        }
        return b.toString();
    }

    private static String expected(Class<?> type) {
        if (type == null) {
            return "another kind of value";
        }
        if (type == Integer.class || type == Long.class || type == int.class || type == long.class
                || type == Short.class || type == short.class) {
            return "a whole number";
        }
        if (Number.class.isAssignableFrom(type)) {
            return "a number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type == String.class) {
            return "a string";
        }
        if (Collection.class.isAssignableFrom(type) || type.isArray()) {
            return "a list";
        }
        return "an object";
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
