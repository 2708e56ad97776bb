package io.sidecarinitializer.e2e;

import io.sidecarinitializer.testing.Trees;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/** What the repository ships: manifests/ (install overlays) and manifests/samples, read as a user's kubectl would. */
final class Manifests {
    static final String CRONJOB_V1 = "apiVersion: batch/v1\nkind: CronJob";
    /** kube-apiserver 1.20 serves CronJob only as batch/v1beta1 (batch/v1 came in 1.21); the fields used are the same. */
    static final String CRONJOB_V1BETA1 = "apiVersion: batch/v1beta1\nkind: CronJob";

    private final Path dir;

    Manifests(Path projectDir) {
        this.dir = projectDir.resolve("manifests");
    }

    /** The {@code config} document of the istio-inject ConfigMap that {@code kubectl apply -k manifests/} installs. */
    String injectConfig() {
        return (String) Trees.at(configMap("istio-inject"), "data", "config");
    }

    /** {@code params.NAME} of that document, or null when it is not set (the build's default applies). */
    String injectParam(String name) {
        return Trees.string(new Yaml(new LoaderOptions()).load(injectConfig()), "params", name);
    }

    Map<String, Object> configMap(String name) {
        for (Map<String, Object> doc : documents(dir.resolve("base/configmaps.yaml"))) {
            if (name.equals(Trees.name(doc))) {
                return doc;
            }
        }
        throw new AssertionError("manifests/base/configmaps.yaml has no ConfigMap " + name);
    }

    /** The controller's container in manifests/reconcile/deployment.yaml: how the cluster runs it. */
    Container controller() {
        return container("reconcile/deployment.yaml", "controller");
    }

    /** The webhook's container in manifests/webhook/deployment.yaml (both webhook overlays use it). */
    Container webhook() {
        return container("webhook/deployment.yaml", "webhook");
    }

    private Container container(String file, String subcommand) {
        Map<String, Object> deployment = documents(dir.resolve(file)).get(0);
        return new Container("manifests/" + file, subcommand, Trees.list(deployment, "spec", "template", "spec", "containers").get(0));
    }

    /** A Deployment's first container as the manifest declares it: one front of the image, with its args, env and limit. */
    record Container(String file, String subcommand, Map<String, Object> tree) {
        /** The args after the subcommand, which must come first. */
        List<String> args() {
            @SuppressWarnings("unchecked")
            List<String> args = (List<String>) tree.get("args");
            if (args == null || args.isEmpty() || !args.get(0).equals(subcommand)) {
                throw new AssertionError(file + ": expected args starting with '" + subcommand + "', got " + args);
            }
            return List.copyOf(args.subList(1, args.size()));
        }

        /** The plain {@code env} values (JAVA_TOOL_OPTIONS, ...); those from fieldRefs are left out. */
        Map<String, String> env() {
            Map<String, String> env = new LinkedHashMap<>();
            for (Map<String, Object> var : Trees.list(tree, "env")) {
                if (var.get("value") != null) {
                    env.put(Trees.string(var, "name"), Trees.string(var, "value"));
                }
            }
            return env;
        }

        /** The memory limit in MiB. */
        int memoryLimitMiB() {
            String limit = Trees.string(tree, "resources", "limits", "memory");
            if (limit == null || !limit.matches("[0-9]+Mi")) {
                throw new AssertionError(file + ": expected a memory limit in Mi, got " + limit);
            }
            return Integer.parseInt(limit.substring(0, limit.length() - 2));
        }
    }

    /** Every file in manifests/samples, sorted. */
    List<Path> sampleFiles() {
        try (Stream<Path> files = Files.list(dir.resolve("samples"))) {
            return files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The samples as one multi-document stream for {@code kubectl apply -f -}, CronJob as batch/v1beta1 for 1.20. */
    String samplesForKube120() {
        StringBuilder all = new StringBuilder();
        boolean converted = false;
        for (Path file : sampleFiles()) {
            String text = read(file);
            if (text.contains(CRONJOB_V1)) {
                text = text.replace(CRONJOB_V1, CRONJOB_V1BETA1);
                converted = true;
            }
            all.append("---\n").append(text).append(text.endsWith("\n") ? "" : "\n");
        }
        if (!converted) {
            throw new AssertionError("no batch/v1 CronJob in manifests/samples any more; drop the conversion for 1.20");
        }
        return all.toString();
    }

    /** The workloads among the samples (what the controller watches with --all-kinds), as parsed trees. */
    List<Map<String, Object>> sampleWorkloads() {
        List<Map<String, Object>> workloads = new ArrayList<>();
        for (Path file : sampleFiles()) {
            for (Map<String, Object> doc : documents(file)) {
                if (List.of("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicaSet", "ReplicationController")
                        .contains(Trees.kind(doc))) {
                    workloads.add(doc);
                }
            }
        }
        return workloads;
    }

    static List<Map<String, Object>> documents(Path file) {
        return documents(read(file));
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> documents(String yaml) {
        List<Map<String, Object>> docs = new ArrayList<>();
        for (Object doc : new Yaml(new LoaderOptions()).loadAll(yaml)) {
            if (doc instanceof Map<?, ?> m) {
                docs.add((Map<String, Object>) m);
            }
        }
        return docs;
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
