package io.sidecarinitializer.cluster;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.sidecarinitializer.config.ConfigException;
import io.sidecarinitializer.config.InjectConfig;
import io.sidecarinitializer.config.InjectConfigParser;
import io.sidecarinitializer.config.MeshConfig;
import io.sidecarinitializer.config.MeshConfigParser;
import io.sidecarinitializer.inject.Injector;
import io.sidecarinitializer.yaml.KubeYaml;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the configuration in force from the {@code istio-inject} ConfigMap and the mesh ConfigMap it
 * names, both watched in the config namespace (SPEC §2). An edit takes effect for the next object; a bad
 * edit is reported (error log naming the field, Warning Event on the ConfigMap, metric) and the last good
 * configuration stays; a missing ConfigMap means the SPEC defaults. This runs on every replica, leader or
 * not, so a standby takes over with its configuration already loaded.
 */
public final class ConfigWatcher implements AutoCloseable {
    static final String CONFIG_KEY = "config";
    static final String MESH_KEY = "mesh";
    static final String INVALID_CONFIG = "InvalidConfig";
    private static final Logger log = LoggerFactory.getLogger(ConfigWatcher.class);

    /**
     * The configuration the reconciler uses for the next object.
     *
     * @param injector        the engine built from the last good configuration; null when none was ever valid
     * @param initializerName the name we answer to; taken leniently from a broken document when needed, so
     *                        that fail-open still removes the right entry
     * @param problem         why the ConfigMaps in the cluster are not what is in force; null when they are
     */
    public record Active(Injector injector, String initializerName, String problem) {
        public boolean usable() {
            return injector != null;
        }
    }

    private final KubernetesClient client;
    private final String namespace;
    private final String configMapName;
    private final ControllerMetrics metrics;
    private final EventRecorder events;
    private SharedIndexInformer<ConfigMap> informer;

    private volatile Active active;
    private volatile boolean loaded;
    // Guarded by this: what the last reload looked at, so resyncs and unrelated ConfigMaps change nothing.
    private String lastSources = "";
    private Injector lastGood;
    private boolean announcedMissingConfig;
    private boolean announcedMissingMesh;

    public ConfigWatcher(KubernetesClient client, String namespace, String configMapName, ControllerMetrics metrics, EventRecorder events) {
        this.client = client;
        this.namespace = namespace;
        this.configMapName = configMapName;
        this.metrics = metrics;
        this.events = events;
        this.active = new Active(null, InjectConfig.DEFAULT_INITIALIZER_NAME, "configuration not loaded yet");
    }

    /** Starts the watch and returns once the first configuration is in force. */
    public void start(Duration syncTimeout) throws Exception {
        informer = client.configMaps().inNamespace(namespace).runnableInformer(0);
        informer.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(ConfigMap cm) {
                reload();
            }

            @Override
            public void onUpdate(ConfigMap before, ConfigMap after) {
                reload();
            }

            @Override
            public void onDelete(ConfigMap cm, boolean finalStateUnknown) {
                reload();
            }
        });
        informer.start().toCompletableFuture().get(syncTimeout.toMillis(), TimeUnit.MILLISECONDS);
        reload();
        loaded = true;
    }

    /** Completes when the watch ends; exceptionally when it failed. */
    public CompletionStage<Void> stopped() {
        return informer.stopped();
    }

    public Active active() {
        return active;
    }

    /** True once the namespace is listed and watched and a configuration (good, default or broken) is decided. */
    public boolean isLoaded() {
        return loaded && informer != null && informer.isRunning() && informer.hasSynced() && informer.isWatching();
    }

    @Override
    public void close() {
        if (informer != null) {
            informer.close();
        }
    }

    synchronized void reload() {
        if (informer == null || !informer.hasSynced()) {
            return;
        }
        ConfigMap configCm = informer.getStore().getByKey(Cache.namespaceKeyFunc(namespace, configMapName));
        String configSource = source(configCm);
        InjectConfig config;
        String initializerName;
        try {
            if (configCm == null) {
                config = InjectConfig.defaults();
                if (!announcedMissingConfig) {
                    log.info("ConfigMap {}/{} not found; using the SPEC defaults (policy enabled, all namespaces, initializer {})",
                            namespace, configMapName, config.initializerName());
                    announcedMissingConfig = true;
                }
            } else {
                announcedMissingConfig = false;
                config = InjectConfigParser.parse(document(configCm, CONFIG_KEY));
            }
        } catch (ConfigException e) {
            if (configSource.equals(lastSources)) {
                return;
            }
            lastSources = configSource;
            rejected(configCm, CONFIG_KEY, e, lenientInitializerName(configCm));
            return;
        }
        initializerName = config.initializerName();

        String meshName = config.params().meshConfigMapName();
        ConfigMap meshCm = informer.getStore().getByKey(Cache.namespaceKeyFunc(namespace, meshName));
        String sources = configSource + "|" + meshName + "=" + source(meshCm);
        if (sources.equals(lastSources)) {
            return;
        }
        lastSources = sources;
        MeshConfig mesh;
        try {
            if (meshCm == null) {
                mesh = MeshConfig.defaults();
                if (!announcedMissingMesh) {
                    log.info("Mesh ConfigMap {}/{} not found; using the SPEC mesh defaults", namespace, meshName);
                    announcedMissingMesh = true;
                }
            } else {
                announcedMissingMesh = false;
                mesh = MeshConfigParser.parse(document(meshCm, MESH_KEY));
            }
        } catch (ConfigException e) {
            rejected(meshCm, MESH_KEY, e, initializerName);
            return;
        }

        lastGood = new Injector(config, mesh);
        active = new Active(lastGood, initializerName, null);
        metrics.configReloaded(true);
        log.atInfo()
                .addKeyValue("configMap", namespace + "/" + configMapName)
                .addKeyValue("resourceVersion", configCm == null ? "" : configCm.getMetadata().getResourceVersion())
                .log("Configuration in force: policy={} namespaces={} excludeNamespaces={} initializerName={} "
                                + "proxyImage={} initImage={} version={} mesh={}/{}",
                        config.policy().yamlName(), config.allNamespaces() ? "all" : config.namespaces(), config.excludeNamespaces(), initializerName,
                        config.params().proxyImage(), config.params().initImage(), config.params().version(),
                        namespace, meshName);
    }

    private void rejected(ConfigMap cm, String key, ConfigException e, String fallbackName) {
        String field = "data." + key + (e.field().isEmpty() ? "" : " field " + e.field());
        String kept = lastGood == null
                ? "no valid configuration was ever loaded, so objects are initialized without injection (fail-open)"
                : "the last good configuration stays in force";
        String where = "ConfigMap " + namespace + "/" + cm.getMetadata().getName();
        log.atError()
                .addKeyValue("configMap", namespace + "/" + cm.getMetadata().getName())
                .addKeyValue("field", field)
                .log("Invalid {} ({}): {}; {}", where, field, e.getMessage(), kept);
        metrics.configError();
        metrics.configReloaded(false);
        events.record(reference(cm), EventRecorder.WARNING, INVALID_CONFIG,
                "Invalid " + field + ": " + e.getMessage() + "; " + kept,
                cm.getMetadata().getUid() + "/" + cm.getMetadata().getResourceVersion() + "/" + INVALID_CONFIG);
        String problem = where + " " + field + ": " + e.getMessage();
        active = lastGood == null
                ? new Active(null, fallbackName, problem)
                : new Active(lastGood, active.initializerName(), problem);
    }

    /** The text under {@code data.<key>}; a ConfigMap without it is an error, as in kube-inject. */
    private static String document(ConfigMap cm, String key) {
        Map<String, String> data = cm.getData();
        String text = data == null ? null : data.get(key);
        if (text == null) {
            throw new ConfigException("", "the ConfigMap has no data." + key + " document");
        }
        return text;
    }

    /** Our name from a document that failed validation, so fail-open removes the entry the cluster waits on. */
    private static String lenientInitializerName(ConfigMap cm) {
        try {
            Object doc = new KubeYaml().load(cm.getData() == null ? "" : cm.getData().getOrDefault(CONFIG_KEY, ""));
            if (doc instanceof Map<?, ?> m && m.get("initializerName") instanceof String name && !name.isBlank()) {
                return name;
            }
        } catch (RuntimeException ignored) {
            // Unreadable YAML: the default name is the best guess left.
        }
        return InjectConfig.DEFAULT_INITIALIZER_NAME;
    }

    private static String source(ConfigMap cm) {
        return cm == null ? "absent" : cm.getMetadata().getUid() + "@" + cm.getMetadata().getResourceVersion();
    }

    private static ObjectReference reference(ConfigMap cm) {
        return new ObjectReferenceBuilder()
                .withApiVersion("v1")
                .withKind("ConfigMap")
                .withName(cm.getMetadata().getName())
                .withNamespace(cm.getMetadata().getNamespace())
                .withUid(cm.getMetadata().getUid())
                .withResourceVersion(cm.getMetadata().getResourceVersion())
                .build();
    }
}
