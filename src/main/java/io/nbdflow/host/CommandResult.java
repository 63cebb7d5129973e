package io.nbdflow.host;

/** How a program run on a host ended: its exit status and what it wrote. */
public record CommandResult(int exitCode, String stdout, String stderr) {
    public boolean ok() {
        return exitCode == 0;
    }
}
