package io.nbdflow.host;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds a program the way a shell would before running it, without running a shell: a name with
 * a '/' is taken as a path, any other name is looked up in each PATH entry in order (an empty
 * entry means the working directory). Only regular, executable files count. Looks at this
 * machine's files: the application asks a host through {@link HostConnection#findExecutable}.
 */
public final class ExecutableLookup {

    private ExecutableLookup() {
    }

    /** Where command resolves to with this process's PATH. */
    public static Optional<Path> find(String command) {
        return find(command, System.getenv("PATH"));
    }

    /** Where command resolves to with the given PATH (null or empty: nothing is on it). */
    public static Optional<Path> find(String command, String path) {
        if (command == null || command.isEmpty()) {
            return Optional.empty();
        }
        try {
            if (command.contains("/")) {
                return executable(Path.of(command));
            }
            if (path == null || path.isEmpty()) {
                return Optional.empty();
            }
            // split with limit -1 keeps empty entries (leading, trailing or "::"), which mean "."
            for (String dir : path.split(File.pathSeparator, -1)) {
                Optional<Path> found = executable(Path.of(dir.isEmpty() ? "." : dir).resolve(command));
                if (found.isPresent()) {
                    return found;
                }
            }
        } catch (InvalidPathException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    private static Optional<Path> executable(Path candidate) {
        return Files.isRegularFile(candidate) && Files.isExecutable(candidate)
                ? Optional.of(candidate.toAbsolutePath().normalize())
                : Optional.empty();
    }
}
