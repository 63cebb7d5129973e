package io.nbdflow.qmp;

/** QEMU answered a command with {@code {"error":{"class":...,"desc":...}}}. */
public class QmpCommandException extends QmpException {

    private final String command;
    private final String errorClass;
    private final String desc;

    public QmpCommandException(String command, String errorClass, String desc) {
        super(command + ": " + errorClass + ": " + desc);
        this.command = command;
        this.errorClass = errorClass;
        this.desc = desc;
    }

    /** QEMU's error class, e.g. {@code GenericError}, {@code CommandNotFound}, {@code DeviceNotFound}. */
    public String errorClass() {
        return errorClass;
    }

    /** QEMU's human-readable description. */
    public String desc() {
        return desc;
    }

    /** The command that failed. */
    public String command() {
        return command;
    }
}
