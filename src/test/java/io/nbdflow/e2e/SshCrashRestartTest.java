package io.nbdflow.e2e;

/**
 * {@link CrashRestartCases} with host-a and host-b on the test network, reached over SSH: the
 * application is killed while QEMU on another machine mirrors on, and the restarted one reconnects
 * to the hosts and completes the migration.
 */
class SshCrashRestartTest extends CrashRestartCases {

    @Override
    RestartedApplication.Hosting hosting() {
        return RestartedApplication.Hosting.SSH;
    }
}
