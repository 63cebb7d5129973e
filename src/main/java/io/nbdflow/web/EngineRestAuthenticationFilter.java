package io.nbdflow.web;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.rest.security.auth.ProcessEngineAuthenticationFilter;

/**
 * Camunda's authentication filter for the engine REST API, with two changes: every path
 * needs a login (Camunda leaves the engine list /engine open; our contract does not), and
 * the "default" engine is this application's engine even when it runs under another name
 * (tests give each engine a unique name).
 */
public class EngineRestAuthenticationFilter extends ProcessEngineAuthenticationFilter {

    private final ProcessEngine applicationEngine;

    public EngineRestAuthenticationFilter(ProcessEngine applicationEngine) {
        this.applicationEngine = applicationEngine;
    }

    @Override
    protected boolean requiresEngineAuthentication(String requestUrl) {
        return true;
    }

    @Override
    protected ProcessEngine getAddressedEngine(String engineName) {
        ProcessEngine engine = super.getAddressedEngine(engineName);
        if (engine == null && DEFAULT_ENGINE_NAME.equals(engineName)) {
            return applicationEngine;
        }
        return engine;
    }
}
