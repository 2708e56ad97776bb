package io.sidecarinitializer.kube;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.fabric8.kubernetes.client.impl.KubernetesClientImpl;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;

/**
 * The client the operator watches and patches with. It shares the caller's HTTP client (so it is never closed
 * with the operator) and has an executor of its own. Its serialization reads each watched kind with the front's
 * cache reader ({@link PendingStore#reader}, {@link TextStore#reader}); without it fabric8 would read each watch
 * event into its typed model and convert it again, object by object. It is a serialization of its own, so the
 * caller's client keeps reading Deployments as it did.
 */
public final class OperatorClient {
    private OperatorClient() {}

    public static KubernetesClient of(KubernetesClient client, List<Class<? extends WorkloadResources.WorkloadResource>> types,
                                      SimpleModule reader, Map<String, Interceptor> interceptors, ExecutorService executor) {
        HttpClient.DerivedClientBuilder http = client.getHttpClient().newBuilder();
        http.addOrReplaceInterceptor(GzipResponses.NAME, new GzipResponses());
        interceptors.forEach(http::addOrReplaceInterceptor);
        KubernetesSerialization serialization = new KubernetesSerialization(new ObjectMapper().registerModule(reader), true);
        types.forEach(serialization::registerKubernetesResource);
        return new KubernetesClientImpl(http.build(), client.getConfiguration(), () -> executor, serialization);
    }
}
