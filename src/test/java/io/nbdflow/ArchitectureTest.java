package io.nbdflow;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaMethodCall;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

import io.nbdflow.qmp.QmpClient;
import io.nbdflow.qmp.QmpConnectionPool;
import io.nbdflow.qmp.QmpTransport;

/**
 * The direction of dependencies between the application's packages, checked on the main classes.
 * Lower layers know nothing of the ones above them: qmp and config nothing of ours, host only qmp
 * and config, migration no engine, web or database, process nothing of the API or the demo, which
 * reach migrations through the application service. Only the host layer touches a host's files,
 * processes and sockets, so a host on another machine needs only another host connection.
 */
@AnalyzeClasses(packages = "io.nbdflow", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    private static final String OURS = "io.nbdflow..";

    @ArchTest
    static final ArchRule qmpDependsOnNothingOfOurs = noClasses()
            .that().resideInAPackage("io.nbdflow.qmp..")
            .should().dependOnClassesThat(resideInAPackage(OURS).and(not(resideInAPackage("io.nbdflow.qmp.."))))
            .because("the QMP client is a library of its own: it speaks the protocol over any byte stream");

    @ArchTest
    static final ArchRule configDependsOnNothingOfOurs = noClasses()
            .that().resideInAPackage("io.nbdflow.config..")
            .should().dependOnClassesThat(resideInAPackage(OURS).and(not(resideInAPackage("io.nbdflow.config.."))))
            .because("the settings are read by every layer, so they cannot know any of them");

    @ArchTest
    static final ArchRule hostDependsOnlyOnQmpAndConfig = noClasses()
            .that().resideInAPackage("io.nbdflow.host..")
            .should().dependOnClassesThat(resideInAPackage(OURS).and(not(resideInAnyPackage(
                    "io.nbdflow.host..", "io.nbdflow.qmp..", "io.nbdflow.config.."))))
            .because("the host layer (QEMU processes, images, connections) serves domains and migrations "
                    + "without knowing either");

    @ArchTest
    static final ArchRule sshIsKnownOnlyToItsPackageAndHosts = noClasses()
            .that().resideOutsideOfPackage("io.nbdflow.host.ssh..")
            .and().doNotHaveFullyQualifiedName("io.nbdflow.host.Hosts")
            .should().dependOnClassesThat().resideInAPackage("io.nbdflow.host.ssh..")
            .orShould().dependOnClassesThat().resideInAPackage("com.jcraft..")
            .because("a host on another machine is one more HostConnection: Hosts picks it, everything else "
                    + "sees only the interface, and SSH and JSch stay inside io.nbdflow.host.ssh");

    @ArchTest
    static final ArchRule migrationIsFreeOfEngineWebAndDatabase = noClasses()
            .that().resideInAPackage("io.nbdflow.migration..")
            .should().dependOnClassesThat().resideInAnyPackage(
                    "org.camunda..", "org.springframework.web..", "org.springframework.jdbc..", "java.sql..",
                    "io.nbdflow.process..", "io.nbdflow.web..", "io.nbdflow.domain..", "io.nbdflow.store..",
                    "io.nbdflow.demo..", "io.nbdflow.ops..", "io.nbdflow.application..")
            .because("the migration logic is plain Java over QMP and hosts: the BPMN process, the REST API and "
                    + "the database are layers above it");

    @ArchTest
    static final ArchRule onlyTheHostLayerTouchesFilesProcessesAndSockets = noClasses()
            .that().resideOutsideOfPackages("io.nbdflow.host..", "io.nbdflow.qmp..")
            .should().dependOnClassesThat().belongToAnyOf(Files.class, ProcessBuilder.class, ProcessHandle.class,
                    SocketChannel.class, UnixDomainSocketAddress.class)
            .because("a host's files, programs, processes and monitors are reached through its HostConnection, "
                    + "so that a host on another machine changes nothing above the host layer");

    @ArchTest
    static final ArchRule monitorsOnlyThroughTheHostLayer = noClasses()
            .that().resideOutsideOfPackages("io.nbdflow.host..", "io.nbdflow.qmp..")
            .should().dependOnClassesThat().belongToAnyOf(QmpConnectionPool.class, QmpTransport.class)
            .orShould().callMethodWhere(connectingAQmpClient())
            .because("a domain's monitor is reached through its host's connection (Monitors), never by a "
                    + "socket path of this machine");

    @ArchTest
    static final ArchRule processKnowsNothingAboveIt = noClasses()
            .that().resideInAPackage("io.nbdflow.process..")
            .should().dependOnClassesThat().resideInAnyPackage(
                    "io.nbdflow.application..", "io.nbdflow.web..", "io.nbdflow.demo..")
            .because("the delegates run the BPMN whoever started it: the engine's REST API, the API or the demo");

    @ArchTest
    static final ArchRule webAndDemoReachMigrationsThroughTheApplicationService = noClasses()
            .that().resideInAnyPackage("io.nbdflow.web..", "io.nbdflow.demo..")
            .should().dependOnClassesThat().resideInAnyPackage("io.nbdflow.process..", "io.nbdflow.migration..")
            .because("starting, following and aborting a migration has one door, io.nbdflow.application, "
                    + "so the API, the demo and the tests see migrations alike");

    @ArchTest
    static final ArchRule demoDoesNotUseTheRestControllers = noClasses()
            .that().resideInAPackage("io.nbdflow.demo..")
            .should().dependOnClassesThat().resideInAPackage("io.nbdflow.web..")
            .because("controllers translate HTTP; the demo calls the same services directly");

    @ArchTest
    static final ArchRule noCyclesBetweenPackages = slices()
            .matching("io.nbdflow.(*)..")
            .should().beFreeOfCycles()
            .because("each package builds on the ones below it and is never needed by them");

    private static DescribedPredicate<JavaMethodCall> connectingAQmpClient() {
        return DescribedPredicate.describe("QmpClient.connect",
                call -> call.getTargetOwner().isEquivalentTo(QmpClient.class) && call.getName().equals("connect"));
    }
}
