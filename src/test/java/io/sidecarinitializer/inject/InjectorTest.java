package io.sidecarinitializer.inject;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sidecarinitializer.config.InjectConfigParser;
import io.sidecarinitializer.config.MeshConfig;
import io.sidecarinitializer.yaml.KubeYaml;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The engine front doors share: evaluate is pure, applyTo only appends, and bad shapes fail naming the field. */
class InjectorTest {
    private static final Injector DEFAULTS = new Injector(InjectConfigParser.parse(""), MeshConfig.defaults());
    private final KubeYaml yaml = new KubeYaml();

    @SuppressWarnings("unchecked")
    private Workload workload(String text) {
        return Workload.of((Map<String, Object>) yaml.load(text), "default").orElseThrow();
    }

    private static final String DEPLOYMENT = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: app
            spec:
              template:
                spec:
                  containers:
                  - name: app
                    image: nginx
            """;

    @Test
    void evaluatingAndRenderingThePatchLeaveTheObjectAlone() {
        Workload w = workload(DEPLOYMENT);
        String before = yaml.dump(w.root());

        Injector.Outcome outcome = DEFAULTS.evaluate(w);
        outcome.injection().orElseThrow().jsonPatch();

        assertThat(outcome.reason()).isEqualTo(Reason.POLICY_ENABLED);
        assertThat(yaml.dump(w.root())).isEqualTo(before);
    }

    @Test
    void applyingTwiceIsPreventedByTheDecisionNotByLuck() {
        Workload w = workload(DEPLOYMENT);
        DEFAULTS.evaluate(w).injection().orElseThrow().applyTo();

        Injector.Outcome again = DEFAULTS.evaluate(w);

        assertThat(again.reason()).isEqualTo(Reason.ALREADY_INJECTED);
        assertThat(again.injected()).isFalse();
        assertThat(w.podSpecList("containers")).extracting(c -> c.get("name")).containsExactly("app", "istio-proxy");
    }

    @Test
    @SuppressWarnings("unchecked")
    void theStatusNamesExactlyWhatWasAddedAsJson() throws Exception {
        Injector coreDump = new Injector(InjectConfigParser.parse("params:\n  enableCoreDump: true\n  version: 9.9.9\n"), MeshConfig.defaults());
        Injection injection = coreDump.evaluate(workload(DEPLOYMENT)).injection().orElseThrow();

        Map<String, Object> status = new ObjectMapper().readValue(injection.status(), Map.class);

        assertThat(status).containsExactly(
                Map.entry("version", "9.9.9"),
                Map.entry("initContainers", List.of("istio-init", "enable-core-dump")),
                Map.entry("containers", List.of("istio-proxy")),
                Map.entry("volumes", List.of("istio-envoy", "istio-certs")));
    }

    @Test
    void aVersionWithQuotesStillGivesValidStatusJson() throws Exception {
        Injector odd = new Injector(InjectConfigParser.parse("params:\n  version: 'v1 \"beta\" \\ x'\n"), MeshConfig.defaults());

        String status = odd.evaluate(workload(DEPLOYMENT)).injection().orElseThrow().status();

        assertThat(new ObjectMapper().readTree(status).get("version").asText()).isEqualTo("v1 \"beta\" \\ x");
    }

    @Test
    void aNameTheSidecarNeedsThatIsTakenFailsNamingTheListAndTheName() {
        Workload cronJob = workload("""
                apiVersion: batch/v1
                kind: CronJob
                metadata:
                  name: nightly
                spec:
                  schedule: "@daily"
                  jobTemplate:
                    spec:
                      template:
                        spec:
                          initContainers:
                          - name: istio-init
                            image: mine
                          containers:
                          - name: job
                            image: busybox
                """);

        assertThatThrownBy(() -> DEFAULTS.evaluate(cronJob))
                .isInstanceOf(InjectionException.class)
                .hasMessage("cronjob/nightly: spec.jobTemplate.spec.template.spec.initContainers already has an entry named 'istio-init',"
                        + " which the sidecar needs");
    }

    @Test
    void aMissingPodTemplateFailsNamingTheField() {
        Workload noTemplate = workload("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  replicas: 1\n");

        assertThatThrownBy(() -> DEFAULTS.evaluate(noTemplate))
                .isInstanceOf(InjectionException.class)
                .hasMessageContaining("deployment/app").hasMessageContaining("spec.template");
    }

    @Test
    void aContainerThatIsNotAMappingFailsNamingItsIndex() {
        Workload w = workload(DEPLOYMENT.replace("  - name: app\n        image: nginx\n", "  - name: app\n        image: nginx\n      - just-a-string\n"));

        assertThatThrownBy(() -> DEFAULTS.evaluate(w))
                .isInstanceOf(InjectionException.class)
                .hasMessageContaining("spec.template.spec.containers[1] must be a mapping");
    }

    @Test
    void theDeprecatedServiceAccountFieldAlsoNamesTheCertificates() {
        Workload w = workload(DEPLOYMENT.replace("      containers:\n", "      serviceAccount: ratings\n      containers:\n"));

        Injection injection = DEFAULTS.evaluate(w).injection().orElseThrow();
        injection.applyTo();

        assertThat(w.podSpecList("volumes")).filteredOn(v -> "istio-certs".equals(v.get("name")))
                .singleElement().extracting(v -> ((Map<?, ?>) v.get("secret")).get("secretName")).isEqualTo("istio.ratings");
    }
}
