package io.sidecarinitializer.cluster;

import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sidecarinitializer.inject.WorkloadKind;
import io.sidecarinitializer.kube.WorkloadResources;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What the API server serves, asked once at startup through discovery. */
final class ApiDiscovery {
    /** Served only by API servers that can run Initializers (1.7–1.13, with the alpha API enabled). */
    static final String INITIALIZER_API = "admissionregistration.k8s.io/v1alpha1";
    static final String INITIALIZER_RESOURCE = "initializerconfigurations";
    static final String LEASE_API = "coordination.k8s.io/v1";

    private final KubernetesClient client;
    private final Map<String, Optional<APIResourceList>> groupVersions = new HashMap<>();

    ApiDiscovery(KubernetesClient client) {
        this.client = client;
    }

    /** True when {@code groupVersion} (e.g. {@code apps/v1}, or {@code v1} for the core group) serves {@code resource}. */
    boolean serves(String groupVersion, String resource) {
        Optional<APIResourceList> list = groupVersions.computeIfAbsent(groupVersion,
                gv -> Optional.ofNullable(client.getApiResources(gv)));
        return list.map(APIResourceList::getResources).orElse(List.of()).stream()
                .map(APIResource::getName)
                .anyMatch(resource::equals);
    }

    /** {@code auto} becomes initializer mode exactly when the server serves InitializerConfigurations. */
    Mode resolve(Mode requested) {
        if (requested != Mode.AUTO) {
            return requested;
        }
        return serves(INITIALIZER_API, INITIALIZER_RESOURCE) ? Mode.INITIALIZER : Mode.RECONCILE;
    }

    /** The newest API version of a kind the server serves, as the class to watch it with. */
    Optional<Class<? extends WorkloadResources.WorkloadResource>> carrierFor(WorkloadKind kind) {
        for (Class<? extends WorkloadResources.WorkloadResource> type : WorkloadResources.CANDIDATES.get(kind)) {
            if (serves(WorkloadResources.apiVersion(type), WorkloadResources.plural(type))) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }

    boolean servesLeases() {
        return serves(LEASE_API, "leases");
    }
}
