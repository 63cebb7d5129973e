package io.nbdflow.web;

import java.io.IOException;
import java.security.Principal;


import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;

import org.camunda.bpm.engine.IdentityService;
import org.camunda.bpm.engine.impl.identity.Authentication;

/**
 * /actuator/health: open to probes, with an optional login. Without credentials the request goes
 * on anonymously (Spring Boot then shows the overall status only). With credentials they are
 * checked like /api's (a wrong password gets 401), and the request then carries the user as its
 * principal, so that management.endpoint.health.show-details=when-authorized shows the components
 * and their details: there is no Spring Security to do that here.
 */
class HealthLoginFilter implements Filter {

    private final ApiAuthenticationFilter login;
    private final IdentityService identityService;

    HealthLoginFilter(IdentityService identityService) {
        this.login = new ApiAuthenticationFilter(identityService);
        this.identityService = identityService;
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
            throws IOException, ServletException {
        if (((HttpServletRequest) req).getHeader("Authorization") == null) {
            chain.doFilter(req, res);
            return;
        }
        // the /api filter checks the password and sets the engine's current authentication
        login.doFilter(req, res, (request, response) -> chain.doFilter(
                new AuthenticatedRequest((HttpServletRequest) request, identityService.getCurrentAuthentication()),
                response));
    }

    /** The request as the servlet container would present a logged-in user; roles are the user's groups. */
    private static final class AuthenticatedRequest extends HttpServletRequestWrapper {
        private final Authentication user;

        AuthenticatedRequest(HttpServletRequest request, Authentication user) {
            super(request);
            this.user = user;
        }

        @Override
        public Principal getUserPrincipal() {
            return user::getUserId;
        }

        @Override
        public String getRemoteUser() {
            return user.getUserId();
        }

        @Override
        public boolean isUserInRole(String role) {
            return user.getGroupIds() != null && user.getGroupIds().contains(role);
        }
    }
}
