package io.sidecarinitializer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
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
                    .containsExactly("kube-inject", "controller", "webhook", "version", "help");
        }
    }

    @Test
    void kubeInjectAloneHasTheSameUsageAsInTheWholeTree() {
        String alone = tree("kube-inject").getSubcommands().get("kube-inject").getUsageMessage(CommandLine.Help.Ansi.OFF);
        String whole = tree().getSubcommands().get("kube-inject").getUsageMessage(CommandLine.Help.Ansi.OFF);
        assertThat(alone).startsWith("Usage: sidecar-initializer kube-inject").isEqualTo(whole);
    }

    static Stream<String> commands() {
        return Stream.concat(Stream.of(""), tree().getSubcommands().keySet().stream());
    }

    @Test
    void theCommandsIncludeKubeInjectVersionAndHelp() {
        assertThat(commands()).contains("kube-inject", "version", "help");
    }

    @ParameterizedTest(name = "{0} --help")
    @MethodSource("commands")
    void helpExitsZeroForTheRootAndEverySubcommand(String command) {
        CommandRun run = new CommandRun();
        int exit = command.isEmpty() ? run.run("--help") : run.run(command, "--help");

        assertThat(exit).isZero();
        assertThat(run.out()).contains("Usage:");
        assertThat(run.err()).isEmpty();
    }

    @Test
    void runReturnsTheExitStatusAndPrintsHelpOnStdout() {
        CommandRun run = new CommandRun();

        assertThat(run.run("kube-inject", "--help")).isZero();
        assertThat(run.run("kube-inject", "-f", "-", "--bogus")).isEqualTo(2);
        assertThat(run.run()).as("no command").isEqualTo(2);

        assertThat(run.out()).startsWith("Usage: sidecar-initializer kube-inject").contains("--injectConfigFile");
        assertThat(run.err()).startsWith("Unknown option: '--bogus'");
    }
}
