package io.nbdflow.domain;

import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** What a domain is doing; written in lower case in JSON (shutoff, running, paused, migrating). */
public enum DomainState {
    SHUTOFF,
    RUNNING,
    PAUSED,
    MIGRATING;

    @JsonValue
    public String json() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static DomainState fromJson(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }
}
