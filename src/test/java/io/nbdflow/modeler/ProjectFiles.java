package io.nbdflow.modeler;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.camunda.bpm.model.bpmn.Bpmn;
import org.camunda.bpm.model.bpmn.BpmnModelInstance;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.support.SimpleBeanDefinitionRegistry;
import org.springframework.context.annotation.AnnotationBeanNameGenerator;
import org.springframework.context.annotation.ClassPathScanningCandidateComponentProvider;
import org.springframework.core.type.filter.AnnotationTypeFilter;
import org.springframework.stereotype.Component;

/** The files the Modeler works on (BPMN, forms, element templates) and the beans they name. */
final class ProjectFiles {

    static final String PROCESS_PACKAGE = "io.nbdflow.process";
    /** ${beanName}: the only delegate expression form the process uses. */
    private static final Pattern BEAN_EXPRESSION = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");

    private ProjectFiles() {
    }

    /** The project root: Maven's basedir, else the working directory. */
    static Path root() {
        String basedir = System.getProperty("basedir");
        return (basedir == null ? Path.of("") : Path.of(basedir)).toAbsolutePath();
    }

    static Path bpmnFile() {
        return root().resolve("processes/storage-migration.bpmn");
    }

    static BpmnModelInstance model() {
        return Bpmn.readModelFromFile(bpmnFile().toFile());
    }

    /** Files directly in root/folder whose names end with suffix, sorted. */
    static List<Path> files(String folder, String suffix) {
        try (Stream<Path> s = Files.list(root().resolve(folder))) {
            return s.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Bean name to class name of every @Component (or stereotype) in io.nbdflow.process, found without a context. */
    static Map<String, String> processBeans() {
        ClassPathScanningCandidateComponentProvider scanner = new ClassPathScanningCandidateComponentProvider(false);
        scanner.addIncludeFilter(new AnnotationTypeFilter(Component.class));
        SimpleBeanDefinitionRegistry registry = new SimpleBeanDefinitionRegistry();
        Map<String, String> beans = new TreeMap<>();
        for (BeanDefinition definition : scanner.findCandidateComponents(PROCESS_PACKAGE)) {
            beans.put(AnnotationBeanNameGenerator.INSTANCE.generateBeanName(definition, registry),
                    definition.getBeanClassName());
        }
        return beans;
    }

    /** Names of the process beans whose class is a *Delegate (the service-task implementations). */
    static Set<String> delegateBeans() {
        return processBeans().entrySet().stream().filter(e -> e.getValue().endsWith("Delegate"))
                .map(Map.Entry::getKey).collect(Collectors.toCollection(java.util.TreeSet::new));
    }

    /** The bean named by "${name}", or null when the expression has another form. */
    static String beanOf(String delegateExpression) {
        if (delegateExpression == null) {
            return null;
        }
        Matcher m = BEAN_EXPRESSION.matcher(delegateExpression.strip());
        return m.matches() ? m.group(1) : null;
    }
}
