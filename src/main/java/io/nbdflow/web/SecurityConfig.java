package io.nbdflow.web;

import java.time.Clock;

import org.camunda.bpm.engine.IdentityService;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.rest.security.auth.impl.HttpBasicAuthenticationProvider;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

/**
 * Logins without Spring Security: the engine REST API gets Camunda's own authentication filter
 * with HTTP Basic (as Camunda Run does; see {@link EngineRestAuthenticationFilter}), /api and
 * /actuator/metrics get {@link ApiAuthenticationFilter}; all check the engine's users. The web
 * apps have their own login. /actuator/health stays open and shows its components to a logged-in
 * user only ({@link HealthLoginFilter}); no other actuator endpoint is exposed
 * (management.endpoints.web.exposure.include in application.yaml). What a logged-in user may do
 * follows the roles ({@link io.nbdflow.security.Roles}), and every login is throttled per client
 * ({@link LoginThrottle}).
 */
@Configuration
public class SecurityConfig {

    @Bean
    public LoginThrottle loginThrottle() {
        return new LoginThrottle(Clock.systemUTC());
    }

    /**
     * Before every login filter: a client with too many wrong logins is held off (429) before its
     * password is checked. The web apps' login form is included; their other requests use the session.
     */
    @Bean
    public FilterRegistrationBean<LoginThrottleFilter> loginThrottling(LoginThrottle throttle) {
        FilterRegistrationBean<LoginThrottleFilter> registration = new FilterRegistrationBean<>(
                new LoginThrottleFilter(throttle));
        registration.setName("login-throttling");
        registration.addUrlPatterns("/api/*", "/engine-rest/*", "/actuator/*", "/camunda/api/admin/auth/user/*");
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 10);
        return registration;
    }

    @Bean
    public FilterRegistrationBean<EngineRestAuthenticationFilter> engineRestAuthentication(ProcessEngine engine) {
        FilterRegistrationBean<EngineRestAuthenticationFilter> registration =
                login("engine-rest-authentication", new EngineRestAuthenticationFilter(engine), "/engine-rest/*");
        registration.addInitParameter("authentication-provider", HttpBasicAuthenticationProvider.class.getName());
        return registration;
    }

    @Bean
    public FilterRegistrationBean<ApiAuthenticationFilter> apiAuthentication(IdentityService identityService) {
        return login("api-authentication", new ApiAuthenticationFilter(identityService), "/api/*");
    }

    @Bean
    public FilterRegistrationBean<ApiAuthenticationFilter> metricsAuthentication(IdentityService identityService) {
        // "/x/*" also matches "/x" itself
        return login("metrics-authentication", new ApiAuthenticationFilter(identityService), "/actuator/metrics/*");
    }

    @Bean
    public FilterRegistrationBean<HealthLoginFilter> healthLogin(IdentityService identityService) {
        return login("health-login", new HealthLoginFilter(identityService), "/actuator/health/*");
    }

    private static <F extends jakarta.servlet.Filter> FilterRegistrationBean<F> login(String name, F filter,
                                                                                   String urlPattern) {
        FilterRegistrationBean<F> registration = new FilterRegistrationBean<>(filter);
        registration.setName(name);
        registration.addUrlPatterns(urlPattern);
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 20);
        return registration;
    }
}
