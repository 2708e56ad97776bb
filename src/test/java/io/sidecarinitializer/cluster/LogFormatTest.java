package io.sidecarinitializer.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class LogFormatTest {
    @Test
    void jsonFormatWritesOneObjectPerLineWithKeyValues() throws Exception {
        PrintStream realErr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            LogFormat.JSON.apply();
            LoggerFactory.getLogger("io.sidecarinitializer.test").atInfo().addKeyValue("namespace", "shop")
                    .log("Injected the sidecar into {}", "deployment shop/web");
        } finally {
            LogFormat.TEXT.apply();
            System.setErr(realErr);
        }

        String line = captured.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains("Injected the sidecar")).findFirst()
                .orElseThrow();
        JsonNode json = Serialization.jsonMapper().readTree(line);
        assertThat(json.path("level").asText()).isEqualTo("INFO");
        assertThat(json.path("message").asText()).isEqualTo("Injected the sidecar into {}");
        assertThat(json.path("formattedMessage").asText()).isEqualTo("Injected the sidecar into deployment shop/web");
        assertThat(json.toString()).contains("deployment shop/web").contains("\"namespace\":\"shop\"");
    }

    @Test
    void parsesTheFlagSpellings() {
        assertThat(LogFormat.fromFlag("json")).isEqualTo(LogFormat.JSON);
        assertThat(LogFormat.fromFlag("TEXT")).isEqualTo(LogFormat.TEXT);
        assertThat(Mode.fromFlag("Reconcile")).isEqualTo(Mode.RECONCILE);
    }
}
