package io.nbdflow.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import io.nbdflow.testsupport.SpringQemuTest;
import io.nbdflow.testsupport.TestUsers;

import org.camunda.bpm.engine.IdentityService;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.camunda.bpm.engine.impl.util.ClockUtil;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * Wrong passwords slow a client down but never lock a user out: after a burst of wrong logins the
 * client gets 429 with Retry-After, and the right password works again within a minute.
 */
class LoginThrottleTest extends SpringQemuTest {

    @Autowired
    IdentityService identityService;

    @LocalServerPort
    int port;

    /** A clock the test moves by hand. */
    private static final class ManualClock extends Clock {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    @Test
    void fiveFreeFailuresThenAGrowingCappedDelayForgottenAfterAMinute() {
        ManualClock clock = new ManualClock();
        LoginThrottle throttle = new LoginThrottle(clock);
        for (int i = 0; i < 4; i++) {
            throttle.failed("10.0.0.1");
            assertThat(throttle.retryAfter("10.0.0.1")).isZero();
        }
        throttle.failed("10.0.0.1");
        assertThat(throttle.retryAfter("10.0.0.1")).isEqualTo(Duration.ofSeconds(1));
        assertThat(throttle.retryAfter("10.0.0.2")).as("another client").isZero();
        List<Duration> delays = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            clock.now = clock.now.plus(throttle.retryAfter("10.0.0.1"));
            throttle.failed("10.0.0.1");
            delays.add(throttle.retryAfter("10.0.0.1"));
        }
        assertThat(delays).extracting(Duration::getSeconds).containsExactly(2L, 4L, 8L, 16L, 16L);
        clock.now = clock.now.plus(Duration.ofSeconds(16));
        assertThat(throttle.retryAfter("10.0.0.1")).isZero();
        // a minute after the last failure, everything is forgotten: five free failures again
        clock.now = clock.now.plus(Duration.ofSeconds(60));
        for (int i = 0; i < 4; i++) {
            throttle.failed("10.0.0.1");
        }
        assertThat(throttle.retryAfter("10.0.0.1")).isZero();
    }

    @Test
    void tenWrongPasswordsThenTheRightOneWorksWithinAMinute() throws Exception {
        String user = TestUsers.create(identityService, "nbdflow-viewers");
        // a client address of its own (any 127/8 address is this machine), so that other tests'
        // logins from 127.0.0.1 are not held off by this one
        String client = "127.0.31." + ThreadLocalRandom.current().nextInt(2, 250);
        String wrong = basic(user, "wrong");
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            // the APIs' HTTP Basic and the web apps' login form count alike
            Reply r = switch (i % 3) {
                case 0 -> get(client, "/api/domains", wrong);
                case 1 -> get(client, engineRest() + "/process-definition", wrong);
                default -> webappLogin(client, user, "wrong");
            };
            statuses.add(r.status);
            if (r.status == 429) {
                assertThat(Integer.parseInt(r.header("Retry-After"))).isBetween(1, 60);
            }
        }
        Instant lastWrong = Instant.now();
        assertThat(statuses).as("statuses").containsOnly(401, 429).contains(429).startsWith(401, 401, 401, 401, 401);
        // another client is not held off by this one's failures
        assertThat(get("127.0.31.251", "/api/domains", basic(user, "wrong")).status).isEqualTo(401);

        String right = basic(user, TestUsers.PASSWORD);
        int status;
        List<Integer> after = new ArrayList<>();
        do {
            Reply r = get(client, "/api/domains", right);
            status = r.status;
            after.add(status);
            if (status != 200) {
                assertThat(status).isIn(401, 429);
                long wait = r.header("Retry-After") == null ? 1 : Long.parseLong(r.header("Retry-After"));
                Thread.sleep(Math.min(wait, 5) * 1000);
            }
        } while (status != 200 && Duration.between(lastWrong, Instant.now()).toSeconds() < 60);
        assertThat(status).as("statuses of the right password: " + after).isEqualTo(200);
        assertThat(Duration.between(lastWrong, Instant.now())).isLessThan(Duration.ofSeconds(60));
        assertThat(identityService.checkPassword(user, TestUsers.PASSWORD)).isTrue();
    }

    @Test
    void theEngineNeverLocksAUserForGood() {
        String user = TestUsers.create(identityService, "nbdflow-viewers");
        // wrong passwords spread over an hour, each after the engine's delay from the one before has
        // passed (the engine's own default locks the user for good at the tenth)
        Date start = new Date();
        try {
            for (int i = 1; i <= 30; i++) {
                ClockUtil.setCurrentTime(new Date(start.getTime() + i * 120_000L));
                assertThat(identityService.checkPassword(user, "wrong")).isFalse();
            }
            ClockUtil.setCurrentTime(new Date(start.getTime() + 31 * 120_000L));
            assertThat(identityService.checkPassword(user, TestUsers.PASSWORD)).isTrue();
        } finally {
            ClockUtil.reset();
        }
        ProcessEngineConfigurationImpl config = (ProcessEngineConfigurationImpl) processEngine
                .getProcessEngineConfiguration();
        assertThat(config.getLoginDelayMaxTime()).as("longest delay, s").isLessThanOrEqualTo(30);
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private record Reply(int status, String head) {
        String header(String name) {
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
            return null;
        }
    }

    /** A plain HTTP/1.1 GET sent from the given local address. */
    private Reply get(String localAddress, String path, String authorization) throws IOException {
        return send(localAddress, "GET " + path + " HTTP/1.1\r\nAuthorization: " + authorization + "\r\n", "");
    }

    /** The web apps' login form for Cockpit, with the CSRF cookie of a first page view, as a browser sends it. */
    private Reply webappLogin(String localAddress, String user, String password) throws IOException {
        Reply page = send(localAddress, "GET /camunda/app/cockpit/ HTTP/1.1\r\n", "");
        StringBuilder cookies = new StringBuilder();
        String token = "";
        for (String line : page.head.split("\r\n")) {
            if (line.regionMatches(true, 0, "Set-Cookie:", 0, 11)) {
                String pair = line.substring(11).trim().split(";", 2)[0];
                cookies.append(cookies.isEmpty() ? "" : "; ").append(pair);
                if (pair.startsWith("XSRF-TOKEN=")) {
                    token = pair.substring("XSRF-TOKEN=".length());
                }
            }
        }
        String form = "username=" + user + "&password=" + password;
        return send(localAddress, "POST /camunda/api/admin/auth/user/" + processEngine.getName()
                + "/login/cockpit HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: "
                + form.length() + "\r\nX-XSRF-TOKEN: " + token + "\r\nCookie: " + cookies + "\r\n", form);
    }

    /** One HTTP/1.1 request (request line and headers, then the body) sent from the given local address. */
    private Reply send(String localAddress, String requestHead, String body) throws IOException {
        try (Socket socket = new Socket()) {
            socket.bind(new InetSocketAddress(localAddress, 0));
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write((requestHead + "Host: 127.0.0.1\r\nConnection: close\r\n\r\n" + body)
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            in.transferTo(all);
            String text = all.toString(StandardCharsets.UTF_8);
            String head = text.substring(0, Math.max(0, text.indexOf("\r\n\r\n")));
            return new Reply(Integer.parseInt(head.split(" ", 3)[1]), head);
        }
    }
}
