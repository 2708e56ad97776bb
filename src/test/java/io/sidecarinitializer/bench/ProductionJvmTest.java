package io.sidecarinitializer.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The controller benchmark runs the JVM as the shipped Deployment does; this keeps it reading that Deployment. */
class ProductionJvmTest {
    @Test
    void readsTheMemoryLimitJavaToolOptionsAndEnvironmentOfTheShippedDeployment() throws Exception {
        ProductionJvm jvm = ProductionJvm.fromDeployment();

        assertThat(jvm.flags().get(0)).isEqualTo("-XX:MaxRAM=512m");
        assertThat(jvm.flags()).contains("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:MaxHeapFreeRatio=30", "-XX:+ExitOnOutOfMemoryError");
        assertThat(jvm.env()).containsEntry("MALLOC_ARENA_MAX", "2").doesNotContainKey("JAVA_TOOL_OPTIONS");
    }
}
