package io.sidecarinitializer.kubeinject;

/**
 * kube-inject alone: the Main-Class of kube-inject.jar, what target/kube-inject starts, and what
 * {@code sidecar-initializer kube-inject} hands over to. It reaches no other front, so it starts with no more classes
 * than kube-inject needs.
 */
public final class KubeInjectMain {
    private KubeInjectMain() {}

    /** {@code java -jar kube-inject.jar -f app.yaml}: kube-inject's arguments, without the subcommand's name. */
    public static void main(String[] args) {
        int status = run(args);
        // Success returns, so the JVM ends when main does: System.exit would make the JDK's logger for
        // Runtime.exit, whose look-up opens the jar and costs a small run about a tenth of its time.
        if (status != 0) {
            System.exit(status);
        }
    }

    /** Runs kube-inject on its arguments and returns its exit status (0 ok, 1 bad input, 2 usage). */
    public static int run(String... args) {
        return KubeInjectCommandLine.execute(KubeInjectCommandLine.standalone(new KubeInjectCommand()), args);
    }
}
