package io.sidecarinitializer.initializer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sidecarinitializer.cluster.Manifest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PendingInitializersTest {
    @Test
    void readsPendingNamesInOrder() {
        PendingInitializers p = PendingInitializers.of(Manifest.deployment("ns", "d").pending("a", "b").tree());

        assertThat(p.names()).containsExactly("a", "b");
        assertThat(p.firstIs("a")).isTrue();
        assertThat(p.firstIs("b")).isFalse();
        assertThat(p.contains("b")).isTrue();
    }

    @Test
    void initializedObjectHasNoPendingInitializers() {
        assertThat(PendingInitializers.of(Manifest.deployment("ns", "d").tree()).isEmpty()).isTrue();
        assertThat(PendingInitializers.of(Map.of("metadata", Map.of("initializers", "garbage"))).isEmpty()).isTrue();
    }

    @Test
    void removesOnlyTheFirstEntryWhenOthersRemain() {
        List<Map<String, Object>> ops = PendingInitializers.of(Manifest.deployment("ns", "d").pending("ours", "next").tree())
                .removeFirstOps("ours");

        assertThat(ops).containsExactly(
                Map.of("op", "test", "path", "/metadata/initializers/pending/0/name", "value", "ours"),
                Map.of("op", "remove", "path", "/metadata/initializers/pending/0"));
    }

    @Test
    void removesTheWholeInitializersFieldWithTheLastEntry() {
        List<Map<String, Object>> ops = PendingInitializers.of(Manifest.deployment("ns", "d").pending("ours").tree())
                .removeFirstOps("ours");

        assertThat(ops).containsExactly(
                Map.of("op", "test", "path", "/metadata/initializers/pending/0/name", "value", "ours"),
                Map.of("op", "remove", "path", "/metadata/initializers"));
    }

    @Test
    void refusesToRemoveAnEntryThatIsNotFirst() {
        PendingInitializers p = PendingInitializers.of(Manifest.deployment("ns", "d").pending("other", "ours").tree());

        assertThatThrownBy(() -> p.removeFirstOps("ours")).isInstanceOf(IllegalStateException.class);
    }
}
