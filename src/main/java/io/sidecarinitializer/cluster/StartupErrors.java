package io.sidecarinitializer.cluster;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import javax.net.ssl.SSLException;

/** Turns a failed start into a message an operator can act on: which server, which verb and resource. */
public final class StartupErrors {
    private StartupErrors() {}

    public static String explain(Throwable error, KubernetesClient client) {
        String server = client.getConfiguration().getMasterUrl();
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof KubernetesClientException k && k.getCode() == 403) {
                return "forbidden: " + statusMessage(k);
            }
            if (t instanceof KubernetesClientException k && k.getCode() == 401) {
                return "unauthorized: the API server at " + server + " rejected our credentials: " + statusMessage(k);
            }
            if (t instanceof ConnectException) {
                return "cannot reach the API server at " + server + ": connection refused"
                        + (t.getMessage() == null ? "" : " (" + t.getMessage() + ")");
            }
            if (t instanceof UnknownHostException || t instanceof UnresolvedAddressException) {
                return "cannot reach the API server at " + server + ": unknown host" + (t.getMessage() == null ? "" : " " + t.getMessage());
            }
            if (t instanceof SSLException) {
                return "cannot reach the API server at " + server + ": TLS failed: " + t.getMessage();
            }
        }
        StringBuilder message = new StringBuilder();
        for (Throwable t = error; t != null; t = t.getCause()) {
            String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
            if (message.indexOf(m) < 0) {
                message.append(message.isEmpty() ? "" : ": ").append(m);
            }
        }
        return "cannot start the controller against " + server + ": " + message;
    }

    private static String statusMessage(KubernetesClientException e) {
        if (e.getStatus() != null && e.getStatus().getMessage() != null) {
            return e.getStatus().getMessage();
        }
        return e.getMessage();
    }
}
