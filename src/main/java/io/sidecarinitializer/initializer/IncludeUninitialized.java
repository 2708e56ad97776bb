package io.sidecarinitializer.initializer;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.sidecarinitializer.kube.WorkloadResources;
import java.net.URI;
import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Adds {@code includeUninitialized=true} to GET (list, watch and read) requests for the workload
 * collections we watch. API servers with the Initializers alpha (1.7–1.13) hide objects with pending
 * initializers from LIST and WATCH without it, and fabric8's informers have no such option, so it is added
 * on the wire. Other requests pass unchanged.
 */
public final class IncludeUninitialized implements Interceptor {
    public static final String NAME = "include-uninitialized";
    static final String PARAMETER = "includeUninitialized=true";

    private final List<Pattern> paths;

    public IncludeUninitialized(Collection<Class<? extends HasMetadata>> types) {
        this.paths = types.stream().map(IncludeUninitialized::pathPattern).toList();
    }

    /** {@code /apis/apps/v1/deployments}, {@code /apis/apps/v1/namespaces/x/deployments/y}, {@code /api/v1/...}. */
    private static Pattern pathPattern(Class<? extends HasMetadata> type) {
        String prefix = WorkloadResources.apiPath(type);
        return Pattern.compile(Pattern.quote(prefix) + "(/namespaces/[^/]+)?/" + Pattern.quote(WorkloadResources.plural(type)) + "(/[^/]+)?/?");
    }

    boolean applies(HttpRequest request) {
        if (!"GET".equalsIgnoreCase(request.method())) {
            return false;
        }
        String path = request.uri().getRawPath();
        return path != null && paths.stream().anyMatch(p -> p.matcher(path).matches());
    }

    @Override
    public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
        if (applies(request)) {
            builder.uri(withParameter(request.uri()));
        }
    }

    static URI withParameter(URI uri) {
        String query = uri.getRawQuery();
        if (query != null && (query.equals(PARAMETER) || query.contains("includeUninitialized="))) {
            return uri;
        }
        String newQuery = query == null || query.isEmpty() ? PARAMETER : query + "&" + PARAMETER;
        return URI.create(uri.getScheme() + "://" + uri.getRawAuthority() + uri.getRawPath() + "?" + newQuery
                + (uri.getRawFragment() == null ? "" : "#" + uri.getRawFragment()));
    }
}
