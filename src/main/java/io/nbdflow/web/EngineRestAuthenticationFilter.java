package io.nbdflow.web;

import java.io.IOException;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.nbdflow.security.Roles;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletResponse;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.impl.identity.Authentication;
import org.camunda.bpm.engine.rest.security.auth.ProcessEngineAuthenticationFilter;

/**
 * Camunda's authentication filter for the engine REST API, with three changes: every path
 * needs a login (Camunda leaves the engine list /engine open; we do not), a user in none of
 * the roles' groups gets 403 (the engine would answer such a user with empty lists; what the
 * others may do, the engine's authorizations decide), and the "default" engine is always this
 * application's engine, even when it runs under another name (tests give each engine a unique
 * name) and another engine in the same JVM is named "default".
 */
public class EngineRestAuthenticationFilter extends ProcessEngineAuthenticationFilter {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ProcessEngine applicationEngine;
    /** Who this request's thread logged in as, between Camunda's login and the rest of the chain. */
    private final ThreadLocal<Authentication> loggedIn = new ThreadLocal<>();

    public EngineRestAuthenticationFilter(ProcessEngine applicationEngine) {
        this.applicationEngine = applicationEngine;
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        // the chain below runs only once the user is logged in (setAuthenticatedUser has run)
        try {
            super.doFilter(request, response, (req, res) -> {
                Authentication user = loggedIn.get();
                if (user == null || !Roles.VIEWER.heldBy(user.getGroupIds())) {
                    HttpServletResponse http = (HttpServletResponse) res;
                    http.setStatus(HttpServletResponse.SC_FORBIDDEN);
                    http.setContentType("application/json");
                    http.setCharacterEncoding("UTF-8");
                    JSON.writeValue(http.getOutputStream(), new ApiError("forbidden", "user "
                            + (user == null ? "?" : user.getUserId()) + " is in none of the groups "
                            + Roles.VIEWER.groupId() + ", " + Roles.OPERATOR.groupId() + ", " + Roles.ADMIN.groupId()));
                    return;
                }
                chain.doFilter(req, res);
            });
        } finally {
            loggedIn.remove();
        }
    }

    @Override
    protected void setAuthenticatedUser(ProcessEngine engine, String userId, List<String> groupIds,
                                        List<String> tenantIds) {
        // HTTP Basic brings no groups: they are looked up here, as Camunda's filter would
        List<String> groups = groupIds != null ? groupIds : getGroupsOfUser(engine, userId);
        List<String> tenants = tenantIds != null ? tenantIds : getTenantsOfUser(engine, userId);
        super.setAuthenticatedUser(engine, userId, groups, tenants);
        loggedIn.set(new Authentication(userId, groups, tenants));
    }

    @Override
    protected boolean requiresEngineAuthentication(String requestUrl) {
        return true;
    }

    @Override
    protected ProcessEngine getAddressedEngine(String engineName) {
        // "default" is this application's engine, whatever other engine of that name the JVM holds
        return DEFAULT_ENGINE_NAME.equals(engineName) ? applicationEngine : super.getAddressedEngine(engineName);
    }
}
