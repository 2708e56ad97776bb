package io.sidecarinitializer.e2e;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives e2e test classes a {@link KubeEnvironment}: a real kube-apiserver + etcd, started once per test run
 * and shared by every class. It lives in the root {@link ExtensionContext.Store}, so JUnit closes it when the
 * run ends (passed or failed); after each class, every controller process that class started is killed.
 * Inject it as a parameter of a {@code @BeforeAll} method, a constructor or a test.
 */
public final class KubeApiServerExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(KubeApiServerExtension.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        environment(context);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        KubeEnvironment environment;
        try {
            environment = context.getRoot().getStore(NAMESPACE).get(KubeEnvironment.class, KubeEnvironment.class);
        } catch (RuntimeException startFailed) {
            return; // already reported by beforeAll
        }
        if (environment != null) {
            environment.stopControllers();
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == KubeEnvironment.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return environment(context);
    }

    /** The run's environment, started by the first class that asks (a failure to start is remembered, not retried). */
    static KubeEnvironment environment(ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent(KubeEnvironment.class, key -> KubeEnvironment.start(projectDir()), KubeEnvironment.class);
    }

    /** Surefire and failsafe set basedir; an IDE usually runs in the project directory. */
    static Path projectDir() {
        Path dir = Path.of(System.getProperty("basedir", "")).toAbsolutePath();
        if (!Files.isRegularFile(dir.resolve("pom.xml")) || !Files.isRegularFile(dir.resolve("src/test/k8s/kube-env.sh"))) {
            throw new IllegalStateException(dir + " is not the sidecar-initializer project directory (no pom.xml and src/test/k8s/kube-env.sh)");
        }
        return dir;
    }
}
