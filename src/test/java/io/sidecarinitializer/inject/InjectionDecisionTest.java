package io.sidecarinitializer.inject;

import static org.assertj.core.api.Assertions.assertThat;

import io.sidecarinitializer.config.InjectConfig;
import io.sidecarinitializer.config.InjectConfigParser;
import io.sidecarinitializer.yaml.KubeYaml;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** SPEC §3, rule by rule: the truth table, annotation spellings, namespaces, and the vetoes. */
class InjectionDecisionTest {
    private static final String OMITTED = "<omitted>";

    /** A Deployment in {@code namespace} (null: none given) with the inject annotation as raw YAML text (null: omitted). */
    private static Workload deployment(String namespace, String annotationYaml, String podSpecYaml) {
        StringBuilder y = new StringBuilder("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n");
        if (namespace != null) {
            y.append("  namespace: ").append(namespace).append('\n');
        }
        if (annotationYaml != null) {
            y.append("  annotations:\n    sidecar.istio.io/inject: ").append(annotationYaml).append('\n');
        }
        y.append("spec:\n  template:\n    metadata:\n      labels:\n        app: app\n    spec:\n");
        y.append(podSpecYaml == null ? "      containers:\n      - name: app\n        image: nginx\n" : podSpecYaml);
        return workload(y.toString(), "default");
    }

    @SuppressWarnings("unchecked")
    private static Workload workload(String yaml, String defaultNamespace) {
        Map<String, Object> root = (Map<String, Object>) new KubeYaml().load(yaml);
        return Workload.of(root, defaultNamespace).orElseThrow(() -> new AssertionError("not a workload: " + yaml));
    }

    private static InjectConfig config(String yaml) {
        return InjectConfigParser.parse(yaml);
    }

    private static Reason decide(String configYaml, Workload workload) {
        return InjectionDecision.decide(config(configYaml), workload);
    }

    @ParameterizedTest(name = "policy {0}, annotation {1} -> injected {2} ({3})")
    @CsvSource({
        "off,      <omitted>, false, POLICY_OFF",
        "off,      'false',   false, POLICY_OFF",
        "off,      'true',    false, POLICY_OFF",
        "disabled, <omitted>, false, POLICY_DISABLED",
        "disabled, 'false',   false, ANNOTATION_DISABLED",
        "disabled, 'true',    true,  ANNOTATION_ENABLED",
        "enabled,  <omitted>, true,  POLICY_ENABLED",
        "enabled,  'false',   false, ANNOTATION_DISABLED",
        "enabled,  'true',    true,  ANNOTATION_ENABLED",
    })
    void followsTheTruthTable(String policy, String annotation, boolean injected, Reason reason) {
        String yaml = annotation.equals(OMITTED) ? null : "\"" + annotation + "\"";

        Reason actual = decide("policy: \"" + policy + "\"", deployment(null, yaml, null));

        assertThat(actual).isEqualTo(reason);
        assertThat(actual.inject()).isEqualTo(injected);
    }

    /** Raw YAML as a user writes it: unquoted {@code yes}/{@code on}/{@code TRUE} arrive as a Boolean. */
    @ParameterizedTest(name = "sidecar.istio.io/inject: {0}")
    @ValueSource(strings = {"y", "\"y\"", "Y", "yes", "\"yes\"", "\"YES\"", "Yes", "true", "\"true\"", "TRUE", "\"True\"",
        "on", "\"on\"", "\"ON\"", "On", "\"yEs\""})
    void annotationValuesThatMeanYesInject(String yamlValue) {
        Workload w = deployment(null, yamlValue, null);

        assertThat(decide("policy: disabled", w)).isEqualTo(Reason.ANNOTATION_ENABLED);
        assertThat(decide("policy: enabled", w)).isEqualTo(Reason.ANNOTATION_ENABLED);
    }

    @ParameterizedTest(name = "sidecar.istio.io/inject: {0}")
    @ValueSource(strings = {"\"false\"", "false", "\"no\"", "no", "n", "off", "\"\"", "\"garbage\"", "\"1\"", "1", "~",
        "\"yes please\"", "\"t\""})
    void anyOtherAnnotationValueSkipsWhateverThePolicy(String yamlValue) {
        Workload w = deployment(null, yamlValue, null);

        assertThat(decide("policy: enabled", w)).isEqualTo(Reason.ANNOTATION_DISABLED);
        assertThat(decide("policy: disabled", w)).isEqualTo(Reason.ANNOTATION_DISABLED);
    }

    @Test
    @SuppressWarnings("unchecked")
    void aBooleanTrueAnnotationBuiltInCodeInjects() {
        Workload w = deployment(null, null, null);
        Map<String, Object> annotations = new LinkedHashMap<>();
        annotations.put(InjectionDecision.INJECT_ANNOTATION, Boolean.TRUE);
        ((Map<String, Object>) w.root().get("metadata")).put("annotations", annotations);

        assertThat(decide("policy: disabled", w)).isEqualTo(Reason.ANNOTATION_ENABLED);
    }

    /** A Deployment with the inject annotation as raw YAML on the workload and on its pod template (null: omitted). */
    private static Workload annotatedTwice(String ownYaml, String templateYaml) {
        StringBuilder y = new StringBuilder("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n");
        if (ownYaml != null) {
            y.append("  annotations:\n    sidecar.istio.io/inject: ").append(ownYaml).append('\n');
        }
        y.append("spec:\n  template:\n    metadata:\n");
        if (templateYaml != null) {
            y.append("      annotations:\n        sidecar.istio.io/inject: ").append(templateYaml).append('\n');
        }
        y.append("      labels:\n        app: app\n    spec:\n      containers:\n      - name: app\n        image: nginx\n");
        return workload(y.toString(), "default");
    }

    @ParameterizedTest(name = "policy {0}, workload {1}, pod template {2} -> {3}")
    @CsvSource({
        "disabled, <omitted>, 'true',    TEMPLATE_ANNOTATION_ENABLED",
        "enabled,  <omitted>, 'false',   TEMPLATE_ANNOTATION_DISABLED",
        "enabled,  <omitted>, 'garbage', TEMPLATE_ANNOTATION_DISABLED",
        "disabled, <omitted>, 'YES',     TEMPLATE_ANNOTATION_ENABLED",
        "disabled, 'true',    'true',    TEMPLATE_ANNOTATION_ENABLED",
        "enabled,  'no',      'false',   TEMPLATE_ANNOTATION_DISABLED",
        "disabled, 'on',      'yes',     TEMPLATE_ANNOTATION_ENABLED",
        "disabled, 'false',   'true',    TEMPLATE_ANNOTATION_OVERRIDES_ENABLED",
        "enabled,  'true',    'false',   TEMPLATE_ANNOTATION_OVERRIDES_DISABLED",
        "enabled,  'yes',     'off',     TEMPLATE_ANNOTATION_OVERRIDES_DISABLED",
        "disabled, 'true',    <omitted>, ANNOTATION_ENABLED",
        "enabled,  'false',   <omitted>, ANNOTATION_DISABLED",
        "off,      'true',    'true',    POLICY_OFF",
    })
    void theAnnotationCountsOnTheWorkloadAndOnThePodTemplateWhoseWins(String policy, String own, String onTemplate, Reason reason) {
        Workload w = annotatedTwice(own.equals(OMITTED) ? null : "\"" + own + "\"",
                onTemplate.equals(OMITTED) ? null : "\"" + onTemplate + "\"");

        assertThat(decide("policy: \"" + policy + "\"", w)).isEqualTo(reason);
    }

    @Test
    void aReasonThatOverridesSaysSoAndWhereTheWinningAnnotationIs() {
        assertThat(Reason.TEMPLATE_ANNOTATION_OVERRIDES_DISABLED.description())
                .startsWith("pod template annotation").contains("overrides the workload's");
        assertThat(Reason.TEMPLATE_ANNOTATION_ENABLED.description()).startsWith("pod template annotation").doesNotContain("overrides");
    }

    @Test
    void aPodTemplateAnnotationDoesNotEscapeTheVetoes() {
        Workload w = workload("""
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: app
                spec:
                  template:
                    metadata:
                      annotations:
                        sidecar.istio.io/inject: "true"
                    spec:
                      hostNetwork: true
                      containers:
                      - name: app
                        image: nginx
                """, "default");

        assertThat(decide("policy: disabled", w)).isEqualTo(Reason.HOST_NETWORK);
    }

    @Test
    void aPodsOwnAnnotationIsItsAnnotation() {
        Workload pod = workload("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: p
                  annotations:
                    sidecar.istio.io/inject: "false"
                spec:
                  containers:
                  - name: app
                    image: nginx
                """, "default");

        assertThat(decide("policy: enabled", pod)).isEqualTo(Reason.ANNOTATION_DISABLED);
    }

    @Test
    void aCronJobsPodTemplateAnnotationIsTheJobTemplatesPodTemplate() {
        Workload w = workload("""
                apiVersion: batch/v1
                kind: CronJob
                metadata:
                  name: nightly
                  annotations:
                    sidecar.istio.io/inject: "true"
                spec:
                  schedule: "0 3 * * *"
                  jobTemplate:
                    metadata:
                      annotations:
                        sidecar.istio.io/inject: "true"
                    spec:
                      template:
                        metadata:
                          annotations:
                            sidecar.istio.io/inject: "false"
                        spec:
                          restartPolicy: OnFailure
                          containers:
                          - name: job
                            image: busybox
                """, "default");

        assertThat(decide("policy: enabled", w)).isEqualTo(Reason.TEMPLATE_ANNOTATION_OVERRIDES_DISABLED);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"kube-system", "kube-public", "istio-system"})
    void systemNamespacesAreNeverTouchedEvenWhenListedAndAsked(String namespace) {
        Workload asked = deployment(namespace, "\"true\"", null);

        assertThat(decide("", asked)).isEqualTo(Reason.SYSTEM_NAMESPACE);
        assertThat(decide("namespaces: [kube-system, kube-public, istio-system]", asked)).isEqualTo(Reason.SYSTEM_NAMESPACE);
        assertThat(decide("policy: disabled\nexcludeNamespaces: [other]", asked)).isEqualTo(Reason.SYSTEM_NAMESPACE);
    }

    @Test
    void excludedNamespacesAreSkippedEvenWhenAsked() {
        String config = "excludeNamespaces: [legacy, batch]";

        assertThat(decide(config, deployment("legacy", "\"true\"", null))).isEqualTo(Reason.EXCLUDED_NAMESPACE);
        assertThat(decide(config, deployment("batch", null, null))).isEqualTo(Reason.EXCLUDED_NAMESPACE);
        assertThat(decide(config, deployment("shop", null, null))).isEqualTo(Reason.POLICY_ENABLED);
    }

    static Stream<Arguments> namespaceLists() {
        return Stream.of(
                Arguments.of("namespaces: [shop, blog]", "shop", Reason.POLICY_ENABLED),
                Arguments.of("namespaces: [shop, blog]", "blog", Reason.POLICY_ENABLED),
                Arguments.of("namespaces: [shop, blog]", "default", Reason.NAMESPACE_NOT_INCLUDED),
                Arguments.of("namespaces: [shop]", "shopping", Reason.NAMESPACE_NOT_INCLUDED),
                Arguments.of("namespaces: [\"\"]", "anything", Reason.POLICY_ENABLED),
                Arguments.of("namespaces: [shop, \"\"]", "anything", Reason.POLICY_ENABLED),
                Arguments.of("", "anything", Reason.POLICY_ENABLED));
    }

    @ParameterizedTest(name = "{0}, namespace {1} -> {2}")
    @MethodSource("namespaceLists")
    void actsOnlyInTheListedNamespacesUnlessTheListHoldsTheEmptyString(String config, String namespace, Reason expected) {
        assertThat(decide(config, deployment(namespace, null, null))).isEqualTo(expected);
    }

    @Test
    void anAnnotationCannotPullAWorkloadIntoANamespaceThatIsNotListed() {
        assertThat(decide("namespaces: [shop]", deployment("blog", "\"true\"", null))).isEqualTo(Reason.NAMESPACE_NOT_INCLUDED);
    }

    /** First match wins: policy off is rule 4, after the three namespace rules. */
    @ParameterizedTest(name = "{0} in {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
        "policy: off                             | kube-system | SYSTEM_NAMESPACE",
        "policy: off\\nexcludeNamespaces: [legacy] | legacy      | EXCLUDED_NAMESPACE",
        "policy: off\\nnamespaces: [shop]          | blog        | NAMESPACE_NOT_INCLUDED",
        "policy: off\\nnamespaces: [shop]          | shop        | POLICY_OFF",
    })
    void policyOffRanksAfterTheNamespaceRules(String config, String namespace, Reason expected) {
        Workload asked = deployment(namespace, "\"true\"", null);

        assertThat(decide(config.replace("\\n", "\n"), asked)).isEqualTo(expected);
    }

    private static final String HOST_NETWORK_POD = """
                  hostNetwork: true
                  containers:
                  - name: app
                    image: nginx
            """;

    @Test
    void hostNetworkPodsAreSkippedEvenWhenAsked() {
        assertThat(decide("", deployment(null, null, HOST_NETWORK_POD))).isEqualTo(Reason.HOST_NETWORK);
        assertThat(decide("policy: disabled", deployment(null, "\"true\"", HOST_NETWORK_POD))).isEqualTo(Reason.HOST_NETWORK);
        assertThat(decide("", deployment(null, null, HOST_NETWORK_POD.replace("true", "false")))).isEqualTo(Reason.POLICY_ENABLED);
    }

    @Test
    void aSkipByAnEarlierRuleIsReportedAsThatRuleNotAsHostNetwork() {
        assertThat(decide("", deployment(null, "\"false\"", HOST_NETWORK_POD))).isEqualTo(Reason.ANNOTATION_DISABLED);
        assertThat(decide("policy: disabled", deployment(null, null, HOST_NETWORK_POD))).isEqualTo(Reason.POLICY_DISABLED);
    }

    @Test
    void hostNetworkIsFoundInACronJobsNestedTemplate() {
        Workload cronJob = workload("""
                apiVersion: batch/v1
                kind: CronJob
                metadata:
                  name: nightly
                spec:
                  schedule: "0 3 * * *"
                  jobTemplate:
                    spec:
                      template:
                        spec:
                          hostNetwork: true
                          containers:
                          - name: job
                            image: busybox
                """, "default");

        assertThat(decide("", cronJob)).isEqualTo(Reason.HOST_NETWORK);
    }

    @Test
    void aStatusAnnotationOnTheWorkloadMarksItInjected() {
        Workload w = workload("""
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: app
                  annotations:
                    sidecar.istio.io/status: '{"version":"0.2.5"}'
                spec:
                  template:
                    spec:
                      containers:
                      - name: app
                        image: nginx
                """, "default");

        assertThat(decide("", w)).isEqualTo(Reason.ALREADY_INJECTED);
    }

    @Test
    void aStatusAnnotationOnThePodTemplateMarksItInjected() {
        Workload w = workload("""
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: app
                spec:
                  template:
                    metadata:
                      annotations:
                        sidecar.istio.io/status: injected-version-0.2.6
                    spec:
                      containers:
                      - name: app
                        image: nginx
                """, "default");

        assertThat(decide("", w)).isEqualTo(Reason.ALREADY_INJECTED);
    }

    @Test
    void anIstioProxyContainerMarksItInjectedWhateverItsPosition() {
        String proxyFirst = """
                      containers:
                      - name: istio-proxy
                        image: docker.io/istio/proxy:0.2.6
                      - name: app
                        image: nginx
                """;

        assertThat(decide("policy: disabled", deployment(null, "\"true\"", proxyFirst))).isEqualTo(Reason.ALREADY_INJECTED);
        assertThat(decide("", deployment(null, null, proxyFirst.replace("istio-proxy", "my-proxy")))).isEqualTo(Reason.POLICY_ENABLED);
    }

    @Test
    void hostNetworkIsReportedBeforeAlreadyInjected() {
        String both = """
                      hostNetwork: true
                      containers:
                      - name: istio-proxy
                        image: docker.io/istio/proxy:0.2.6
                """;

        assertThat(decide("", deployment(null, null, both))).isEqualTo(Reason.HOST_NETWORK);
    }

    @Test
    void aWorkloadWithoutANamespaceIsInTheDefaultNamespaceGivenToWorkloadOf() {
        String noNamespace = """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: p
                spec:
                  containers:
                  - name: app
                    image: nginx
                """;

        assertThat(workload(noNamespace, "shop").namespace()).isEqualTo("shop");
        assertThat(decide("namespaces: [shop]", workload(noNamespace, "shop"))).isEqualTo(Reason.POLICY_ENABLED);
        assertThat(decide("namespaces: [shop]", workload(noNamespace, "blog"))).isEqualTo(Reason.NAMESPACE_NOT_INCLUDED);
        assertThat(decide("", workload(noNamespace, "kube-system"))).isEqualTo(Reason.SYSTEM_NAMESPACE);
        assertThat(decide("", workload(noNamespace.replace("  name: p\n", "  name: p\n  namespace: \"\"\n"), "kube-public")))
                .as("an empty namespace is no namespace").isEqualTo(Reason.SYSTEM_NAMESPACE);
    }

    @Test
    void aNamespaceOnTheObjectWinsOverTheDefault() {
        Workload w = deployment("blog", null, null);

        assertThat(w.namespace()).isEqualTo("blog");
        assertThat(decide("namespaces: [default]", w)).isEqualTo(Reason.NAMESPACE_NOT_INCLUDED);
    }

    @Test
    void onlyInjectingReasonsSayInject() {
        assertThat(Stream.of(Reason.values()).filter(Reason::inject).toList())
                .containsExactlyInAnyOrder(Reason.ANNOTATION_ENABLED, Reason.TEMPLATE_ANNOTATION_ENABLED,
                        Reason.TEMPLATE_ANNOTATION_OVERRIDES_ENABLED, Reason.POLICY_ENABLED);
        assertThat(List.of(Reason.values())).allSatisfy(r -> assertThat(r.description()).isNotBlank());
    }
}
