package io.sidecarinitializer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command tree is built for the command a run names; users must not be able to tell. */
class MainTest {
    private static CommandLine tree(String... args) {
        return Main.commandLine(CommandLine.defaultFactory(), args);
    }

    @Test
    void aRunOfOneCommandGetsThatCommandAlone() {
        assertThat(tree("kube-inject", "-f", "app.yaml").getSubcommands().keySet()).containsExactly("kube-inject");
        assertThat(tree("version").getSubcommands().keySet()).containsExactly("version");
    }

    @Test
    void helpNoCommandOrAnUnknownOneGetsEveryCommandInOrder() {
        for (String[] args : new String[][] {{}, {"help", "kube-inject"}, {"--help"}, {"kube-injct"}, {"-V", "kube-inject"}}) {
            assertThat(tree(args).getSubcommands().keySet()).as(String.join(" ", args))
                    .containsExactly("kube-inject", "controller", "version", "help");
        }
    }

    @Test
    void kubeInjectAloneHasTheSameUsageAsInTheWholeTree() {
        String alone = tree("kube-inject").getSubcommands().get("kube-inject").getUsageMessage(CommandLine.Help.Ansi.OFF);
        String whole = tree().getSubcommands().get("kube-inject").getUsageMessage(CommandLine.Help.Ansi.OFF);
        assertThat(alone).startsWith("Usage: sidecar-initializer kube-inject").isEqualTo(whole);
    }
}
