package io.sidecarinitializer.webhook;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sidecarinitializer.inject.InjectionException;
import io.sidecarinitializer.inject.Injector;
import io.sidecarinitializer.inject.Workload;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SPEC §7: the answer for one admission request. A Pod CREATE goes through the engine with the request's
 * namespace; anything else is allowed untouched. An injection that fails is allowed without a patch and with a
 * warning (fail-open), or denied with {@code failClosed}.
 */
public final class PodAdmission {
    /** Reasons of our own, beside the engine's {@link io.sidecarinitializer.inject.Reason} labels. */
    public static final String NOT_POD_CREATE = "not_pod_create";
    public static final String NO_NAMESPACE = "no_namespace";
    public static final String NO_CONFIG = "no_valid_config";
    public static final String INJECTION_ERROR = "injection_error";
    public static final String INTERNAL_ERROR = "internal_error";

    private static final Logger log = LoggerFactory.getLogger(PodAdmission.class);

    private final Supplier<Injector> injector;
    private final boolean failClosed;
    private final ObjectMapper json;

    /**
     * @param injector   the engine in force; it may answer null while no valid configuration was ever loaded
     * @param failClosed deny a pod whose injection failed instead of letting it in without the sidecar
     */
    public PodAdmission(Supplier<Injector> injector, boolean failClosed, ObjectMapper json) {
        this.injector = injector;
        this.failClosed = failClosed;
        this.json = json;
    }

    /** The answer and how it is counted. */
    public record Verdict(AdmissionResponse response, String result, String reason) {}

    public Verdict admit(AdmissionRequest request) {
        if (!request.isPodCreate()) {
            log.debug("Allowed {} {} of {}/{}{} untouched: only Pod CREATE is injected", request.uid(), request.operation(),
                    request.group().isEmpty() ? "v1" : request.group(), request.kind(),
                    request.subResource().isEmpty() ? "" : " (" + request.subResource() + ")");
            return new Verdict(AdmissionResponse.allow(), AdmissionMetrics.SKIPPED, NOT_POD_CREATE);
        }
        Map<String, Object> pod = request.object();
        String namespace = request.effectiveNamespace();
        PodName name = PodName.of(pod, namespace);
        if (namespace.isEmpty()) {
            log.debug("Allowed pod {} untouched: the request names no namespace", name);
            return new Verdict(AdmissionResponse.allow(), AdmissionMetrics.SKIPPED, NO_NAMESPACE);
        }
        try {
            Injector engine = injector.get();
            if (engine == null) {
                return failed(name, NO_CONFIG, "no valid sidecar configuration is loaded", null);
            }
            // The API server sends the object with its apiVersion and kind; fill them in if a caller did not.
            pod.putIfAbsent("apiVersion", "v1");
            pod.putIfAbsent("kind", "Pod");
            Optional<Workload> workload = Workload.of(pod, namespace);
            if (workload.isEmpty()) {
                log.debug("Allowed pod {} untouched: apiVersion {} is not one we inject", name, pod.get("apiVersion"));
                return new Verdict(AdmissionResponse.allow(), AdmissionMetrics.SKIPPED, NOT_POD_CREATE);
            }
            Injector.Outcome outcome = engine.evaluate(workload.get());
            String reason = outcome.reason().label();
            if (outcome.injection().isEmpty()) {
                log.atDebug().addKeyValue("namespace", namespace).addKeyValue("reason", reason)
                        .log("Allowed pod {} without the sidecar: {}", name, outcome.reason().description());
                return new Verdict(AdmissionResponse.allow(), AdmissionMetrics.SKIPPED, reason);
            }
            byte[] patch = serialized(outcome.injection().get().jsonPatch());
            log.atInfo().addKeyValue("namespace", namespace).addKeyValue("owner", name.owner()).addKeyValue("reason", reason)
                    .log("Injected pod {} (owner {}): {}", name, name.owner(), outcome.reason().description());
            return new Verdict(AdmissionResponse.patch(patch), AdmissionMetrics.INJECTED, reason);
        } catch (InjectionException e) {
            return failed(name, INJECTION_ERROR, e.getMessage(), null);
        } catch (RuntimeException e) {
            return failed(name, INTERNAL_ERROR, e.toString(), e);
        }
    }

    private Verdict failed(PodName name, String reason, String why, Throwable bug) {
        String what = "sidecar injection failed for pod " + name + ": " + why;
        if (failClosed) {
            log.atWarn().addKeyValue("reason", reason).setCause(bug).log("Denied pod {} (--fail-closed): {}", name, why);
            return new Verdict(AdmissionResponse.deny(500, what), AdmissionMetrics.FAILED, reason);
        }
        log.atWarn().addKeyValue("reason", reason).setCause(bug).log("Allowed pod {} without the sidecar (fail-open): {}", name, why);
        return new Verdict(AdmissionResponse.warn(what + "; the pod was created without it"), AdmissionMetrics.FAILED, reason);
    }

    private byte[] serialized(List<Map<String, Object>> patch) {
        try {
            return json.writeValueAsBytes(patch);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the JSON Patch: " + e.getMessage(), e);
        }
    }
}
