package io.sidecarinitializer.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.sidecarinitializer.kube.GzipResponses;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The controller's informers ask for gzip ({@link GzipResponses}); this checks, against a real kube-apiserver,
 * that the server compresses a large list when asked and that the list reads back intact, and that a small
 * response (the server compresses only those over 128 KiB) passes through as it came.
 */
@RealKubeApiServer
class GzipListIT {
    @Test
    void aLargeListArrivesCompressedAndReadsBackIntact(KubeEnvironment env) throws Exception {
        String namespace = env.freshNamespace("gzip");
        List<ConfigMap> created = IntStream.range(0, 40).mapToObj(i -> new ConfigMapBuilder()
                .withNewMetadata().withName("cm-" + i).withNamespace(namespace).endMetadata()
                .withData(Map.of("payload", ("line " + i + "\n").repeat(700))).build()).toList();

        // The first byte of each response body as it came off the wire, per method and path: this interceptor is
        // added after GzipResponses, so its consumer sees the body before GzipResponses decompresses it.
        Map<String, Integer> firstByte = new ConcurrentHashMap<>();
        Interceptor wire = new Interceptor() {
            @Override
            public AsyncBody.Consumer<List<ByteBuffer>> consumer(AsyncBody.Consumer<List<ByteBuffer>> consumer, HttpRequest request) {
                return (chunks, body) -> {
                    chunks.stream().filter(ByteBuffer::hasRemaining).findFirst().ifPresent(b ->
                            firstByte.putIfAbsent(request.method() + " " + request.uri().getPath(), b.get(b.position()) & 0xff));
                    consumer.consume(chunks, body);
                };
            }
        };
        Config config = Config.fromKubeconfig(Files.readString(env.kubectl().kubeconfig()));
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config)
                .withHttpClientFactory(new JdkHttpClientFactory())
                .withHttpClientBuilderConsumer(b -> b
                        .addOrReplaceInterceptor(GzipResponses.NAME, new GzipResponses())
                        .addOrReplaceInterceptor("wire", wire))
                .build()) {
            created.forEach(cm -> client.configMaps().inNamespace(namespace).resource(cm).create());

            List<ConfigMap> listed = client.configMaps().inNamespace(namespace).list().getItems();
            ConfigMap one = client.configMaps().inNamespace(namespace).withName("cm-0").get();

            assertThat(listed).extracting(cm -> cm.getMetadata().getName())
                    .containsExactlyInAnyOrderElementsOf(created.stream().map(cm -> cm.getMetadata().getName()).toList());
            assertThat(listed).allSatisfy(cm -> assertThat(cm.getData()).isEqualTo(
                    created.get(Integer.parseInt(cm.getMetadata().getName().substring(3))).getData()));
            assertThat(one.getData()).isEqualTo(created.get(0).getData());
        }
        assertThat(firstByte).as("first byte on the wire, per request")
                .containsEntry("GET /api/v1/namespaces/" + namespace + "/configmaps", 0x1f)
                .containsEntry("GET /api/v1/namespaces/" + namespace + "/configmaps/cm-0", (int) '{');
    }
}
