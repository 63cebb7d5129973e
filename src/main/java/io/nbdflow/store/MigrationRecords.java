package io.nbdflow.store;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.springframework.jdbc.core.JdbcTemplate;

/**
 * nbdflow's own record of each migration, in the application's database: the facts fixed when it
 * began (domain, source and destination host, the disks it copies) and every thing it created on
 * a host (a pre-created file, a destination QEMU), each row written in the transaction of the
 * step that created it. Undo, cancel and clean-up act on these rows only: process variables are
 * open to every engine API user and are never taken as the list of what to stop or delete.
 */
public class MigrationRecords {

    /** What was created: a disk image, or a QEMU (its domain folder and pid). */
    public enum Kind { CREATED_FILE, DESTINATION_QEMU }

    /**
     * The facts a migration began with. {@code targets}: the disks it copies, in order; {@code plan}:
     * its disk plan as the first step wrote it (JSON), which the later steps read instead of the
     * process variable of the same content, which anyone may change.
     */
    public record Facts(String migrationId, String domain, String sourceHost, String destinationHost,
                        List<String> targets, boolean switchoverStarted, String plan) {
    }

    /** One thing a migration created: a file (path) or a QEMU (domain, pid) on a host. */
    public record Resource(String migrationId, Kind kind, String host, String path, long pid, Instant createdAt) {
    }

    private final JdbcTemplate jdbc;

    public MigrationRecords(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
        // Plain SQL that H2 and PostgreSQL both accept.
        jdbc.execute("create table if not exists NBD_MIGRATION ("
                + "ID_ varchar(64) not null primary key, "
                + "DOMAIN_ varchar(64) not null, "
                + "SOURCE_HOST_ varchar(255) not null, "
                + "DESTINATION_HOST_ varchar(255) not null, "
                + "TARGETS_ varchar(4000) not null, "
                + "SWITCHOVER_ boolean default false not null, "
                + "PLAN_ varchar(1000000) not null, "
                + "CREATED_ timestamp not null)");
        jdbc.execute("create table if not exists NBD_MIGRATION_RESOURCE ("
                + "MIGRATION_ID_ varchar(64) not null, "
                + "KIND_ varchar(32) not null, "
                + "HOST_ varchar(255) not null, "
                + "PATH_ varchar(4096) not null, "
                + "PID_ bigint not null, "
                + "CREATED_ timestamp not null)");
    }

    /** Records the facts of a migration; a redone first step writes them again. */
    public void begin(String migrationId, String domain, String sourceHost, String destinationHost,
                      List<String> targets, String plan) {
        jdbc.update("delete from NBD_MIGRATION where ID_ = ?", migrationId);
        jdbc.update("insert into NBD_MIGRATION (ID_, DOMAIN_, SOURCE_HOST_, DESTINATION_HOST_, TARGETS_, PLAN_, "
                + "CREATED_) values (?, ?, ?, ?, ?, ?, ?)", migrationId, domain, sourceHost, destinationHost,
                String.join(",", targets), plan, Timestamp.from(Instant.now()));
    }

    public Optional<Facts> facts(String migrationId) {
        return jdbc.query("select DOMAIN_, SOURCE_HOST_, DESTINATION_HOST_, TARGETS_, SWITCHOVER_, PLAN_ "
                + "from NBD_MIGRATION where ID_ = ?", (rs, i) -> new Facts(migrationId, rs.getString(1),
                rs.getString(2), rs.getString(3),
                rs.getString(4).isEmpty() ? List.of() : List.of(rs.getString(4).split(",")), rs.getBoolean(5),
                rs.getString(6)), migrationId).stream().findFirst();
    }

    /** From here on the guest may already run on the destination: nothing of the migration is undone. */
    public void markSwitchoverStarted(String migrationId) {
        jdbc.update("update NBD_MIGRATION set SWITCHOVER_ = true where ID_ = ?", migrationId);
    }

    public void addFile(String migrationId, String host, String path) {
        add(migrationId, Kind.CREATED_FILE, host, path, 0);
    }

    public void removeFile(String migrationId, String host, String path) {
        jdbc.update("delete from NBD_MIGRATION_RESOURCE where MIGRATION_ID_ = ? and KIND_ = ? and HOST_ = ? "
                + "and PATH_ = ?", migrationId, Kind.CREATED_FILE.name(), host, path);
    }

    /** Records the destination QEMU (its domain's folder and pid), replacing an earlier one of the same host. */
    public void setQemu(String migrationId, String host, String domain, long pid) {
        jdbc.update("delete from NBD_MIGRATION_RESOURCE where MIGRATION_ID_ = ? and KIND_ = ? and HOST_ = ?",
                migrationId, Kind.DESTINATION_QEMU.name(), host);
        add(migrationId, Kind.DESTINATION_QEMU, host, domain, pid);
    }

    private void add(String migrationId, Kind kind, String host, String path, long pid) {
        jdbc.update("delete from NBD_MIGRATION_RESOURCE where MIGRATION_ID_ = ? and KIND_ = ? and HOST_ = ? "
                + "and PATH_ = ?", migrationId, kind.name(), host, path);
        jdbc.update("insert into NBD_MIGRATION_RESOURCE (MIGRATION_ID_, KIND_, HOST_, PATH_, PID_, CREATED_) "
                + "values (?, ?, ?, ?, ?, ?)", migrationId, kind.name(), host, path, pid, Timestamp.from(Instant.now()));
    }

    public List<Resource> resources(String migrationId, Kind kind) {
        return jdbc.query("select HOST_, PATH_, PID_, CREATED_ from NBD_MIGRATION_RESOURCE "
                        + "where MIGRATION_ID_ = ? and KIND_ = ? order by CREATED_",
                (rs, i) -> new Resource(migrationId, kind, rs.getString(1), rs.getString(2), rs.getLong(3),
                        rs.getTimestamp(4).toInstant()), migrationId, kind.name());
    }

    /** Forgets one thing once it has been removed. */
    public void remove(Resource r) {
        jdbc.update("delete from NBD_MIGRATION_RESOURCE where MIGRATION_ID_ = ? and KIND_ = ? and HOST_ = ? "
                + "and PATH_ = ?", r.migrationId(), r.kind().name(), r.host(), r.path());
    }

    /**
     * Forgets the migration's facts but not what it created: its source's part is undone, what is
     * left lies on a host that did not answer. A migration without facts is only ever cleaned up
     * (the reconciler), never resumed or cancelled on a source.
     */
    public void dropFacts(String migrationId) {
        jdbc.update("delete from NBD_MIGRATION where ID_ = ?", migrationId);
    }

    /** Whether anything the migration created is still recorded. */
    public boolean hasResources(String migrationId) {
        Integer n = jdbc.queryForObject("select count(*) from NBD_MIGRATION_RESOURCE where MIGRATION_ID_ = ?",
                Integer.class, migrationId);
        return n != null && n > 0;
    }

    /** Forgets the migration and all it created (once it ended, or everything has been undone). */
    public void forget(String migrationId) {
        jdbc.update("delete from NBD_MIGRATION_RESOURCE where MIGRATION_ID_ = ?", migrationId);
        jdbc.update("delete from NBD_MIGRATION where ID_ = ?", migrationId);
    }

    /** Every migration that has facts or resources recorded. */
    public Set<String> migrations() {
        Set<String> ids = new LinkedHashSet<>(new ArrayList<>(
                jdbc.queryForList("select ID_ from NBD_MIGRATION order by CREATED_", String.class)));
        ids.addAll(jdbc.queryForList("select distinct MIGRATION_ID_ from NBD_MIGRATION_RESOURCE", String.class));
        return ids;
    }
}
