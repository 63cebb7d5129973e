package io.nbdflow.web;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;

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
 * (IdentityService.setAuthentication), so the process can record e.g. who aborted a migration.
 */
public class ApiAuthenticationFilter implements Filter {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final IdentityService identityService;

    public ApiAuthenticationFilter(IdentityService identityService) {
        this.identityService = identityService;
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
        response.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
        response.setHeader("WWW-Authenticate", "Basic realm=\"nbdflow\"");
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        JSON.writeValue(response.getOutputStream(), new ApiError("unauthorized", detail));
    }
}
