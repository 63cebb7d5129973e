package io.nbdflow;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

@SpringBootApplication
@ConfigurationPropertiesScan
public class NbdflowApplication {
    public static void main(String[] args) {
        SpringApplication.run(NbdflowApplication.class, args);
    }
}
