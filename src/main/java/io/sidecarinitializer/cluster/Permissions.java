package io.sidecarinitializer.cluster;

import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.sidecarinitializer.kube.WorkloadResources;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks at startup, with SelfSubjectAccessReviews, that this identity holds every permission the
 * controller will use, so a missing RBAC rule fails the start with a message naming it instead of
 * surfacing as a 403 on the first object, which in initializer mode would block its creation.
 */
final class Permissions {
    private static final Logger log = LoggerFactory.getLogger(Permissions.class);

    /** One verb on one resource, cluster-wide when {@code namespace} is null. */
    record Need(String verb, String group, String resource, String namespace) {
        String describe() {
            return verb + " " + (group.isEmpty() ? resource : resource + "." + group)
                    + (namespace == null ? " (cluster-wide)" : " in namespace " + namespace);
        }
    }

    private Permissions() {}

    /** Every permission the controller uses with these options; the manifests' RBAC grants exactly these. */
    static List<Need> needs(Mode mode, Collection<Class<? extends WorkloadResources.WorkloadResource>> workloadTypes,
                            String configNamespace, boolean leaderElection) {
        List<Need> needs = new ArrayList<>();
        List<String> workloadVerbs = mode == Mode.INITIALIZER
                ? List.of("get", "list", "watch", "patch", "initialize")
                : List.of("get", "list", "watch", "patch");
        for (Class<? extends WorkloadResources.WorkloadResource> type : workloadTypes) {
            for (String verb : workloadVerbs) {
                needs.add(new Need(verb, WorkloadResources.group(type), WorkloadResources.plural(type), null));
            }
        }
        for (String verb : List.of("get", "list", "watch")) {
            needs.add(new Need(verb, "", "configmaps", configNamespace));
        }
        needs.add(new Need("create", "", "events", null));
        if (leaderElection) {
            // fabric8 renews with a JSON merge PATCH; java-operator-sdk checks for update at startup.
            for (String verb : List.of("get", "create", "update", "patch")) {
                needs.add(new Need(verb, "coordination.k8s.io", "leases", configNamespace));
            }
        }
        return needs;
    }

    /** Throws a {@link StartupException} naming every permission that is missing. */
    static void check(KubernetesClient client, List<Need> needs) {
        List<String> missing = new ArrayList<>();
        for (Need need : needs) {
            SelfSubjectAccessReview review = new SelfSubjectAccessReviewBuilder()
                    .withNewSpec()
                        .withNewResourceAttributes()
                            .withVerb(need.verb())
                            .withGroup(need.group())
                            .withResource(need.resource())
                            .withNamespace(need.namespace() == null ? "" : need.namespace())
                        .endResourceAttributes()
                    .endSpec()
                    .build();
            SelfSubjectAccessReview answer;
            try {
                answer = client.authorization().v1().selfSubjectAccessReview().create(review);
            } catch (KubernetesClientException e) {
                // No SelfSubjectAccessReview API, or not allowed to ask: the first real request will tell.
                log.warn("Cannot check permissions with a SelfSubjectAccessReview ({}); skipping the startup check", e.getMessage());
                return;
            }
            if (answer == null || answer.getStatus() == null) {
                log.debug("SelfSubjectAccessReview for {} gave no answer; skipping the startup check", need.describe());
                return;
            }
            if (!Boolean.TRUE.equals(answer.getStatus().getAllowed())) {
                missing.add(need.describe());
            }
        }
        if (!missing.isEmpty()) {
            throw new StartupException("forbidden: this identity may not " + String.join(", ", missing)
                    + "; grant them with RBAC (see the controller's ClusterRole and Role in manifests/)");
        }
    }
}
