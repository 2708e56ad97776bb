package io.sidecarinitializer.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ConfigMapList;
import io.fabric8.kubernetes.api.model.ConfigMapListBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sidecarinitializer.cluster.Requests;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import java.util.zip.CRC32;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

class GzipResponsesTest {
    private static final byte[] JSON = json(3000);

    @Test
    void asksForGzipOnGetsThatAreNotWatches() {
        assertThat(applies("GET", "https://k/apis/apps/v1/deployments?limit=500")).isTrue();
        assertThat(applies("GET", "https://k/apis/apps/v1/deployments")).isTrue();
        assertThat(applies("GET", "https://k/api/v1/namespaces/a/configmaps/b")).isTrue();
        assertThat(applies("GET", "https://k/apis/apps/v1/deployments?resourceVersion=5&watch=true")).isFalse();
        assertThat(applies("GET", "https://k/apis/apps/v1/deployments?watch=true&resourceVersion=5")).isFalse();
        assertThat(applies("PATCH", "https://k/apis/apps/v1/namespaces/a/deployments/b")).isFalse();
        assertThat(applies("POST", "https://k/api/v1/namespaces/a/events")).isFalse();
    }

    @Test
    void decompressesWhateverWayTheBodyIsCut() throws Exception {
        byte[] gzip = gzip(JSON);
        for (int size : new int[] {1, 2, 9, 10, 11, 1000, 65536, gzip.length}) {
            Recorder recorder = new Recorder();
            feed(new GzipResponses.Gunzip(recorder), gzip, size, recorder);
            assertThat(recorder.bytes()).as("chunks of %d bytes", size).isEqualTo(JSON);
        }
    }

    @Test
    void readsEveryOptionalHeaderFieldAndEveryMember() throws Exception {
        byte[] first = "{\"items\":[".getBytes(StandardCharsets.UTF_8);
        byte[] second = "1,2,3]}".getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(withAllHeaderFields(gzip(first)));
        body.write(gzip(second));
        for (int size : new int[] {1, 3, 1 << 20}) {
            Recorder recorder = new Recorder();
            feed(new GzipResponses.Gunzip(recorder), body.toByteArray(), size, recorder);
            assertThat(new String(recorder.bytes(), StandardCharsets.UTF_8)).isEqualTo("{\"items\":[1,2,3]}");
        }
    }

    @Test
    void passesABodyThatIsNotGzipOnUntouched() throws Exception {
        Recorder recorder = new Recorder();
        GzipResponses.Gunzip gunzip = new GzipResponses.Gunzip(recorder);
        ByteBuffer chunk = ByteBuffer.wrap(JSON);
        gunzip.consume(List.of(chunk), recorder.body);
        gunzip.consume(List.of(ByteBuffer.wrap(new byte[] {0x1f, (byte) 0x8b})), recorder.body);
        assertThat(recorder.received.get(0)).containsExactly(chunk);
        assertThat(recorder.received).hasSize(2);
    }

    @Test
    void refusesADamagedBody() {
        byte[] gzip = gzip(JSON);
        gzip[gzip.length - 6] ^= 1; // the CRC-32
        Recorder recorder = new Recorder();
        assertThatThrownBy(() -> feed(new GzipResponses.Gunzip(recorder), gzip, 4096, recorder))
                .isInstanceOf(IOException.class).hasMessageContaining("CRC-32 mismatch");

        byte[] notDeflate = gzip(JSON);
        notDeflate[10] = 0x07; // a final block of the reserved type 3
        Recorder other = new Recorder();
        assertThatThrownBy(() -> feed(new GzipResponses.Gunzip(other), notDeflate, 4096, other))
                .isInstanceOf(IOException.class).hasMessageStartingWith("cannot read the API server's gzip response")
                .hasMessageContaining("invalid block type");
    }

    /** The JDK HTTP client, fabric8 and the interceptor together, against a server that gzips when asked. */
    @Test
    void aClientListsThroughACompressingServer() throws Exception {
        KubernetesSerialization serialization = new KubernetesSerialization();
        ConfigMapList list = new ConfigMapListBuilder().withNewMetadata().withResourceVersion("7").endMetadata()
                .withItems(IntStream.range(0, 40).mapToObj(i -> new ConfigMapBuilder()
                        .withNewMetadata().withName("cm-" + i).withNamespace("ns").endMetadata()
                        .withData(Map.of("payload", "x".repeat(4000) + i)).build()).toList())
                .build();
        ConfigMap one = list.getItems().get(0);
        Map<String, String> encodings = new ConcurrentHashMap<>();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/v1/namespaces/ns/configmaps", exchange -> {
            String path = exchange.getRequestURI().getPath();
            String accept = exchange.getRequestHeaders().getFirst("Accept-Encoding");
            encodings.put(path, String.valueOf(accept));
            boolean single = path.endsWith("/cm-0");
            byte[] body = serialization.asJson(single ? one : list).getBytes(StandardCharsets.UTF_8);
            // As kube-apiserver: only responses over 128 KiB are compressed, and only when asked.
            if (!single && accept != null && accept.contains("gzip")) {
                body = gzip(body);
                exchange.getResponseHeaders().add("Content-Encoding", "gzip");
            }
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, 0); // chunked, as a large list is
            try (OutputStream out = exchange.getResponseBody()) {
                for (int at = 0; at < body.length; at += 1000) {
                    out.write(body, at, Math.min(1000, body.length - at));
                    out.flush();
                }
            }
        });
        server.start();
        try (KubernetesClient client = new KubernetesClientBuilder().withHttpClientFactory(new JdkHttpClientFactory())
                .withConfig(new ConfigBuilder().withMasterUrl("http://127.0.0.1:" + server.getAddress().getPort())
                        .withRequestRetryBackoffLimit(0).build())
                .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor(GzipResponses.NAME, new GzipResponses()))
                .build()) {
            assertThat(client.configMaps().inNamespace("ns").list().getItems()).isEqualTo(list.getItems());
            assertThat(client.configMaps().inNamespace("ns").withName("cm-0").get()).isEqualTo(one);
        } finally {
            server.stop(0);
        }
        assertThat(encodings).containsEntry("/api/v1/namespaces/ns/configmaps", "gzip")
                .containsEntry("/api/v1/namespaces/ns/configmaps/cm-0", "gzip");
    }

    private static void feed(GzipResponses.Gunzip gunzip, byte[] body, int size, Recorder recorder) throws Exception {
        for (int at = 0; at < body.length; at += size) {
            int before = recorder.calls();
            gunzip.consume(List.of(ByteBuffer.wrap(body, at, Math.min(size, body.length - at))), recorder.body);
            // Every chunk either reaches the consumer or asks for the next one: the body never stalls.
            assertThat(recorder.calls()).isEqualTo(before + 1);
        }
    }

    /** Records what reaches the consumer, and counts the consumer's calls and the decoder's own requests. */
    private static final class Recorder implements AsyncBody.Consumer<List<ByteBuffer>> {
        final List<List<ByteBuffer>> received = new ArrayList<>();
        int requested;
        final AsyncBody body = new AsyncBody() {
            @Override
            public void consume() {
                requested++;
            }

            @Override
            public CompletableFuture<Void> done() {
                return new CompletableFuture<>();
            }

            @Override
            public void cancel() {}
        };

        @Override
        public void consume(List<ByteBuffer> value, AsyncBody asyncBody) {
            received.add(value);
        }

        int calls() {
            return received.size() + requested;
        }

        byte[] bytes() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            received.forEach(chunks -> chunks.forEach(b -> {
                byte[] copy = new byte[b.remaining()];
                b.duplicate().get(copy);
                out.writeBytes(copy);
            }));
            return out.toByteArray();
        }
    }

    /** Rewrites a plain gzip member (as GZIPOutputStream writes it) with FEXTRA, FNAME, FCOMMENT and FHCRC set. */
    private static byte[] withAllHeaderFields(byte[] member) {
        ByteArrayOutputStream header = new ByteArrayOutputStream();
        header.write(member, 0, 3);
        header.write(4 | 8 | 16 | 2);
        header.write(member, 4, 6);
        header.write(3);
        header.write(0);
        header.writeBytes(new byte[] {'a', 'b', 'c'});
        header.writeBytes("list.json\0".getBytes(StandardCharsets.ISO_8859_1));
        header.writeBytes("a comment\0".getBytes(StandardCharsets.ISO_8859_1));
        CRC32 crc = new CRC32();
        crc.update(header.toByteArray());
        header.write((int) crc.getValue() & 0xff);
        header.write((int) (crc.getValue() >> 8) & 0xff);
        header.write(member, 10, member.length - 10);
        return header.toByteArray();
    }

    private static byte[] json(int items) {
        Random random = new Random(1);
        StringBuilder json = new StringBuilder("{\"items\":[");
        for (int i = 0; i < items; i++) {
            json.append(i == 0 ? "" : ",").append("{\"name\":\"d").append(i).append("\",\"n\":").append(random.nextInt()).append('}');
        }
        return json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] gzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
            gzip.write(data);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }

    private static boolean applies(String method, String uri) {
        return GzipResponses.applies(Requests.of(method, uri));
    }
}
