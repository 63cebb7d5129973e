package io.nbdflow.host;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import javax.sql.DataSource;

import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

/**
 * The embedded H2 database holds users, password hashes and every migration: its files are the
 * application's alone. Before the data source is first used, a file database's folder is created
 * 0700 (if it is new) and its {@code NAME.mv.db} is created empty 0600 (H2 fills an empty file and
 * keeps its permissions) or, already there, set to 0600. A database elsewhere (PostgreSQL, H2 in
 * memory or over TCP) is not touched. This is about the application's own machine, not a
 * configured host, and it lives here because only this layer touches files.
 */
@Component
public class PrivateDatabaseFiles implements BeanPostProcessor, EnvironmentAware {

    static final Set<PosixFilePermission> FOLDER = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

    private Environment environment;
    private boolean done;

    @Override
    public void setEnvironment(Environment environment) {
        this.environment = environment;
    }

    @Override
    public Object postProcessBeforeInitialization(Object bean, String beanName) {
        if (bean instanceof DataSource && !done) {
            done = true;
            databaseFile(environment.getProperty("spring.datasource.url")).ifPresent(PrivateDatabaseFiles::prepare);
        }
        return bean;
    }

    /** The .mv.db file of an H2 file database URL; empty for any other database. */
    static Optional<Path> databaseFile(String url) {
        if (url == null || !url.toLowerCase(Locale.ROOT).startsWith("jdbc:h2:")) {
            return Optional.empty();
        }
        String rest = url.substring("jdbc:h2:".length());
        int options = rest.indexOf(';');
        rest = options < 0 ? rest : rest.substring(0, options);
        String lower = rest.toLowerCase(Locale.ROOT);
        if (lower.startsWith("file:")) {
            rest = rest.substring("file:".length());
        } else if (lower.matches("^[a-z]{2,}:.*")) {
            return Optional.empty(); // mem:, tcp:, ssl:, zip:, ...
        }
        if (rest.startsWith("~")) {
            rest = System.getProperty("user.home") + rest.substring(1);
        }
        if (rest.isBlank()) {
            return Optional.empty();
        }
        return Optional.of(Path.of(rest + ".mv.db").toAbsolutePath().normalize());
    }

    static void prepare(Path file) {
        try {
            Path folder = file.getParent();
            if (!Files.isDirectory(folder)) {
                Files.createDirectories(folder, PosixFilePermissions.asFileAttribute(FOLDER));
                Files.setPosixFilePermissions(folder, FOLDER); // whatever the umask did to it
            }
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(FILE));
            } catch (FileAlreadyExistsException e) {
                // created by an older version or by hand: readable by others until now
            }
            Files.setPosixFilePermissions(file, FILE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the database file " + file + ": " + e.getMessage(), e);
        }
    }
}
