package io.sidecarinitializer.e2e;

import io.sidecarinitializer.testing.Trees;
import java.util.List;
import java.util.Map;

/** Core/v1 Events as {@code kubectl get events -n NS -o json} shows them. */
final class Events {
    static final String COMPONENT = "sidecar-initializer";

    private Events() {}

    static List<Map<String, Object>> in(Kubectl kubectl, String namespace) {
        return Trees.list(kubectl.json("get", "events", "-n", namespace), "items");
    }

    /** Events our controller wrote (source.component), in that namespace. */
    static List<Map<String, Object>> ours(Kubectl kubectl, String namespace) {
        return in(kubectl, namespace).stream().filter(e -> COMPONENT.equals(Trees.string(e, "source", "component"))).toList();
    }

    static List<Map<String, Object>> about(List<Map<String, Object>> events, String kind, String name) {
        return events.stream()
                .filter(e -> kind.equals(Trees.string(e, "involvedObject", "kind")) && name.equals(Trees.string(e, "involvedObject", "name")))
                .toList();
    }

    static String describe(Map<String, Object> event) {
        return Trees.string(event, "type") + " " + Trees.string(event, "reason") + " on " + Trees.string(event, "involvedObject", "kind")
                + " " + Trees.string(event, "involvedObject", "name") + ": " + Trees.string(event, "message");
    }
}
