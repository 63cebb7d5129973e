package io.nbdflow.web;

import java.io.IOException;
import java.time.Duration;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.ObjectMapper;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * In front of every login (HTTP Basic on the APIs, the web apps' login form): a client that got
 * too many logins wrong gets 429 with Retry-After, without its password being checked
 * ({@link LoginThrottle}). A request that carried credentials and was answered 401 counts as a
 * wrong login; requests without credentials count for nothing.
 */
class LoginThrottleFilter implements Filter {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The web apps' login: POST /camunda/api/admin/auth/user/{engine}/login/{app}. */
    private static final Pattern WEBAPP_LOGIN = Pattern.compile(".*/api/admin/auth/user/[^/]+/login/[^/]+/?");

    private final LoginThrottle throttle;

    LoginThrottleFilter(LoginThrottle throttle) {
        this.throttle = throttle;
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest request = (HttpServletRequest) req;
        HttpServletResponse response = (HttpServletResponse) res;
        boolean login = request.getHeader("Authorization") != null
                || ("POST".equals(request.getMethod()) && WEBAPP_LOGIN.matcher(request.getRequestURI()).matches());
        if (!login) {
            chain.doFilter(req, res);
            return;
        }
        String client = request.getRemoteAddr();
        Duration wait = throttle.retryAfter(client);
        if (!wait.isZero()) {
            long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
            response.setStatus(429);
            response.setHeader("Retry-After", Long.toString(seconds));
            response.setContentType("application/json");
            response.setCharacterEncoding("UTF-8");
            JSON.writeValue(response.getOutputStream(), new ApiError("too-many-logins",
                    "too many wrong logins from this address: try again in " + seconds + " s"));
            return;
        }
        chain.doFilter(req, res);
        if (response.getStatus() == HttpServletResponse.SC_UNAUTHORIZED) {
            throttle.failed(client);
        }
    }
}
