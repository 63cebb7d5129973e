package io.nbdflow.domain;

import io.nbdflow.host.DiskDefinition;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.UUID;

import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;

/** NBD_DOMAIN on an H2 database of its own, without Spring. */
class DomainRepositoryTest {

    private DomainRepository repository;

    @BeforeEach
    void setUp() {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:mem:repo-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
        JdbcTemplate jdbc = new JdbcTemplate(ds);
        new DomainRepository(jdbc); // creating the table twice is harmless
        repository = new DomainRepository(jdbc);
    }

    private static DomainDefinition vm(String name, String host, int memory) {
        return new DomainDefinition(name, host, memory, 1, "uuid-" + name,
                List.of(new DiskDefinition("vda", "/images/" + name + ".qcow2", "qcow2", false)));
    }

    @Test
    void savesFindsAndReplaces() {
        assertThat(repository.find("vm1")).isEmpty();
        repository.save(vm("vm2", "host-a", 64));
        repository.save(vm("vm1", "host-a", 64));
        repository.save(vm("vm1", "host-b", 128));

        assertThat(repository.find("vm1")).contains(vm("vm1", "host-b", 128));
        assertThat(repository.all()).extracting(DomainDefinition::name).containsExactly("vm1", "vm2");
    }

    @Test
    void onlyOneMigrationCanClaimADomain() {
        repository.save(vm("vm1", "host-a", 64));
        assertThat(repository.migrationOf("vm1")).isEmpty();

        assertThat(repository.claimMigration("vm1", "m-1")).isTrue();
        assertThat(repository.claimMigration("vm1", "m-2")).isFalse();
        assertThat(repository.claimMigration("unknown", "m-3")).isFalse();
        assertThat(repository.migrationOf("vm1")).contains("m-1");

        repository.save(vm("vm1", "host-a", 96)); // a save keeps the claim
        assertThat(repository.migrationOf("vm1")).contains("m-1");

        repository.releaseMigration("vm1", "m-2"); // not the holder: no effect
        assertThat(repository.migrationOf("vm1")).contains("m-1");
        repository.releaseMigration("vm1", "m-1");
        assertThat(repository.migrationOf("vm1")).isEmpty();
        assertThat(repository.claimMigration("vm1", "m-2")).isTrue();
    }

    @Test
    void movesADomainToItsNewHostAndDisks() {
        repository.save(vm("vm1", "host-a", 64));
        List<DiskDefinition> copies = List.of(new DiskDefinition("vda", "/b/vm1.qcow2", "qcow2", false));

        repository.moveTo("vm1", "host-b", copies);

        DomainDefinition moved = repository.find("vm1").orElseThrow();
        assertThat(moved.host()).isEqualTo("host-b");
        assertThat(moved.disks()).isEqualTo(copies);
        assertThat(moved.uuid()).isEqualTo("uuid-vm1");
        assertThat(moved.memoryMiB()).isEqualTo(64);
    }
}
