package io.sidecarinitializer.e2e;

import static io.sidecarinitializer.testing.Bytes.concat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The kube-inject differential corpus: the hand-written manifests of {@code src/test/resources/kube-inject-corpus/}
 * plus the ones generated here, written to one directory, a file per case (numbered, so a failure names its case).
 *
 * <p>Generated: every injected kind in every API version of SPEC §4, as YAML and as JSON; one Deployment per
 * tricky scalar ({@link #SCALARS}: YAML 1.1 booleans and nulls in any case, numbers Go reads, base-60 look-alikes,
 * timestamps, indicators, control characters, unicode), written quoted everywhere and bare where YAML allows it;
 * the {@code sidecar.istio.io/inject} values on the workload and on the pod template; a ConfigMap and a deep CRD
 * (nesting past 50 levels); and CRLF, byte-order-mark and non-UTF-8 variants, which cannot live in git safely.
 */
final class KubeInjectCorpus {
    /** Kind and API version of every workload SPEC §4 injects. */
    static final List<String[]> WORKLOADS = List.of(
            new String[] {"Deployment", "apps/v1"}, new String[] {"Deployment", "apps/v1beta1"},
            new String[] {"Deployment", "apps/v1beta2"}, new String[] {"Deployment", "extensions/v1beta1"},
            new String[] {"StatefulSet", "apps/v1"}, new String[] {"StatefulSet", "apps/v1beta1"},
            new String[] {"StatefulSet", "apps/v1beta2"},
            new String[] {"DaemonSet", "apps/v1"}, new String[] {"DaemonSet", "apps/v1beta2"},
            new String[] {"DaemonSet", "extensions/v1beta1"},
            new String[] {"ReplicaSet", "apps/v1"}, new String[] {"ReplicaSet", "apps/v1beta2"},
            new String[] {"ReplicaSet", "extensions/v1beta1"},
            new String[] {"Job", "batch/v1"},
            new String[] {"CronJob", "batch/v1"}, new String[] {"CronJob", "batch/v1beta1"}, new String[] {"CronJob", "batch/v2alpha1"},
            new String[] {"Pod", "v1"}, new String[] {"ReplicationController", "v1"});

    /** Strings whose meaning a YAML 1.1 reader, a YAML 1.2 reader and Go's yaml.v2 disagree on, or that need care to write. */
    static final List<String> SCALARS = List.of(
            "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
            "true", "True", "TRUE", "false", "False", "FALSE", "~", "null", "Null", "NULL", "",
            "0x1F", "0o17", "017", "08", "0b101", "1e3", "1E3", "1.5e-3", ".5", "-.5", "+12", "-0", "1_000", "0.", "123",
            ".inf", ".Inf", "-.inf", ".nan", ".NaN",
            "22:30", "1:20", "12:30:45", "190:20:30", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5",
            " true ", "true ", " lead", "trail ",
            "=", "<<", "-", "---", "...", "# hash", "a #b", "a: b", "a:b", "- item", "[x]", "{x}", "&a", "*a", "!tag", "|", "> x",
            "@at", "`tick", "%pct", "?q", "\"dq\"", "'sq'", "back\\slash",
            "multi\nline", "trailing\n", "\ttab", "with\u001bESC", "\u0001ctl", "del\u007f", "nel\u0085", "ls\u2028ps\u2029",
            "bom\ufeff", "café", "日本語", "😀", "e\u0301", "\u00a0nbsp");

    private final Path dir;
    private int next = 1;

    private KubeInjectCorpus(Path dir) {
        this.dir = dir;
    }

    /** Writes the whole corpus into {@code dir} (hand-written files from {@code handWritten}) and returns its files, sorted. */
    static List<Path> write(Path handWritten, Path dir) {
        KubeInjectCorpus corpus = new KubeInjectCorpus(dir);
        try {
            Files.createDirectories(dir);
            corpus.handWritten(handWritten);
            corpus.workloads();
            corpus.scalars();
            corpus.injectAnnotations();
            corpus.others();
            corpus.encodings();
            try (Stream<Path> files = Files.list(dir)) {
                return files.sorted().toList();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the corpus to " + dir, e);
        }
    }

    private void handWritten(Path from) throws IOException {
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.sorted().toList()) {
                file("hand-" + f.getFileName(), Files.readAllBytes(f));
            }
        }
    }

    private void workloads() throws IOException {
        for (String[] w : WORKLOADS) {
            String name = (w[0] + "-" + w[1]).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
            file("kind-" + name + ".yaml", workload(w[0], w[1], name, "", "", CONTAINER));
            file("kind-" + name + ".json", json(w[0], w[1], name));
        }
    }

    /** One Deployment per scalar: quoted in annotations, labels, env, args and an unknown field; bare where YAML allows. */
    private void scalars() throws IOException {
        List<String> all = new ArrayList<>();
        int i = 0;
        for (String s : SCALARS) {
            String q = doubleQuoted(s);
            StringBuilder c = new StringBuilder();
            c.append("- name: app\n  image: nginx:1.19\n  args: [").append(q);
            if (plainSafe(s) && !nonFinite(s)) {
                c.append(", ").append(s);
            }
            c.append("]\n  env:\n  - name: QUOTED\n    value: ").append(q).append('\n');
            if (plainSafe(s) && !nonFinite(s)) {
                c.append("  - name: BARE\n    value: ").append(s).append('\n');
            }
            if (printableOneLine(s)) {
                c.append("  - name: SINGLE\n    value: '").append(s.replace("'", "''")).append("'\n");
            }
            c.append("  x-corpus:\n    quoted: ").append(q).append('\n');
            if (plainSafe(s) && !nonFinite(s)) {
                c.append("    bare: ").append(s).append('\n');
                all.add("  bare-" + i + ": " + s);
            }
            all.add("  quoted-" + i + ": " + q);
            String annotations = "annotations:\n  corpus/quoted: " + q + "\n";
            file("scalar-" + String.format(Locale.ROOT, "%03d", i) + ".yaml", workload("Deployment", "apps/v1", "scalar-" + i,
                    annotations + "labels:\n  corpus: " + q + "\n", annotations, c.toString()));
            i++;
        }
        String data = String.join("\n", all) + "\n";
        file("scalars-configmap.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: scalars\ndata:\n" + data);
        file("scalars-unknown-field.yaml", workload("Deployment", "apps/v1", "scalars", "", "",
                CONTAINER + "  x-corpus:\n" + data.replaceAll("(?m)^  ", "    ")));
        // Go cannot write infinities or NaN as JSON, so kubectl refuses these; kube-inject must leave them byte for byte.
        file("scalars-nonfinite-configmap.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: nonfinite\ndata:\n  a: .inf\n  b: -.Inf\n  c: .NaN\n");
    }

    private void injectAnnotations() throws IOException {
        List<String> values = List.of("y", "Y", "yes", "YES", "on", "On", "true", "TRUE", "True", "n", "no", "off", "OFF", "false",
                "False", " true ", "", "1", "enabled");
        int i = 0;
        for (String v : values) {
            String a = "annotations:\n  sidecar.istio.io/inject: " + doubleQuoted(v) + "\n";
            file("inject-" + i + "-workload.yaml", workload("Deployment", "apps/v1", "inject-w" + i, a, "", CONTAINER));
            file("inject-" + i + "-template.yaml", workload("Deployment", "apps/v1", "inject-t" + i, "", a, CONTAINER));
            i++;
        }
        String yes = "annotations:\n  sidecar.istio.io/inject: \"true\"\n";
        String no = "annotations:\n  sidecar.istio.io/inject: \"false\"\n";
        file("inject-differ-template-yes.yaml", workload("Deployment", "apps/v1", "differ-yes", no, yes, CONTAINER));
        file("inject-differ-template-no.yaml", workload("Deployment", "apps/v1", "differ-no", yes, no, CONTAINER));
        file("inject-cronjob-template.yaml", workload("CronJob", "batch/v1beta1", "cron-t", "", yes, CONTAINER));
    }

    private void others() throws IOException {
        file("crd-deep-60.yaml", deepCrd("deep60s", 60));
        file("crd-deep-120.yaml", deepCrd("deep120s", 120));
        file("crd-deep-60.json", deepCrdJson("deepjsons", 60));
        String deep = deepCrd("streamdeeps", 70);
        file("stream-crd-then-deployment.yaml", deep + "---\n" + workload("Deployment", "apps/v1", "after-crd", "", "", CONTAINER));
    }

    /** Variants that git could change on checkout (line ends, BOM, bytes that are not UTF-8), so they are generated. */
    private void encodings() throws IOException {
        String deploy = workload("Deployment", "apps/v1", "crlf", "annotations:\n  note: \"y\"\n", "", CONTAINER);
        String service = "# a comment\napiVersion: v1\nkind: Service\nmetadata:\n  name: crlf-svc # trailing comment\nspec:\n"
                + "  ports:\n  - port: 80\n    targetPort: \"8080\"\n";
        String configMap = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: crlf-cm\ndata:\n  a: \"yes\"\n  b: 22:30\n";
        String stream = service + "---\n" + deploy + "---\n" + configMap;
        file("crlf-deployment.yaml", crlf(deploy));
        file("crlf-service.yaml", crlf(service));
        file("crlf-stream.yaml", crlf(stream));
        file("crlf-json.json", crlf(json("Deployment", "apps/v1", "crlf-json")));
        file("bom-deployment.yaml", bom(deploy));
        file("bom-service.yaml", bom(service));
        file("bom-stream.yaml", bom(stream));
        file("bom-crlf-stream.yaml", bom(crlf(stream)));
        file("bom-json.json", bom(json("Deployment", "apps/v1", "bom-json")));
        file("bom-json-configmap.json", bom("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"bom-cm\"},\"data\":{\"a\":\"y\"}}\n"));
        file("no-final-newline.yaml", deploy.stripTrailing());
        file("no-final-newline-stream.yaml", stream.stripTrailing());
        // ISO-8859-1 bytes (not UTF-8) in a document kube-inject does not inject: a value, a comment, a key.
        byte[] latin1Value = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: latin1\ndata:\n  city: \"Z\u00fcrich caf\u00e9\"\n"
                .getBytes(StandardCharsets.ISO_8859_1);
        byte[] latin1Comment = "# r\u00e9sum\u00e9 \u00a9 2017\napiVersion: v1\nkind: Service\nmetadata:\n  name: latin1-svc\nspec:\n  ports:\n  - port: 80\n"
                .getBytes(StandardCharsets.ISO_8859_1);
        file("latin1-configmap.yaml", latin1Value);
        file("latin1-comment-service.yaml", latin1Comment);
        file("latin1-crlf-configmap.yaml", crlf(new String(latin1Value, StandardCharsets.ISO_8859_1)).getBytes(StandardCharsets.ISO_8859_1));
        file("latin1-stream-with-deployment.yaml", concat(latin1Value, "---\n".getBytes(StandardCharsets.UTF_8),
                workload("Deployment", "apps/v1", "beside-latin1", "", "", CONTAINER).getBytes(StandardCharsets.UTF_8),
                "---\n".getBytes(StandardCharsets.UTF_8), latin1Comment));
        file("latin1-after-deployment.yaml", concat(workload("Deployment", "apps/v1", "before-latin1", "", "", CONTAINER)
                .getBytes(StandardCharsets.UTF_8), "---\n".getBytes(StandardCharsets.UTF_8), latin1Value));
        // A lone continuation byte and a truncated sequence in a Secret's stringData.
        file("invalid-utf8-secret.yaml", concat("apiVersion: v1\nkind: Secret\nmetadata:\n  name: bytes\nstringData:\n  a: \"x"
                .getBytes(StandardCharsets.UTF_8), new byte[] {(byte) 0x80, 'y', (byte) 0xe2, (byte) 0x82}, "\"\n".getBytes(StandardCharsets.UTF_8)));
    }

    private static final String CONTAINER = "- name: app\n  image: nginx:1.19\n  ports:\n  - containerPort: 80\n";

    /**
     * A workload of {@code kind}: {@code meta} goes into its metadata, {@code templateMeta} into its pod template's,
     * {@code containers} is the block sequence of containers (all at indent 0; indented here).
     */
    static String workload(String kind, String apiVersion, String name, String meta, String templateMeta, String containers) {
        StringBuilder y = new StringBuilder();
        y.append("apiVersion: ").append(apiVersion).append("\nkind: ").append(kind).append("\nmetadata:\n  name: ").append(name).append('\n');
        y.append(indent(meta, 2));
        String podMeta = "labels:\n  app: " + name + "\n" + templateMeta;
        String restart = kind.equals("Job") || kind.equals("CronJob") ? "restartPolicy: OnFailure\n" : "";
        String podSpec = restart + "containers:\n" + containers;
        String template = "metadata:\n" + indent(podMeta, 2) + "spec:\n" + indent(podSpec, 2);
        String selector = "selector:\n  matchLabels:\n    app: " + name + "\n";
        switch (kind) {
            case "Pod" -> {
                y.append("spec:\n").append(indent(podSpec, 2));
                return y.toString().replaceFirst("metadata:\n  name: " + name + "\n", "metadata:\n  name: " + name + "\n  labels:\n    app: " + name + "\n");
            }
            case "CronJob" -> y.append("spec:\n  schedule: \"*/5 * * * *\"\n  jobTemplate:\n    spec:\n      template:\n").append(indent(template, 8));
            case "Job" -> y.append("spec:\n  backoffLimit: 2\n  template:\n").append(indent(template, 4));
            case "ReplicationController" -> y.append("spec:\n  replicas: 1\n  selector:\n    app: ").append(name)
                    .append("\n  template:\n").append(indent(template, 4));
            case "StatefulSet" -> y.append("spec:\n  serviceName: ").append(name).append("\n  replicas: 1\n").append(indent(selector, 2))
                    .append("  template:\n").append(indent(template, 4));
            case "DaemonSet" -> y.append("spec:\n").append(indent(selector, 2)).append("  template:\n").append(indent(template, 4));
            default -> y.append("spec:\n  replicas: 2\n").append(indent(selector, 2)).append("  template:\n").append(indent(template, 4));
        }
        return y.toString();
    }

    /** The workload as pretty JSON (two-space indent, as {@code kubectl get -o json} prints it). */
    private static String json(String kind, String apiVersion, String name) {
        String container = "{\"name\": \"app\", \"image\": \"nginx:1.19\", \"env\": [{\"name\": \"A\", \"value\": \"y\"}, "
                + "{\"name\": \"B\", \"value\": \"0x1F\"}, {\"name\": \"C\", \"value\": \"22:30\"}], \"ports\": [{\"containerPort\": 80}]}";
        String restart = kind.equals("Job") || kind.equals("CronJob") ? "\"restartPolicy\": \"OnFailure\", " : "";
        String podSpec = "{" + restart + "\"containers\": [" + container + "]}";
        String labels = "{\"app\": \"" + name + "\"}";
        String template = "{\"metadata\": {\"labels\": " + labels + "}, \"spec\": " + podSpec + "}";
        String spec = switch (kind) {
            case "Pod" -> podSpec;
            case "CronJob" -> "{\"schedule\": \"*/5 * * * *\", \"jobTemplate\": {\"spec\": {\"template\": " + template + "}}}";
            case "Job" -> "{\"template\": " + template + "}";
            case "ReplicationController" -> "{\"replicas\": 1, \"selector\": " + labels + ", \"template\": " + template + "}";
            default -> "{\"replicas\": 1, \"selector\": {\"matchLabels\": " + labels + "}, \"template\": " + template + "}";
        };
        return "{\n  \"apiVersion\": \"" + apiVersion + "\",\n  \"kind\": \"" + kind + "\",\n  \"metadata\": {\n    \"name\": \"" + name
                + "\",\n    \"labels\": " + labels + ",\n    \"annotations\": {\"note\": \"on\", \"count\": \"017\"}\n  },\n  \"spec\": " + spec + "\n}\n";
    }

    /** A valid apiextensions.k8s.io/v1 CRD whose openAPIV3Schema nests {@code depth} objects. */
    private static String deepCrd(String plural, int depth) {
        StringBuilder schema = new StringBuilder();
        String pad = "";
        for (int i = 0; i < depth; i++) {
            schema.append(pad).append("type: object\n").append(pad).append("properties:\n").append(pad).append("  l").append(i).append(":\n");
            pad += "    ";
        }
        schema.append(pad).append("type: string\n").append(pad).append("enum: [\"y\", \"n\", \"22:30\"]\n");
        return "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: " + plural + ".corpus.example.com\n"
                + "spec:\n  group: corpus.example.com\n  scope: Namespaced\n  names:\n    plural: " + plural + "\n    kind: " + plural
                + "\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n" + indent(schema.toString(), 8);
    }

    private static String deepCrdJson(String plural, int depth) {
        String schema = "{\"type\":\"string\"}";
        for (int i = depth - 1; i >= 0; i--) {
            schema = "{\"type\":\"object\",\"properties\":{\"l" + i + "\":" + schema + "}}";
        }
        return "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\",\"metadata\":{\"name\":\"" + plural
                + ".corpus.example.com\"},\"spec\":{\"group\":\"corpus.example.com\",\"scope\":\"Namespaced\",\"names\":{\"plural\":\"" + plural
                + "\",\"kind\":\"" + plural + "\"},\"versions\":[{\"name\":\"v1\",\"served\":true,\"storage\":true,\"schema\":{\"openAPIV3Schema\":"
                + schema + "}}]}}\n";
    }

    /** A YAML double-quoted scalar for {@code s}: escapes for quotes, backslashes and every non-printable character. */
    static String doubleQuoted(String s) {
        StringBuilder q = new StringBuilder("\"");
        s.codePoints().forEach(cp -> {
            if (cp == '"' || cp == '\\') {
                q.append('\\').appendCodePoint(cp);
            } else if (cp < 0x20 || cp == 0x7f || cp >= 0x80 && cp < 0xa0 || cp == 0x2028 || cp == 0x2029 || cp == 0xfeff) {
                q.append(String.format(Locale.ROOT, "\\u%04x", cp));
            } else {
                q.appendCodePoint(cp);
            }
        });
        return q.append('"').toString();
    }

    /** Whether {@code s} can be written as a plain (unquoted) block scalar at all; what it then means is kubectl's business. */
    private static boolean plainSafe(String s) {
        return !s.isEmpty() && printableOneLine(s) && !Character.isWhitespace(s.charAt(0)) && !Character.isWhitespace(s.charAt(s.length() - 1))
                && s.charAt(0) != '\u00a0' && "-?:,[]{}#&*!|>'\"%@`".indexOf(s.charAt(0)) < 0 && !s.contains(": ") && !s.contains(" #")
                && !s.endsWith(":") && !s.equals("---") && !s.equals("...") && s.indexOf('\ufeff') < 0 || s.equals("-0") || s.equals("-.5");
    }

    private static boolean printableOneLine(String s) {
        return s.codePoints().allMatch(cp -> cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp < 0xa0) && cp != 0x2028 && cp != 0x2029 && cp != 0xfeff);
    }

    private static boolean nonFinite(String s) {
        return s.toLowerCase(Locale.ROOT).matches("[-+]?\\.(inf|nan)");
    }

    static String indent(String text, int n) {
        return text.isEmpty() ? "" : text.replaceAll("(?m)^(?=.)", " ".repeat(n));
    }

    private static String crlf(String text) {
        return text.replace("\n", "\r\n");
    }

    private static byte[] bom(String text) {
        return concat(new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf}, text.getBytes(StandardCharsets.UTF_8));
    }

    private void file(String name, String text) throws IOException {
        file(name, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Numbered so files sort in the order written and a failure report names the case. */
    private void file(String name, byte[] bytes) throws IOException {
        Files.write(dir.resolve(String.format(Locale.ROOT, "%03d-%s", next++, name)), bytes);
    }
}
