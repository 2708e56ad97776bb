package io.sidecarinitializer.kube;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.io.IOException;

/**
 * Reads an object as Jackson reads a {@code GenericKubernetesResource} (apiVersion, kind, typed metadata, every
 * other field as a plain tree), unless its metadata shows it initialized: then the fields after the metadata
 * are skipped and it is returned as {@link SlimCopy#metadataOnly}.
 */
final class InitializedAsMetadataReader<R extends WorkloadResources.WorkloadResource> extends CarrierReader<R> {
    InitializedAsMetadataReader(Class<R> type) {
        super(type);
    }

    @Override
    R read(JsonParser p, DeserializationContext ctxt, JsonToken token) throws IOException {
        R resource = WorkloadResources.newInstance(type);
        for (; token == JsonToken.FIELD_NAME; token = p.nextToken()) {
            String field = p.currentName();
            p.nextToken();
            switch (field) {
                case "apiVersion" -> resource.setApiVersion(p.getValueAsString());
                case "kind" -> resource.setKind(p.getValueAsString());
                case "metadata" -> {
                    resource.setMetadata(p.currentToken() == JsonToken.VALUE_NULL ? null
                            : (ObjectMeta) metadataReader.deserialize(p, ctxt));
                    if (resource.getMetadata() != null && SlimCopy.initialized(resource)) {
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            p.nextToken();
                            p.skipChildren();
                        }
                        return SlimCopy.metadataOnly(type, resource);
                    }
                }
                default -> resource.setAdditionalProperty(field,
                        p.currentToken() == JsonToken.VALUE_NULL ? null : anyReader.deserialize(p, ctxt));
            }
        }
        return resource;
    }
}
