package io.sidecarinitializer.kubeinject;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/**
 * Runs kube-inject's real command line ({@code kube-inject ARGS}, as {@link KubeInjectMain} runs it) in-process, with
 * its stdin, stdout and stderr in memory, so tests see exactly what a user would.
 */
record KubeInjectRun(int exitCode, String out, String err, byte[] outBytes) {

    static KubeInjectRun run(String... args) {
        return withStdin("", args);
    }

    static KubeInjectRun withStdin(String stdin, String... args) {
        return withStdin(stdin.getBytes(StandardCharsets.UTF_8), args);
    }

    static KubeInjectRun withStdin(byte[] stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        ByteArrayInputStream in = new ByteArrayInputStream(stdin);
        CommandLine commandLine = KubeInjectCommandLine.standalone(new KubeInjectCommand(outStream, errStream, in));
        commandLine.setOut(new PrintWriter(outStream, true));
        commandLine.setErr(new PrintWriter(errStream, true));
        int exit = commandLine.execute(args);
        outStream.flush();
        errStream.flush();
        return new KubeInjectRun(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), out.toByteArray());
    }

    /** Runs kube-inject and fails, showing stderr, unless it exits 0. */
    static String injected(String... kubeInjectArgs) {
        String[] args = new String[kubeInjectArgs.length + 1];
        args[0] = "kube-inject";
        System.arraycopy(kubeInjectArgs, 0, args, 1, kubeInjectArgs.length);
        KubeInjectRun run = run(args);
        if (run.exitCode() != 0) {
            throw new AssertionError("kube-inject exited " + run.exitCode() + ": " + run.err());
        }
        return run.out();
    }
}
