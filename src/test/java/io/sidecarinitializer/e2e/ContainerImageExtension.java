package io.sidecarinitializer.e2e;

import io.sidecarinitializer.BuildInfo;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives test classes the {@link ContainerImage} this checkout builds: built once per test run (in the root store),
 * tagged as the manifests name it. A skip (no podman here) or a failed build is remembered, not retried.
 */
public final class ContainerImageExtension implements BeforeAllCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(ContainerImageExtension.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        image(context);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == ContainerImage.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return image(context);
    }

    /** The tag the manifests' kustomization gives the image (ManifestsTest keeps the two in step). */
    static String tag() {
        return "sidecar-initializer:" + BuildInfo.version();
    }

    private static ContainerImage image(ExtensionContext context) {
        Object outcome = context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent(ContainerImage.class, key -> {
            try {
                return ContainerImage.build(KubeApiServerExtension.projectDir(), tag());
            } catch (RuntimeException skippedOrFailed) {
                return skippedOrFailed;
            }
        });
        if (outcome instanceof RuntimeException e) {
            throw e;
        }
        return (ContainerImage) outcome;
    }
}
