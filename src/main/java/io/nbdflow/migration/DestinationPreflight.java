package io.nbdflow.migration;

import io.nbdflow.host.HostConnection;
import io.nbdflow.host.ImageInfo;
import io.nbdflow.host.StorageException;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.ToLongFunction;

/**
 * What the destination host must have before a migration creates anything there: the QEMU and
 * qemu-img programs, a storage-dir it can write, and room in it for every disk to copy. Each check
 * only looks (the writability probe creates and removes one empty file of a unique name); each
 * refusal names the host, the path and the numbers.
 * <p>
 * Room needed per copied disk: a raw copy is as large as the disk's virtual size (NBD writes all
 * of it, zeroes included); a qcow2 copy of the whole chain needs what {@code qemu-img measure}
 * says a flattened qcow2 copy requires; an incremental copy (top layer only) what the source's top
 * layer allocates. The sum is raised by a margin of {@value #MARGIN_PERCENT}% plus
 * {@value #MARGIN_MIB} MiB: the guest keeps writing while the copy runs, and qcow2 metadata grows
 * with it.
 */
public final class DestinationPreflight {
    public static final int MARGIN_PERCENT = 5;
    public static final long MARGIN_MIB = 64;
    private static final long MIB = 1L << 20;
    private static final String FIELD = MigrationRequest.DESTINATION_HOST;

    private DestinationPreflight() {
    }

    /** Refused unless the host finds every one of those programs. */
    public static void requireBinaries(HostConnection destination, List<String> programs) {
        for (String program : programs) {
            if (destination.findExecutable(program).isEmpty()) {
                throw new MigrationRefusedException(FIELD, FIELD + ": host '" + destination.host().name()
                        + "' has no program '" + program + "' (not found on its PATH or as that path)");
            }
        }
    }

    /**
     * The bytes the copies need on the destination, margin not included.
     *
     * @param images       qemu-img info of each disk on the source, by target
     * @param measureQcow2 {@code qemu-img measure}'s "required" for a full qcow2 copy of that disk
     */
    public static long bytesNeeded(DiskPlan plan, Map<String, ImageInfo> images,
                                   ToLongFunction<PlannedDisk> measureQcow2) {
        long total = 0;
        for (PlannedDisk d : plan.toCopy()) {
            if (!d.format().equals("qcow2")) {
                total += d.size();
            } else if (d.backingFile() != null) {
                total += images.get(d.target()).actualSize();
            } else {
                total += measureQcow2.applyAsLong(d);
            }
        }
        return total;
    }

    /** Those bytes with the margin added. */
    public static long withMargin(long bytes) {
        return bytes + bytes * MARGIN_PERCENT / 100 + MARGIN_MIB * MIB;
    }

    /**
     * Refused unless the host's storage-dir can be written (a probe file is created and removed)
     * and has room for {@link #withMargin} of those bytes.
     */
    public static void requireStorage(HostConnection destination, Path storageDir, long bytesNeeded) {
        String host = destination.host().name();
        Path probe = storageDir.resolve(".nbdflow-preflight-" + UUID.randomUUID());
        try {
            destination.createNewFile(probe);
        } catch (FileAlreadyExistsException e) {
            throw new MigrationRefusedException(FIELD, FIELD + ": the storage-dir " + storageDir + " of host '"
                    + host + "' already holds " + probe.getFileName());
        } catch (StorageException e) {
            throw new MigrationRefusedException(FIELD, FIELD + ": the storage-dir " + storageDir + " of host '"
                    + host + "' is not writable: " + e.getMessage());
        } finally {
            try {
                destination.deleteIfExists(probe);
            } catch (StorageException ignored) {
                // it was never created; a file that cannot be removed shows in the next check's refusal
            }
        }
        long needed = withMargin(bytesNeeded);
        long free = destination.usableSpace(storageDir);
        if (free < needed) {
            throw new MigrationRefusedException(FIELD, FIELD + ": not enough free space in the storage-dir "
                    + storageDir + " of host '" + host + "': " + mib(needed) + " MiB needed (" + mib(bytesNeeded)
                    + " MiB of disks to copy + " + MARGIN_PERCENT + "% + " + MARGIN_MIB + " MiB), " + mib(free)
                    + " MiB free");
        }
    }

    private static String mib(long bytes) {
        return Long.toString((bytes + MIB - 1) / MIB);
    }
}
