package io.sidecarinitializer.inject;

import io.sidecarinitializer.config.InjectConfig;
import io.sidecarinitializer.config.MeshConfig;
import java.util.Optional;

/** The engine every front calls: decide, and when the answer is yes, render the sidecar. Pure. */
public final class Injector {
    private final InjectConfig config;
    private final SidecarTemplate template;

    public Injector(InjectConfig config, MeshConfig mesh) {
        this.config = config;
        this.template = new SidecarTemplate(config, mesh);
    }

    public InjectConfig config() {
        return config;
    }

    /** The decision for a workload and, when it says inject, what to add. */
    public Outcome evaluate(Workload workload) {
        Reason reason = InjectionDecision.decide(config, workload);
        return new Outcome(reason, reason.inject() ? Optional.of(template.render(workload)) : Optional.empty());
    }

    /** A decision and, for an injection, what it adds. */
    public record Outcome(Reason reason, Optional<Injection> injection) {
        public boolean injected() {
            return injection.isPresent();
        }
    }
}
