package io.sidecarinitializer.cluster;

import io.sidecarinitializer.inject.Injection;
import io.sidecarinitializer.inject.InjectionException;
import io.sidecarinitializer.inject.Injector;
import io.sidecarinitializer.inject.Reason;
import io.sidecarinitializer.inject.Workload;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What we will do to one object, decided by the engine: the JSON Patch operations of the injection (none
 * for a skip or a failure) and the outcome to report once the PATCH has landed. Never throws: anything
 * the engine cannot handle becomes a {@link Failed} outcome, which the initializer turns into fail-open.
 */
public record Plan(List<Map<String, Object>> injectionOps, Outcome outcome) {

    sealed interface Outcome permits Injected, Skipped, Failed {}

    public record Injected(Reason reason, String status) implements Outcome {}

    public record Skipped(Reason reason) implements Outcome {}

    public record Failed(FailureCause cause, String detail) implements Outcome {}

    public boolean injects() {
        return outcome instanceof Injected;
    }

    public static Plan failed(FailureCause cause, String detail) {
        return new Plan(List.of(), new Failed(cause, detail));
    }

    /** Asks the engine about an object read as a JSON tree. */
    public static Plan decide(ConfigWatcher.Active config, Map<String, Object> object, String namespace) {
        if (!config.usable()) {
            return failed(FailureCause.CONFIG, config.problem());
        }
        Optional<Workload> workload = Workload.of(object, namespace);
        if (workload.isEmpty()) {
            return failed(FailureCause.UNREADABLE, object.get("apiVersion") + " " + object.get("kind") + " is not a workload kind we inject");
        }
        try {
            readable(workload.get());
        } catch (InjectionException e) {
            return failed(FailureCause.UNREADABLE, e.getMessage());
        }
        Injector injector = config.injector();
        try {
            Injector.Outcome outcome = injector.evaluate(workload.get());
            if (outcome.injection().isEmpty()) {
                return new Plan(List.of(), new Skipped(outcome.reason()));
            }
            Injection injection = outcome.injection().get();
            return new Plan(injection.jsonPatch(), new Injected(outcome.reason(), injection.status()));
        } catch (InjectionException e) {
            return failed(FailureCause.INJECTION, e.getMessage());
        } catch (RuntimeException e) {
            // A shape the engine did not expect (say a list where a mapping belongs): the object is unreadable to us.
            return failed(FailureCause.UNREADABLE, workload.get().displayName() + ": " + e);
        }
    }

    /** Touches every part of the object the engine reads, so a malformed one fails here, as unreadable. */
    private static void readable(Workload workload) {
        workload.annotations();
        workload.templateAnnotations();
        workload.templateLabels();
        workload.podSpecList("initContainers");
        workload.podSpecList("containers");
        workload.podSpecList("volumes");
    }
}
