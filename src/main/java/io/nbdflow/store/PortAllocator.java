package io.nbdflow.store;

import io.nbdflow.migration.PortsExhaustedException;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Hands out ports of a range (NBD server, incoming migration) per address and owner,
 * e.g. a process instance. Reservations are rows in the application's database so they
 * survive an engine restart; the primary key settles races between migrations.
 */
public class PortAllocator {

    private final JdbcTemplate jdbc;
    private final int first;
    private final int last;

    public PortAllocator(JdbcTemplate jdbc, int first, int last) {
        if (first < 1 || last > 65535 || first > last) {
            throw new IllegalArgumentException("ports: bad range " + first + "-" + last);
        }
        this.jdbc = jdbc;
        this.first = first;
        this.last = last;
        // Plain SQL that H2 and PostgreSQL both accept.
        jdbc.execute("create table if not exists NBD_PORT ("
                + "ADDRESS_ varchar(64) not null, "
                + "PORT_ integer not null, "
                + "OWNER_ varchar(64) not null, "
                + "primary key (ADDRESS_, PORT_))");
    }

    /**
     * Reserves the first port of the range that no migration holds and that nothing
     * else listens on at {@code address} right now.
     *
     * @throws PortsExhaustedException when there is none
     */
    public int reserve(InetAddress address, String owner) {
        if (owner == null || owner.isBlank() || owner.length() > 64) {
            throw new IllegalArgumentException("port owner must be 1 to 64 characters: '" + owner + "'");
        }
        String host = address.getHostAddress();
        Set<Integer> taken = new HashSet<>(jdbc.queryForList(
                "select PORT_ from NBD_PORT where ADDRESS_ = ?", Integer.class, host));
        boolean probe = isLocal(address);
        int reserved = 0;
        int inUse = 0;
        for (int port = first; port <= last; port++) {
            if (taken.contains(port)) {
                reserved++;
                continue;
            }
            if (probe && !canBind(address, port)) {
                inUse++;
                continue;
            }
            if (insert(host, port, owner)) {
                return port;
            }
            reserved++; // another migration took it since we looked
        }
        throw new PortsExhaustedException("no free port in " + first + "-" + last + " on " + host + ": "
                + reserved + " reserved by migrations, " + inUse + " in use by other programs");
    }

    private boolean insert(String host, int port, String owner) {
        try {
            // "where not exists" keeps the common case free of key violations, which on
            // PostgreSQL would spoil an enclosing transaction; the key still settles true races.
            return jdbc.update("insert into NBD_PORT (ADDRESS_, PORT_, OWNER_) select ?, ?, ? "
                    + "where not exists (select 1 from NBD_PORT where ADDRESS_ = ? and PORT_ = ?)",
                    host, port, owner, host, port) == 1;
        } catch (DuplicateKeyException lostRace) {
            return false;
        }
    }

    /** Frees every port the owner holds. */
    public void release(String owner) {
        jdbc.update("delete from NBD_PORT where OWNER_ = ?", owner);
    }

    /** Frees one port of the owner (on whatever address it was reserved). */
    public void release(String owner, int port) {
        jdbc.update("delete from NBD_PORT where OWNER_ = ? and PORT_ = ?", owner, port);
    }

    /** The owner's ports, ascending. */
    public List<Integer> heldBy(String owner) {
        return jdbc.queryForList("select PORT_ from NBD_PORT where OWNER_ = ? order by PORT_",
                Integer.class, owner);
    }

    /** Every reservation: owner to ports, owners and ports ascending. */
    public Map<String, List<Integer>> all() {
        Map<String, List<Integer>> all = new LinkedHashMap<>();
        jdbc.query("select OWNER_, PORT_ from NBD_PORT order by OWNER_, PORT_", row -> {
            all.computeIfAbsent(row.getString(1), o -> new ArrayList<>()).add(row.getInt(2));
        });
        all.replaceAll((owner, ports) -> List.copyOf(ports));
        return all;
    }

    /** Something else listens there if we cannot bind it ourselves (without SO_REUSEADDR). */
    private static boolean canBind(InetAddress address, int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress(address, port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Only an address of this machine can be probed; for another host's address every
     * bind would fail, so there the table alone decides.
     */
    private static boolean isLocal(InetAddress address) {
        if (address.isLoopbackAddress() || address.isAnyLocalAddress()) {
            return true;
        }
        try {
            return NetworkInterface.getByInetAddress(address) != null;
        } catch (SocketException e) {
            return false;
        }
    }
}
