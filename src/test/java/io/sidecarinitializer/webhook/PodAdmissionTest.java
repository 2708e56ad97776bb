package io.sidecarinitializer.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sidecarinitializer.inject.Injector;
import io.sidecarinitializer.inject.Reason;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** SPEC §7: the answer for each pod, row by row of the status table and rule by rule of §3. */
class PodAdmissionTest {
    private static final String OMITTED = "<none>";

    /** A ReplicaSet's pod as the API server sends it: no name, no namespace, only generateName. */
    private static final String REPLICASET_POD = """
            apiVersion: v1
            kind: Pod
            metadata:
              generateName: sleep-5d8f9c6b7-
              labels:
                app: sleep
              ownerReferences:
              - apiVersion: apps/v1
                kind: ReplicaSet
                name: sleep-5d8f9c6b7
                uid: 0b1c
                controller: true
            spec:
              containers:
              - name: sleep
                image: tutum/curl
            """;

    private static Map<String, Object> podAnnotated(String value) {
        String yaml = REPLICASET_POD;
        if (value != null) {
            yaml = yaml.replace("  labels:\n", "  annotations:\n    sidecar.istio.io/inject: \"" + value + "\"\n  labels:\n");
        }
        return Reviews.pod(yaml);
    }

    private static PodAdmission.Verdict admit(String config, String namespace, Map<String, Object> pod) {
        return admit(Reviews.injector(config), false, namespace, pod);
    }

    private static PodAdmission.Verdict admit(Injector injector, boolean failClosed, String namespace, Map<String, Object> pod) {
        return new PodAdmission(() -> injector, failClosed, Reviews.JSON).admit(Reviews.parse(Reviews.podCreate(namespace, pod)));
    }

    /** §7's status table for a labeled namespace (the API server only asks for those). */
    @ParameterizedTest(name = "labeled namespace, policy {0}, pod annotation {1} -> injected {2}")
    @CsvSource({
        "enabled,  true,   true,  annotation_enabled",
        "enabled,  <none>, true,  policy_enabled",
        "enabled,  false,  false, annotation_disabled",
        "disabled, true,   true,  annotation_enabled",
        "disabled, <none>, false, policy_disabled",
        "disabled, false,  false, annotation_disabled",
    })
    void followsTheInjectionStatusTable(String policy, String annotation, boolean injected, String reason) {
        Map<String, Object> pod = podAnnotated(annotation.equals(OMITTED) ? null : annotation);

        PodAdmission.Verdict verdict = admit("policy: " + policy, "shop", pod);

        assertThat(verdict.response().allowed()).isTrue();
        assertThat(verdict.response().patch() != null).isEqualTo(injected);
        assertThat(verdict.result()).isEqualTo(injected ? AdmissionMetrics.INJECTED : AdmissionMetrics.SKIPPED);
        assertThat(verdict.reason()).isEqualTo(reason);
        assertThat(verdict.response().warnings()).isEmpty();
    }

    @Test
    void policyOffSkipsEvenAPodThatAsks() {
        PodAdmission.Verdict verdict = admit("policy: \"off\"", "shop", podAnnotated("true"));

        assertThat(verdict.response().patch()).isNull();
        assertThat(verdict.reason()).isEqualTo(Reason.POLICY_OFF.label());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"kube-system", "kube-public", "istio-system"})
    void systemNamespacesAreNeverInjectedEvenWhenLabeled(String namespace) {
        PodAdmission.Verdict verdict = admit("policy: enabled", namespace, podAnnotated("true"));

        assertThat(verdict.response().allowed()).isTrue();
        assertThat(verdict.response().patch()).isNull();
        assertThat(verdict.reason()).isEqualTo(Reason.SYSTEM_NAMESPACE.label());
    }

    @Test
    void excludeNamespacesAndNamespacesApplyToTheRequestNamespace() {
        assertThat(admit("excludeNamespaces: [legacy]", "legacy", podAnnotated("true")).reason())
                .isEqualTo(Reason.EXCLUDED_NAMESPACE.label());
        assertThat(admit("namespaces: [shop]", "blog", podAnnotated(null)).reason()).isEqualTo(Reason.NAMESPACE_NOT_INCLUDED.label());
        assertThat(admit("namespaces: [shop]", "shop", podAnnotated(null)).reason()).isEqualTo(Reason.POLICY_ENABLED.label());
    }

    @Test
    void theRequestNamespaceWinsOverAMissingOrDefaultOne() {
        // The pod names no namespace; only request.namespace says it is in kube-system.
        assertThat(admit("", "kube-system", podAnnotated(null)).reason()).isEqualTo(Reason.SYSTEM_NAMESPACE.label());
    }

    @Test
    void hostNetworkPodsAreNotInjected() {
        Map<String, Object> pod = Reviews.pod(REPLICASET_POD.replace("spec:\n", "spec:\n  hostNetwork: true\n"));

        assertThat(admit("policy: enabled", "shop", pod).reason()).isEqualTo(Reason.HOST_NETWORK.label());
    }

    @Test
    void anAlreadyInjectedPodIsNotInjectedAgain() {
        Map<String, Object> pod = podAnnotated(null);
        PodAdmission.Verdict first = admit("", "shop", pod);
        JsonNode injected = Reviews.patched(pod, first.response());

        @SuppressWarnings("unchecked")
        Map<String, Object> again = Reviews.JSON.convertValue(injected, Map.class);
        PodAdmission.Verdict second = admit("", "shop", again);

        assertThat(second.response().patch()).isNull();
        assertThat(second.reason()).isEqualTo(Reason.ALREADY_INJECTED.label());
    }

    @Nested
    class ThePatch {
        @Test
        void addsExactlyWhatSpec4AddsToAPodAndNothingElse() {
            Map<String, Object> pod = podAnnotated(null);

            JsonNode result = Reviews.patched(pod, admit("", "shop", pod).response());

            assertThat(names(result.at("/spec/initContainers"))).containsExactly("istio-init");
            assertThat(names(result.at("/spec/containers"))).containsExactly("sleep", "istio-proxy");
            assertThat(names(result.at("/spec/volumes"))).containsExactly("istio-envoy", "istio-certs");
            assertThat(result.at("/metadata/annotations/sidecar.istio.io~1status").asText())
                    .isEqualTo("{\"version\":\"golden\",\"initContainers\":[\"istio-init\"],\"containers\":[\"istio-proxy\"],"
                            + "\"volumes\":[\"istio-envoy\",\"istio-certs\"]}");
            assertThat(result.at("/spec/containers/1/args").toString()).contains("\"--serviceCluster\",\"sleep\"");
            assertThat(result.at("/spec/volumes/1/secret/secretName").asText()).isEqualTo("istio.default");
            assertThat(result.at("/metadata/generateName").asText()).isEqualTo("sleep-5d8f9c6b7-");
            assertThat(result.at("/metadata/namespace").isMissingNode()).as("namespace is the API server's to fill").isTrue();
        }

        @Test
        void createsTheArraysAndAnnotationsAPodDoesNotHaveYet() {
            Map<String, Object> pod = Reviews.pod("""
                    apiVersion: v1
                    kind: Pod
                    metadata:
                      generateName: bare-
                    spec:
                      containers:
                      - name: app
                        image: nginx
                    """);

            AdmissionResponse response = admit("", "shop", pod).response();

            JsonNode ops = Reviews.patch(response);
            assertThat(ops.toString()).contains("{\"op\":\"add\",\"path\":\"/spec/initContainers\",\"value\":[")
                    .contains("{\"op\":\"add\",\"path\":\"/spec/volumes\",\"value\":[")
                    .contains("{\"op\":\"add\",\"path\":\"/metadata/annotations\",\"value\":{\"sidecar.istio.io/status\"");
            assertThat(Reviews.patched(pod, response).at("/spec/initContainers/0/name").asText()).isEqualTo("istio-init");
        }

        @Test
        void appendsToListsAndEscapesTheAnnotationKeyWhenThePodHasThem() {
            Map<String, Object> pod = Reviews.pod("""
                    apiVersion: v1
                    kind: Pod
                    metadata:
                      name: full
                      annotations:
                        team~a/b: x
                    spec:
                      initContainers:
                      - name: migrate
                        image: flyway
                      containers:
                      - name: app
                        image: nginx
                      volumes:
                      - name: data
                        emptyDir: {}
                    """);

            AdmissionResponse response = admit("", "shop", pod).response();
            JsonNode result = Reviews.patched(pod, response);

            assertThat(Reviews.patch(response).toString()).contains("\"path\":\"/metadata/annotations/sidecar.istio.io~1status\"")
                    .contains("\"path\":\"/spec/initContainers/-\"");
            assertThat(names(result.at("/spec/initContainers"))).containsExactly("migrate", "istio-init");
            assertThat(names(result.at("/spec/volumes"))).containsExactly("data", "istio-envoy", "istio-certs");
            assertThat(result.at("/metadata/annotations/team~0a~1b").asText()).isEqualTo("x");
        }

        @Test
        void aPodWithoutMetadataGetsItWithTheStatusAnnotation() {
            Map<String, Object> pod = Reviews.pod("apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: app\n    image: nginx\n");

            JsonNode result = Reviews.patched(pod, admit("", "shop", pod).response());

            assertThat(result.at("/metadata/annotations/sidecar.istio.io~1status").isTextual()).isTrue();
        }
    }

    @Nested
    class Failures {
        /** A pod that already uses one of our names, without being injected: the engine refuses it. */
        private final Map<String, Object> taken = Reviews.pod(REPLICASET_POD.replace("spec:\n",
                "spec:\n  volumes:\n  - name: istio-envoy\n    emptyDir: {}\n"));

        @Test
        void failOpenAllowsWithoutAPatchAndSaysWhyInAWarning() {
            PodAdmission.Verdict verdict = admit(Reviews.injector(""), false, "shop", taken);

            assertThat(verdict.response().allowed()).isTrue();
            assertThat(verdict.response().patch()).isNull();
            assertThat(verdict.response().warnings()).singleElement().asString()
                    .contains("sidecar injection failed for pod shop/sleep-5d8f9c6b7-*")
                    .contains("spec.volumes already has an entry named 'istio-envoy'")
                    .contains("created without it");
            assertThat(verdict.result()).isEqualTo(AdmissionMetrics.FAILED);
            assertThat(verdict.reason()).isEqualTo(PodAdmission.INJECTION_ERROR);
        }

        @Test
        void failClosedDeniesWithAStatusMessage() {
            PodAdmission.Verdict verdict = admit(Reviews.injector(""), true, "shop", taken);

            assertThat(verdict.response().allowed()).isFalse();
            assertThat(verdict.response().patch()).isNull();
            assertThat(verdict.response().message()).contains("already has an entry named 'istio-envoy'");
            assertThat(verdict.response().code()).isEqualTo(500);
            assertThat(verdict.reason()).isEqualTo(PodAdmission.INJECTION_ERROR);
        }

        @Test
        void noValidConfigurationFailsOpen() {
            PodAdmission.Verdict verdict = admit(null, false, "shop", podAnnotated(null));

            assertThat(verdict.response().allowed()).isTrue();
            assertThat(verdict.response().warnings()).singleElement().asString().contains("no valid sidecar configuration");
            assertThat(verdict.reason()).isEqualTo(PodAdmission.NO_CONFIG);
        }

        @Test
        void aBrokenPodSpecFailsOpenNamingTheField() {
            Map<String, Object> pod = Reviews.pod("apiVersion: v1\nkind: Pod\nmetadata:\n  name: odd\nspec:\n  containers: 5\n");

            PodAdmission.Verdict verdict = admit(Reviews.injector(""), false, "shop", pod);

            assertThat(verdict.response().allowed()).isTrue();
            assertThat(verdict.response().warnings()).singleElement().asString().contains("spec.containers must be a list");
        }

        @Test
        void anUnexpectedErrorFailsOpenToo() {
            PodAdmission admission = new PodAdmission(() -> {
                throw new IllegalStateException("boom");
            }, false, Reviews.JSON);

            PodAdmission.Verdict verdict = admission.admit(Reviews.parse(Reviews.podCreate("shop", podAnnotated(null))));

            assertThat(verdict.response().allowed()).isTrue();
            assertThat(verdict.reason()).isEqualTo(PodAdmission.INTERNAL_ERROR);
        }

        @Test
        void aPatchThatCannotBeWrittenFailsOpenWithItsReason() {
            ObjectMapper failing = new ObjectMapper() {
                @Override
                public byte[] writeValueAsBytes(Object value) throws JsonProcessingException {
                    throw new JsonMappingException(null, "no serializer for the value");
                }
            };
            PodAdmission admission = new PodAdmission(() -> Reviews.injector(""), false, failing);

            PodAdmission.Verdict verdict = admission.admit(Reviews.parse(Reviews.podCreate("shop", podAnnotated(null))));

            assertThat(verdict.response().allowed()).isTrue();
            assertThat(verdict.response().patch()).isNull();
            assertThat(verdict.result()).isEqualTo(AdmissionMetrics.FAILED);
            assertThat(verdict.reason()).isEqualTo(PodAdmission.INTERNAL_ERROR);
            assertThat(verdict.response().warnings()).singleElement().asString().contains("cannot write the JSON Patch");
        }
    }

    @Nested
    class NotAPodCreate {
        @ParameterizedTest(name = "{0}")
        @ValueSource(strings = {"UPDATE", "DELETE", "CONNECT"})
        void otherOperationsAreAllowedUntouched(String operation) {
            byte[] review = Reviews.review(AdmissionRequest.V1, operation, "shop", podAnnotated("true"));

            PodAdmission.Verdict verdict = new PodAdmission(() -> Reviews.injector(""), false, Reviews.JSON).admit(Reviews.parse(review));

            assertThat(verdict.response().allowed()).isTrue();
            assertThat(verdict.response().patch()).isNull();
            assertThat(verdict.reason()).isEqualTo(PodAdmission.NOT_POD_CREATE);
        }

        @Test
        void otherKindsAndSubresourcesAreAllowedUntouched() {
            String deployment = new String(Reviews.podCreate("shop", podAnnotated(null)))
                    .replace("\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"", "\"group\":\"apps\",\"version\":\"v1\",\"kind\":\"Deployment\"");
            String binding = new String(Reviews.podCreate("shop", podAnnotated(null)))
                    .replace("\"operation\":", "\"subResource\":\"binding\",\"operation\":");
            PodAdmission admission = new PodAdmission(() -> Reviews.injector(""), false, Reviews.JSON);

            assertThat(admission.admit(Reviews.parse(deployment.getBytes())).reason()).isEqualTo(PodAdmission.NOT_POD_CREATE);
            assertThat(admission.admit(Reviews.parse(binding.getBytes())).reason()).isEqualTo(PodAdmission.NOT_POD_CREATE);
        }

        @Test
        void aPodWithNoNamespaceAnywhereIsAllowedUntouched() {
            PodAdmission.Verdict verdict = admit("", null, podAnnotated(null));

            assertThat(verdict.response().allowed()).isTrue();
            assertThat(verdict.response().patch()).isNull();
            assertThat(verdict.reason()).isEqualTo(PodAdmission.NO_NAMESPACE);
        }

        @Test
        void withoutRequestNamespaceTheObjectsOwnNamespaceCounts() {
            Map<String, Object> pod = Reviews.pod(REPLICASET_POD.replace("metadata:\n", "metadata:\n  namespace: kube-system\n"));

            assertThat(admit("", null, pod).reason()).isEqualTo(Reason.SYSTEM_NAMESPACE.label());
        }
    }

    @Test
    void podNamesForLogsUseGenerateNameAndTheControllingOwner() {
        PodName name = PodName.of(podAnnotated(null), "shop");

        assertThat(name).hasToString("shop/sleep-5d8f9c6b7-*");
        assertThat(name.owner()).isEqualTo("ReplicaSet/sleep-5d8f9c6b7");
        assertThat(PodName.of(Reviews.pod("metadata:\n  name: p\n"), "shop").owner()).isEqualTo("none");
    }

    private static List<String> names(JsonNode list) {
        List<String> names = new ArrayList<>();
        list.forEach(item -> names.add(item.get("name").asText()));
        return names;
    }
}
