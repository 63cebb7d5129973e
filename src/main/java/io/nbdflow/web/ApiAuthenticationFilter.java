package io.nbdflow.web;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.nbdflow.security.Roles;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.camunda.bpm.engine.IdentityService;
import org.camunda.bpm.engine.identity.Group;
import org.camunda.bpm.engine.identity.Tenant;

/**
 * HTTP Basic for /api/*, checked against the engine's users (the same logins as the engine
 * REST API and the web apps). While the request runs, the engine knows who acts
 * (IdentityService.setAuthentication), so the process can record e.g. who aborted a migration,
 * and the engine checks its authorizations for that user.
 * <p>
 * Then the role: reading needs {@link Roles#VIEWER}; defining, starting and stopping domains,
 * starting and aborting migrations need {@link Roles#OPERATOR}; any other change needs
 * {@link Roles#ADMIN}. A user in none of the groups gets 403 (the engine alone would answer
 * such a user with empty lists).
 */
public class ApiAuthenticationFilter implements Filter {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The changes an operator may make through /api. */
    private static final Pattern OPERATOR_CHANGES = Pattern.compile(
            "PUT /api/domains/[^/]+/?|POST /api/domains/[^/]+/(start|stop|migrate)/?|POST /api/migrations/[^/]+/abort/?");

    private final IdentityService identityService;
    private final Function<HttpServletRequest, Roles> requiredRole;

    /** For /api: the role each method and path needs. */
    public ApiAuthenticationFilter(IdentityService identityService) {
        this(identityService, ApiAuthenticationFilter::apiRole);
    }

    /** For another surface, with the role every request on it needs. */
    ApiAuthenticationFilter(IdentityService identityService, Function<HttpServletRequest, Roles> requiredRole) {
        this.identityService = identityService;
        this.requiredRole = requiredRole;
    }

    /** The role a request on /api needs. */
    static Roles apiRole(HttpServletRequest request) {
        String method = request.getMethod();
        if ("GET".equals(method) || "HEAD".equals(method) || "OPTIONS".equals(method)) {
            return Roles.VIEWER;
        }
        String path = request.getRequestURI().substring(request.getContextPath().length());
        return OPERATOR_CHANGES.matcher(method + " " + path).matches() ? Roles.OPERATOR : Roles.ADMIN;
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest request = (HttpServletRequest) req;
        HttpServletResponse response = (HttpServletResponse) res;
        String[] credentials = basicCredentials(request.getHeader("Authorization"));
        if (credentials == null) {
            unauthorized(response, "HTTP Basic credentials of an engine user are required");
            return;
        }
        String user = credentials[0];
        if (!identityService.checkPassword(user, credentials[1])) {
            unauthorized(response, "wrong user name or password");
            return;
        }
        List<String> groups = identityService.createGroupQuery().groupMember(user).list().stream()
                .map(Group::getId).toList();
        List<String> tenants = identityService.createTenantQuery().userMember(user).includingGroupsOfUser(true)
                .list().stream().map(Tenant::getId).toList();
        Roles needed = requiredRole.apply(request);
        if (!needed.heldBy(groups)) {
            error(response, HttpServletResponse.SC_FORBIDDEN, new ApiError("forbidden", "user " + user
                    + " may not do this: it needs group " + needed.groupId() + " or a higher role"));
            return;
        }
        identityService.setAuthentication(user, groups, tenants);
        try {
            chain.doFilter(req, res);
        } finally {
            identityService.clearAuthentication();
        }
    }

    /** [user, password] from "Basic base64(user:password)", or null. */
    static String[] basicCredentials(String header) {
        if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
            return null;
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
        int colon = decoded.indexOf(':');
        if (colon <= 0) {
            return null;
        }
        return new String[] {decoded.substring(0, colon), decoded.substring(colon + 1)};
    }

    private static void unauthorized(HttpServletResponse response, String detail) throws IOException {
        response.setHeader("WWW-Authenticate", "Basic realm=\"nbdflow\"");
        error(response, HttpServletResponse.SC_UNAUTHORIZED, new ApiError("unauthorized", detail));
    }

    private static void error(HttpServletResponse response, int status, ApiError error) throws IOException {
        response.setStatus(status);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        JSON.writeValue(response.getOutputStream(), error);
    }
}
