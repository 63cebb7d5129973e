package io.nbdflow.host.ssh;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Turns arguments into words for the remote shell. sshd hands every command to the login user's
 * shell as one line, so each argument is single-quoted: inside single quotes nothing is special
 * but the quote itself, which is written as {@code '\''}.
 */
final class ShellQuoting {

    private ShellQuoting() {
    }

    /** One argument as one shell word, whatever characters it holds. */
    static String quote(String argument) {
        if (argument.indexOf('\0') >= 0) {
            // no shell word, and no argument of a program, can hold a NUL
            throw new IllegalArgumentException("an argument cannot hold a NUL character");
        }
        return "'" + argument.replace("'", "'\\''") + "'";
    }

    /** The arguments as a command line of quoted words. */
    static String join(List<String> arguments) {
        return arguments.stream().map(ShellQuoting::quote).collect(Collectors.joining(" "));
    }
}
