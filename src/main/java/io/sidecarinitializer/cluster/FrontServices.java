package io.sidecarinitializer.cluster;

import java.time.Clock;

/** What every front's reconciler uses of the running controller. */
public record FrontServices(ConfigWatcher config, Leadership leadership, OutcomeReporter reporter,
                            ControllerMetrics metrics, Activity activity, Clock clock) {
    /** Runs one reconciliation's work if this replica may patch (it leads, or there is no election), as activity. */
    public void whileLeading(Runnable work) {
        if (leadership.isLeader()) {
            activity.during(work);
        }
    }
}
