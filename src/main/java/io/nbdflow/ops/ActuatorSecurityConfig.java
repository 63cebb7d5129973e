package io.nbdflow.ops;

import io.nbdflow.web.ApiAuthenticationFilter;

import org.camunda.bpm.engine.IdentityService;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

/**
 * Logins for the actuator endpoints, as for /api (see io.nbdflow.web.SecurityConfig):
 * /actuator/metrics needs HTTP Basic of an engine user; /actuator/health stays open and shows
 * its components to a logged-in user only (see {@link HealthLoginFilter}). No other actuator
 * endpoint is exposed (management.endpoints.web.exposure.include in application.yaml).
 */
@Configuration
public class ActuatorSecurityConfig {

    @Bean
    public FilterRegistrationBean<ApiAuthenticationFilter> metricsAuthentication(IdentityService identityService) {
        FilterRegistrationBean<ApiAuthenticationFilter> registration =
                new FilterRegistrationBean<>(new ApiAuthenticationFilter(identityService));
        registration.setName("metrics-authentication");
        // "/x/*" also matches "/x" itself
        registration.addUrlPatterns("/actuator/metrics/*");
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 20);
        return registration;
    }

    @Bean
    public FilterRegistrationBean<HealthLoginFilter> healthLogin(IdentityService identityService) {
        FilterRegistrationBean<HealthLoginFilter> registration =
                new FilterRegistrationBean<>(new HealthLoginFilter(identityService));
        registration.setName("health-login");
        registration.addUrlPatterns("/actuator/health/*");
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 20);
        return registration;
    }
}
