package io.nbdflow.host;

import java.time.Duration;

import io.nbdflow.qmp.QmpConnectionPool;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The one QMP connection pool of the application: every component shares each monitor socket. */
@Configuration
public class QmpConfig {

    /** Closed on shutdown; closing only drops the connections, the QEMUs keep running. */
    @Bean(destroyMethod = "close")
    public QmpConnectionPool qmpConnectionPool() {
        return new QmpConnectionPool(Duration.ofSeconds(10));
    }
}
