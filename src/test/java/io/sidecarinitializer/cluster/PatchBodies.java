package io.sidecarinitializer.cluster;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sidecarinitializer.kubeinject.GoldenCase;
import io.sidecarinitializer.inject.JsonPatchGoldenTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The controller's own PATCH bodies, pinned like Istio 0.3's {@code .patch} files: each body the server received
 * for one object, in order, compared with {@code golden/controller/NAME.patch.json}. The mock server numbers
 * resourceVersions by what a test did before, so the resourceVersion test's value reads {@code "RV"}.
 */
public final class PatchBodies {
    private static final ObjectMapper JSON = new ObjectMapper();

    private PatchBodies() {}

    public static void assertMatchGolden(ApiServer api, Manifest m, String name) {
        List<Object> bodies = new ArrayList<>();
        for (ApiServerDispatcher.Seen patch : api.dispatcher.patchesTo(m.path())) {
            bodies.add(withoutVersion(patch.body()));
        }
        try {
            GoldenCase.assertMatchesFile(GoldenCase.dir().resolve("controller").resolve(name + ".patch.json"),
                    JsonPatchGoldenTest.pretty(bodies));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Map<String, Object>> withoutVersion(String body) {
        try {
            List<Map<String, Object>> ops = JSON.readValue(body, new TypeReference<>() {});
            ops.stream().filter(op -> "/metadata/resourceVersion".equals(op.get("path"))).forEach(op -> op.put("value", "RV"));
            return ops;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
