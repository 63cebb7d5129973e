package io.nbdflow.process;

import io.nbdflow.host.Hosts;
import io.nbdflow.store.MigrationRecords;
import io.nbdflow.store.PortAllocator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;

@Configuration
public class ProcessConfig {

    /** Port reservations live in the engine's database, so they outlive an engine restart. */
    @Bean
    public PortAllocator portAllocator(JdbcTemplate jdbc, Hosts hosts) {
        return new PortAllocator(jdbc, hosts.ports().first(), hosts.ports().last());
    }

    /** What each migration created, in the engine's database: the undo's only source of truth. */
    @Bean
    public MigrationRecords migrationRecords(JdbcTemplate jdbc) {
        return new MigrationRecords(jdbc);
    }
}
