package io.sidecarinitializer.webhook;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.sidecarinitializer.inject.Injection;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Writes our CA into {@code clientConfig.caBundle} of every webhook of our MutatingWebhookConfiguration, as Istio
 * and Linkerd do, with one JSON Patch. Each change is guarded by a {@code test} of the webhook's name, so an
 * edit that reorders the list between our read and our write fails instead of landing on the wrong entry.
 * {@code admissionregistration.k8s.io/v1} first, {@code v1beta1} for API servers before 1.16.
 */
final class WebhookCaBundle {
    private static final String GROUP = "admissionregistration.k8s.io";
    private static final List<String> VERSIONS = List.of("v1", "v1beta1");
    private static final String KIND = "MutatingWebhookConfiguration";

    private final KubernetesClient client;
    private final String name;
    private final ObjectMapper json = new ObjectMapper();

    WebhookCaBundle(KubernetesClient client, String name) {
        this.client = client;
        this.name = name;
    }

    /** What one attempt found. */
    enum Result { WRITTEN, ALREADY_SET, NOT_FOUND }

    String describe() {
        return KIND + " " + name;
    }

    /** Makes every webhook entry trust {@code caBundlePem}. */
    Result write(String caBundlePem) {
        String wanted = Base64.getEncoder().encodeToString(caBundlePem.getBytes(StandardCharsets.US_ASCII));
        for (String version : VERSIONS) {
            // Named outright rather than found through discovery: one request less, and the plural is fixed.
            ResourceDefinitionContext type = new ResourceDefinitionContext.Builder().withGroup(GROUP).withVersion(version)
                    .withKind(KIND).withPlural("mutatingwebhookconfigurations").withNamespaced(false).build();
            GenericKubernetesResource config;
            try {
                config = client.genericKubernetesResources(type).withName(name).get();
            } catch (KubernetesClientException e) {
                if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
                    continue; // this API version is not served
                }
                throw e;
            }
            if (config == null) {
                continue;
            }
            List<Map<String, Object>> ops = patch(config, wanted);
            if (ops.isEmpty()) {
                return Result.ALREADY_SET;
            }
            try {
                client.genericKubernetesResources(type).withName(name)
                        .patch(PatchContext.of(PatchType.JSON), json.writeValueAsString(ops));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("cannot write a JSON Patch: " + e.getMessage(), e);
            }
            return Result.WRITTEN;
        }
        return Result.NOT_FOUND;
    }

    /** The operations that set caBundle where it differs; none when every entry already has it. */
    static List<Map<String, Object>> patch(GenericKubernetesResource config, String wantedBase64) {
        List<Map<String, Object>> ops = new ArrayList<>();
        Object webhooks = config.getAdditionalProperties().get("webhooks");
        if (!(webhooks instanceof List<?> list)) {
            return ops;
        }
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof Map<?, ?> webhook)) {
                continue;
            }
            Map<?, ?> clientConfig = webhook.get("clientConfig") instanceof Map<?, ?> c ? c : null;
            if (clientConfig != null && wantedBase64.equals(clientConfig.get("caBundle"))) {
                continue;
            }
            String at = "/webhooks/" + i;
            ops.add(Injection.op("test", at + "/name", webhook.get("name")));
            ops.add(clientConfig == null
                    ? Injection.op("add", at + "/clientConfig", Map.of("caBundle", wantedBase64))
                    : Injection.op("add", at + "/clientConfig/caBundle", wantedBase64));
        }
        return ops;
    }
}
