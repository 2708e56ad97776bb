package io.sidecarinitializer.cluster;

import io.fabric8.kubernetes.client.http.HttpRequest;
import java.net.URI;
import org.mockito.Mockito;

/** Requests for the tests of HTTP interceptors, which read a request's method and URI only. */
public final class Requests {
    private Requests() {}

    public static HttpRequest of(String method, String uri) {
        HttpRequest request = Mockito.mock(HttpRequest.class);
        Mockito.when(request.method()).thenReturn(method);
        Mockito.when(request.uri()).thenReturn(URI.create(uri));
        return request;
    }
}
