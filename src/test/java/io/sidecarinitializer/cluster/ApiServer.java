package io.sidecarinitializer.cluster;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A CRUD-mode mock API server on a real HTTP port, with the helpers the controller tests share. Public so
 * that the benchmark and the demo can start the controller against the same server as these tests.
 */
public final class ApiServer implements AutoCloseable {
    public static final String CONFIG_NS = "istio-system";
    /** The mock logs every request through java.util.logging at INFO; held so the level sticks. */
    private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

    static {
        MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
    }

    public final ApiServerDispatcher dispatcher;
    public final KubernetesMockServer server;
    public final KubernetesClient client;
    private final List<KubernetesClient> clients = new ArrayList<>();

    private ApiServer(Map<String, Set<String>> apis) {
        dispatcher = new ApiServerDispatcher(apis);
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
        server.init();
        client = newClient();
    }

    public static ApiServer modern() {
        return new ApiServer(ApiServerDispatcher.modernApis());
    }

    public static ApiServer with(Map<String, Set<String>> apis) {
        return new ApiServer(apis);
    }

    public static ApiServer withInitializers() {
        return new ApiServer(ApiServerDispatcher.initializerApis());
    }

    /** A separate client, as a second replica would have. */
    public KubernetesClient newClient() {
        KubernetesClient c = server.createClient(new JdkHttpClientFactory());
        clients.add(c);
        return c;
    }

    public static ResourceDefinitionContext context(String apiVersion, String kind, String plural) {
        int slash = apiVersion.indexOf('/');
        return new ResourceDefinitionContext.Builder()
                .withGroup(slash < 0 ? "" : apiVersion.substring(0, slash))
                .withVersion(apiVersion.substring(slash + 1))
                .withKind(kind)
                .withPlural(plural)
                .withNamespaced(true)
                .build();
    }

    public GenericKubernetesResource create(Map<String, Object> object) {
        GenericKubernetesResource r = client.getKubernetesSerialization().convertValue(object, GenericKubernetesResource.class);
        return client.genericKubernetesResources(contextOf(r)).inNamespace(r.getMetadata().getNamespace()).resource(r).create();
    }

    GenericKubernetesResource get(String apiVersion, String kind, String plural, String namespace, String name) {
        return client.genericKubernetesResources(context(apiVersion, kind, plural)).inNamespace(namespace).withName(name).get();
    }

    /** The object as a plain tree, or null. */
    @SuppressWarnings("unchecked")
    Map<String, Object> tree(String apiVersion, String kind, String plural, String namespace, String name) {
        GenericKubernetesResource r = get(apiVersion, kind, plural, namespace, name);
        return r == null ? null : client.getKubernetesSerialization().convertValue(r, Map.class);
    }

    public void putConfig(String name, String key, String text) {
        ConfigMap cm = new ConfigMapBuilder().withNewMetadata().withName(name).withNamespace(CONFIG_NS).endMetadata()
                .addToData(key, text).build();
        client.configMaps().inNamespace(CONFIG_NS).resource(cm).createOr(existing -> existing.update());
    }

    public List<Event> events(String namespace) {
        return client.v1().events().inNamespace(namespace).list().getItems();
    }

    public List<Event> eventsAbout(String namespace, String name) {
        return events(namespace).stream().filter(e -> name.equals(e.getInvolvedObject().getName())).toList();
    }

    private static ResourceDefinitionContext contextOf(GenericKubernetesResource r) {
        String plural = switch (r.getKind()) {
            case "Deployment" -> "deployments";
            case "StatefulSet" -> "statefulsets";
            case "DaemonSet" -> "daemonsets";
            case "ReplicaSet" -> "replicasets";
            case "Job" -> "jobs";
            case "CronJob" -> "cronjobs";
            case "ReplicationController" -> "replicationcontrollers";
            default -> throw new IllegalArgumentException(r.getKind());
        };
        return context(r.getApiVersion(), r.getKind(), plural);
    }

    @Override
    public void close() {
        clients.forEach(KubernetesClient::close);
        server.destroy();
    }
}
