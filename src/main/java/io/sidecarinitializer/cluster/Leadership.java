package io.sidecarinitializer.cluster;

import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this replica may patch. With leader election it follows the Lease; without, it is always
 * true. java-operator-sdk keeps reconciling after a lost Lease unless told to exit the JVM, which a
 * library must not do, so the reconciler asks here before every PATCH and {@link #lost()} tells the
 * command to exit.
 */
public final class Leadership {
    private static final Logger log = LoggerFactory.getLogger(Leadership.class);

    private final boolean elected;
    private final String identity;
    private volatile boolean leading;
    private volatile boolean closing;
    private volatile String leader = "";
    private final CompletableFuture<String> lost = new CompletableFuture<>();

    private Leadership(boolean elected, String identity) {
        this.elected = elected;
        this.identity = identity;
        this.leading = !elected;
    }

    static Leadership elected(String identity) {
        return new Leadership(true, identity);
    }

    static Leadership always(String identity) {
        return new Leadership(false, identity);
    }

    boolean isElected() {
        return elected;
    }

    public boolean isLeader() {
        return leading && !closing;
    }

    String leader() {
        return elected ? leader : identity;
    }

    /** Completes, with a reason, when this replica stops leading other than by {@link #closing()}. */
    CompletableFuture<String> lost() {
        return lost;
    }

    void closing() {
        closing = true;
    }

    LeaderCallbacks callbacks() {
        return new LeaderCallbacks(
                () -> {
                    leading = true;
                    log.info("{} is now the leader; initializing objects", identity);
                },
                () -> {
                    boolean was = leading;
                    leading = false;
                    if (!closing && was) {
                        log.error("{} lost the leader Lease; it stops patching", identity);
                        lost.complete("lost the leader Lease");
                    }
                },
                newLeader -> leader = newLeader == null ? "" : newLeader);
    }
}
