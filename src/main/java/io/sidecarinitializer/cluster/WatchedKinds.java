package io.sidecarinitializer.cluster;

import io.sidecarinitializer.inject.WorkloadKind;
import io.sidecarinitializer.kube.WorkloadResources;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Chooses the kinds to watch: the default kinds (or all with {@code --all-kinds}), each at its newest served version. */
final class WatchedKinds {
    private static final Logger log = LoggerFactory.getLogger(WatchedKinds.class);

    private WatchedKinds() {}

    static List<Class<? extends WorkloadResources.WorkloadResource>> choose(ApiDiscovery discovery, boolean allKinds) {
        List<WorkloadKind> kinds = new ArrayList<>(WorkloadResources.DEFAULT_KINDS);
        if (allKinds) {
            kinds.addAll(WorkloadResources.EXTRA_KINDS);
        }
        List<Class<? extends WorkloadResources.WorkloadResource>> types = new ArrayList<>();
        for (WorkloadKind kind : kinds) {
            Optional<Class<? extends WorkloadResources.WorkloadResource>> type = discovery.carrierFor(kind);
            if (type.isEmpty()) {
                log.warn("The API server serves none of {} for {}; not watching them", kind.apiVersions(), kind.kind());
                continue;
            }
            types.add(type.get());
        }
        if (types.isEmpty()) {
            throw new StartupException("the API server serves none of the workload kinds " + kinds);
        }
        return List.copyOf(types);
    }

    /** {@code deployments.apps/v1}, as the start-up log line names them. */
    static List<String> names(List<Class<? extends WorkloadResources.WorkloadResource>> types) {
        return types.stream().map(t -> WorkloadResources.qualifiedResource(t) + "/" + WorkloadResources.version(t)).toList();
    }
}
