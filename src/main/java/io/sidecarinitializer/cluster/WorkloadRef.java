package io.sidecarinitializer.cluster;

import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.sidecarinitializer.inject.WorkloadKind;
import java.util.Map;

/** Which object a report is about: for Events' involvedObject, log lines and metric labels. */
public record WorkloadRef(WorkloadKind kind, String apiVersion, String namespace, String name, String uid, String resourceVersion,
                   String creationTimestamp) {

    public static WorkloadRef of(WorkloadKind kind, Map<String, Object> object) {
        Map<?, ?> meta = object.get("metadata") instanceof Map<?, ?> m ? m : Map.of();
        return new WorkloadRef(kind, String.valueOf(object.get("apiVersion")), text(meta, "namespace"), text(meta, "name"),
                text(meta, "uid"), text(meta, "resourceVersion"), text(meta, "creationTimestamp"));
    }

    ObjectReference reference() {
        return new ObjectReferenceBuilder()
                .withApiVersion(apiVersion)
                .withKind(kind.kind())
                .withNamespace(namespace)
                .withName(name)
                .withUid(uid)
                .withResourceVersion(resourceVersion)
                .build();
    }

    /** {@code deployment default/hello}. */
    public String display() {
        return kind.resource() + " " + namespace + "/" + name;
    }

    private static String text(Map<?, ?> meta, String key) {
        Object v = meta.get(key);
        return v == null ? "" : String.valueOf(v);
    }
}
