package io.nbdflow.store;

import io.nbdflow.migration.PortsExhaustedException;


import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Uses the top of the configured range (49200-49215) on 127.0.0.1 / 127.0.0.2, away from
 * the ports other tests' migrations take first.
 */
class PortAllocatorTest {

    private static final int FIRST = 49200;
    private static final int LAST = 49215;

    private JdbcDataSource dataSource;
    private InetAddress one;
    private InetAddress two;

    @BeforeEach
    void setUp() throws Exception {
        dataSource = new JdbcDataSource();
        dataSource.setURL("jdbc:h2:mem:ports-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
        one = InetAddress.getByName("127.0.0.1");
        two = InetAddress.getByName("127.0.0.2");
    }

    private PortAllocator allocator(int first, int last) {
        return new PortAllocator(new JdbcTemplate(dataSource), first, last);
    }

    @Test
    void concurrentReservationsGetDistinctPorts() throws Exception {
        PortAllocator ports = allocator(FIRST, LAST);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String owner = "migration-" + i;
                results.add(pool.submit(() -> {
                    start.await();
                    return ports.reserve(one, owner);
                }));
            }
            start.countDown();
            List<Integer> got = new ArrayList<>();
            for (Future<Integer> f : results) {
                got.add(f.get(30, TimeUnit.SECONDS));
            }

            assertThat(new HashSet<>(got)).hasSize(8);
            assertThat(got).allSatisfy(p -> assertThat(p).isBetween(FIRST, LAST));
            Map<String, List<Integer>> all = ports.all();
            assertThat(all).hasSize(8);
            for (int i = 0; i < 8; i++) {
                assertThat(all.get("migration-" + i)).containsExactly(got.get(i));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void portSomethingElseListensOnIsSkipped() throws Exception {
        try (ServerSocket other = new ServerSocket()) {
            other.bind(new InetSocketAddress(two, FIRST));
            PortAllocator ports = allocator(FIRST, FIRST + 3);

            int port = ports.reserve(two, "m1");

            assertThat(port).isNotEqualTo(FIRST).isBetween(FIRST + 1, FIRST + 3);
            assertThat(ports.heldBy("m1")).containsExactly(port);
        }
    }

    @Test
    void reservationsArePerAddress() {
        PortAllocator ports = allocator(FIRST, LAST);

        int onOne = ports.reserve(one, "m1");
        int onTwo = ports.reserve(two, "m2");

        // The same number may be handed out on both addresses; never twice on one.
        int again = ports.reserve(one, "m3");
        assertThat(again).isNotEqualTo(onOne);
        assertThat(ports.heldBy("m2")).containsExactly(onTwo);
    }

    @Test
    void releaseFreesPorts() {
        PortAllocator ports = allocator(FIRST, LAST);
        int a1 = ports.reserve(two, "a");
        int a2 = ports.reserve(two, "a");
        int b = ports.reserve(two, "b");
        assertThat(ports.heldBy("a")).containsExactly(a1, a2);

        ports.release("a", a1);
        assertThat(ports.heldBy("a")).containsExactly(a2);

        ports.release("a");
        assertThat(ports.heldBy("a")).isEmpty();
        assertThat(ports.all()).containsOnlyKeys("b").containsEntry("b", List.of(b));

        // The lowest freed port is handed out again.
        assertThat(ports.reserve(two, "c")).isEqualTo(Math.min(a1, a2));
    }

    @Test
    void exhaustionSaysWhy() throws Exception {
        int first = LAST - 3;
        try (ServerSocket other = new ServerSocket()) {
            other.bind(new InetSocketAddress(two, LAST));
            PortAllocator ports = allocator(first, LAST);
            int reserved = 0;
            try {
                while (reserved <= 4) {
                    ports.reserve(two, "m" + reserved);
                    reserved++;
                }
            } catch (PortsExhaustedException e) {
                Matcher m = Pattern.compile("no free port in " + first + "-" + LAST
                        + " on 127\\.0\\.0\\.2: (\\d+) reserved by migrations, (\\d+) in use by other programs")
                        .matcher(e.getMessage());
                assertThat(m.matches()).as(e.getMessage()).isTrue();
                assertThat(Integer.parseInt(m.group(1))).isEqualTo(reserved);
                assertThat(Integer.parseInt(m.group(2))).isEqualTo(4 - reserved).isGreaterThanOrEqualTo(1);
            }
            // 4 ports, ours holds one: at most 3 can be reserved, and then it must refuse.
            assertThat(reserved).isBetween(1, 3);
            final int held = reserved;
            assertThatThrownBy(() -> ports.reserve(two, "late"))
                    .isInstanceOf(PortsExhaustedException.class)
                    .hasMessageContaining(held + " reserved by migrations");
        }
    }

    @Test
    void exhaustionMessageWhenOnlyMigrationsHoldTheRange() {
        // 192.0.2.1 (TEST-NET-1) is not on this machine: no bind probe, the table alone decides.
        PortAllocator ports = allocator(FIRST, FIRST + 2);
        InetAddress remote = inetAddress("192.0.2.1");
        assertThat(List.of(ports.reserve(remote, "a"), ports.reserve(remote, "b"), ports.reserve(remote, "c")))
                .containsExactly(FIRST, FIRST + 1, FIRST + 2);

        assertThatThrownBy(() -> ports.reserve(remote, "d"))
                .isInstanceOf(PortsExhaustedException.class)
                .hasMessage("no free port in 49200-49202 on 192.0.2.1: 3 reserved by migrations,"
                        + " 0 in use by other programs");
    }

    @Test
    void secondAllocatorOnTheSameDatabaseSeesTheReservations() {
        PortAllocator before = allocator(FIRST, LAST);
        int p1 = before.reserve(two, "m1");
        int p2 = before.reserve(two, "m1");

        // As after an engine restart: a new allocator over the same database.
        PortAllocator after = allocator(FIRST, LAST);

        assertThat(after.heldBy("m1")).containsExactly(p1, p2);
        assertThat(after.all()).isEqualTo(Map.of("m1", List.of(p1, p2)));
        assertThat(after.reserve(two, "m2")).isNotIn(p1, p2);
    }

    @Test
    void databaseRefusesADuplicateAsTheAllocatorExpects() {
        PortAllocator ports = allocator(FIRST, LAST);
        int port = ports.reserve(one, "m1");
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);

        // The race a concurrent migration loses ends in this exception, which reserve() treats as "taken".
        assertThatThrownBy(() -> jdbc.update("insert into NBD_PORT (ADDRESS_, PORT_, OWNER_) values (?, ?, ?)",
                "127.0.0.1", port, "m2")).isInstanceOf(DuplicateKeyException.class);
    }

    @Test
    void badArgumentsAreRefused() {
        assertThatThrownBy(() -> allocator(49215, 49152)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> allocator(0, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> allocator(FIRST, 70000)).isInstanceOf(IllegalArgumentException.class);
        PortAllocator ports = allocator(FIRST, LAST);
        assertThatThrownBy(() -> ports.reserve(one, " ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ports.reserve(one, "x".repeat(65))).isInstanceOf(IllegalArgumentException.class);
    }

    private static InetAddress inetAddress(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
