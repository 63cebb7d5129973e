package io.nbdflow.domain;

import io.nbdflow.host.DiskDefinition;

import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;

/**
 * Domain definitions in the engine's database, table NBD_DOMAIN (one JSON definition per
 * row). MIGRATION_ID_ marks the migration that owns a domain: claimed atomically, so two
 * migrations of one domain can never both start. SQL kept to what H2 and PostgreSQL share.
 */
@Repository
public class DomainRepository {

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final JdbcTemplate jdbc;

    public DomainRepository(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
        jdbc.execute("CREATE TABLE IF NOT EXISTS NBD_DOMAIN ("
                + "NAME_ VARCHAR(64) NOT NULL PRIMARY KEY, "
                + "HOST_ VARCHAR(64) NOT NULL, "
                + "DEFINITION_ TEXT NOT NULL, "
                + "MIGRATION_ID_ VARCHAR(64))");
    }

    public Optional<DomainDefinition> find(String name) {
        return jdbc.query("SELECT DEFINITION_ FROM NBD_DOMAIN WHERE NAME_ = ?",
                (rs, i) -> read(rs.getString(1)), name).stream().findFirst();
    }

    public List<DomainDefinition> all() {
        return jdbc.query("SELECT DEFINITION_ FROM NBD_DOMAIN ORDER BY NAME_", (rs, i) -> read(rs.getString(1)));
    }

    /** Inserts or replaces the definition; leaves a migration claim as it is. */
    public void save(DomainDefinition d) {
        String json = write(d);
        if (update(d.name(), d.host(), json) == 0) {
            try {
                jdbc.update("INSERT INTO NBD_DOMAIN (NAME_, HOST_, DEFINITION_) VALUES (?, ?, ?)",
                        d.name(), d.host(), json);
            } catch (DuplicateKeyException e) {
                update(d.name(), d.host(), json); // inserted concurrently: this save wins
            }
        }
    }

    /** Marks the domain as migrating under that id; false if it is unknown or already claimed. */
    public boolean claimMigration(String name, String migrationId) {
        return jdbc.update("UPDATE NBD_DOMAIN SET MIGRATION_ID_ = ? WHERE NAME_ = ? AND MIGRATION_ID_ IS NULL",
                migrationId, name) == 1;
    }

    /** Ends the claim, only if that migration holds it. */
    public void releaseMigration(String name, String migrationId) {
        jdbc.update("UPDATE NBD_DOMAIN SET MIGRATION_ID_ = NULL WHERE NAME_ = ? AND MIGRATION_ID_ = ?",
                name, migrationId);
    }

    /** Ends every claim that migration holds, whatever the domain's name. */
    public void releaseMigrationsOf(String migrationId) {
        jdbc.update("UPDATE NBD_DOMAIN SET MIGRATION_ID_ = NULL WHERE MIGRATION_ID_ = ?", migrationId);
    }

    /** Every domain marked migrating: name to the migration that holds it. */
    public java.util.Map<String, String> claims() {
        java.util.Map<String, String> claims = new java.util.TreeMap<>();
        jdbc.query("SELECT NAME_, MIGRATION_ID_ FROM NBD_DOMAIN WHERE MIGRATION_ID_ IS NOT NULL",
                rs -> {
                    claims.put(rs.getString(1), rs.getString(2));
                });
        return claims;
    }

    public Optional<String> migrationOf(String name) {
        return jdbc.query("SELECT MIGRATION_ID_ FROM NBD_DOMAIN WHERE NAME_ = ?",
                (rs, i) -> rs.getString(1), name).stream().filter(id -> id != null).findFirst();
    }

    /** After a migration: the domain now lives on newHost with those disk files. */
    public void moveTo(String name, String newHost, List<DiskDefinition> newDisks) {
        DomainDefinition d = find(name).orElseThrow(() -> new DomainNotFoundException(name));
        DomainDefinition moved = d.movedTo(newHost, newDisks);
        update(name, newHost, write(moved));
    }

    private int update(String name, String host, String json) {
        return jdbc.update("UPDATE NBD_DOMAIN SET HOST_ = ?, DEFINITION_ = ? WHERE NAME_ = ?", host, json, name);
    }

    private static String write(DomainDefinition d) {
        try {
            return JSON.writeValueAsString(d);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write definition of " + d.name(), e);
        }
    }

    private static DomainDefinition read(String json) {
        try {
            return JSON.readValue(json, DomainDefinition.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("unreadable domain definition in NBD_DOMAIN: " + e.getMessage(), e);
        }
    }
}
