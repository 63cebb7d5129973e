package io.nbdflow.bench;

/** {@link OneDiskMigrationRounds} between this machine's hosts, for comparison with {@link SshMigrationBenchmark}. */
class LocalMigrationBenchmark extends OneDiskMigrationRounds {
}
