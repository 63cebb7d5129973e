package io.nbdflow.host;

import java.util.regex.Pattern;

/**
 * The rule for a domain's name: a letter or digit, then letters, digits, '_', '.' or '-', at most
 * 64 characters. The name becomes a folder on every host and part of the pre-created disks' file
 * names, so nothing in it can leave a directory.
 */
public final class VmNames {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    private VmNames() {
    }

    public static boolean isValid(String name) {
        return name != null && NAME.matcher(name).matches();
    }
}
