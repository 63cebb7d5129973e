package io.nbdflow.process;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;

/**
 * The text of the variable {@link Vars#MIRROR_COPY_MODE_USED}: the copy mode each disk's mirror
 * runs in and why, one entry per disk, e.g.
 * {@code vda: write-blocking (requested); vdb: background (auto: no bandwidth limit)}. Only shown to
 * people (Cockpit, the API's variables); no step decides anything from it, so a value changed by
 * hand is read as far as it makes sense and otherwise starts afresh.
 */
public final class CopyModesUsed {
    private static final String ENTRY_SEPARATOR = "; ";
    private static final String NAME_SEPARATOR = ": ";

    private final Map<String, String> byTarget;

    private CopyModesUsed(Map<String, String> byTarget) {
        this.byTarget = byTarget;
    }

    /** The variable's value as stored (null: no disk recorded yet). */
    public static CopyModesUsed parse(Object value) {
        Map<String, String> entries = new LinkedHashMap<>();
        if (value instanceof String text) {
            for (String entry : text.split(ENTRY_SEPARATOR)) {
                int colon = entry.indexOf(NAME_SEPARATOR);
                if (colon > 0) {
                    entries.put(entry.substring(0, colon), entry.substring(colon + NAME_SEPARATOR.length()));
                }
            }
        }
        return new CopyModesUsed(entries);
    }

    /** The same with that disk's entry set (replaced, or added at the end). */
    public CopyModesUsed with(String target, String described) {
        Map<String, String> entries = new LinkedHashMap<>(byTarget);
        entries.put(target, described);
        return new CopyModesUsed(entries);
    }

    /** That disk's entry, null if none. */
    public String of(String target) {
        return byTarget.get(target);
    }

    @Override
    public String toString() {
        StringJoiner text = new StringJoiner(ENTRY_SEPARATOR);
        byTarget.forEach((target, described) -> text.add(target + NAME_SEPARATOR + described));
        return text.toString();
    }
}
