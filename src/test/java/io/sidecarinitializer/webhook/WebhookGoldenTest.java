package io.sidecarinitializer.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sidecarinitializer.kubeinject.GoldenCase;
import io.sidecarinitializer.inject.Injector;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Golden AdmissionReview request → response pairs for v1 and v1beta1 (src/test/resources/golden/webhook). */
class WebhookGoldenTest {
    private static final Injector INJECTOR = Reviews.injector("");

    static Stream<String> cases() throws IOException {
        try (Stream<Path> files = Files.list(dir())) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".request.json"))
                    .map(n -> n.substring(0, n.length() - ".request.json".length())).sorted().toList().stream();
        }
    }

    private static Path dir() {
        return GoldenCase.dir().resolve("webhook");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void answersEachReviewAsTheGoldenFileSays(String name) throws IOException {
        byte[] request = Files.readAllBytes(dir().resolve(name + ".request.json"));
        ReviewHandler handler = new ReviewHandler(new PodAdmission(() -> INJECTOR, false, Reviews.JSON),
                new AdmissionMetrics(new SimpleMeterRegistry()), Reviews.JSON);

        ReviewHandler.Reply reply = handler.handle(request);

        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.contentType()).isEqualTo("application/json");
        JsonNode answer = Reviews.tree(reply.body());
        GoldenCase.assertMatchesFile(dir().resolve(name + ".response.json"),
                Reviews.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(answer) + "\n");
        JsonNode sent = Reviews.tree(request);
        assertThat(answer.get("apiVersion")).isEqualTo(sent.get("apiVersion"));
        assertThat(answer.at("/response/uid")).isEqualTo(sent.at("/request/uid"));

        Path patchFile = dir().resolve(name + ".patch.json");
        if (answer.at("/response/patch").isTextual()) {
            JsonNode patch = Reviews.tree(Base64.getDecoder().decode(answer.at("/response/patch").asText()));
            GoldenCase.assertMatchesFile(patchFile, Reviews.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(patch) + "\n");
        } else {
            assertThat(patchFile).as("a patch file for an answer without a patch").doesNotExist();
        }
    }
}
