package io.sidecarinitializer.kube;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.type.TypeFactory;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;

/**
 * Reads one object as its stand-in, carrying the object's JSON, deflated: every token is copied to the
 * compressor as it is read, and only what a stand-in holds is kept as values.
 */
final class StandInReader<R extends WorkloadResources.WorkloadResource> extends CarrierReader<R> {
    private static final JavaType LABELS = TypeFactory.defaultInstance().constructMapType(LinkedHashMap.class, String.class, String.class);
    private static final JavaType FINALIZERS = TypeFactory.defaultInstance().constructCollectionType(ArrayList.class, String.class);
    /** Writes the copy; it only copies tokens, so it needs no object mapper. */
    private static final JsonFactory JSON = new JsonFactory();

    StandInReader(Class<R> type) {
        super(type);
    }

    @Override
    R read(JsonParser p, DeserializationContext ctxt, JsonToken token) throws IOException {
        R standIn = WorkloadResources.newInstance(type);
        ObjectMeta meta = new ObjectMeta();
        ByteArrayOutputStream text = new ByteArrayOutputStream(2048);
        try (JsonGenerator out = JSON.createGenerator(DeflatedJson.deflating(text))) {
            out.writeStartObject();
            for (; token == JsonToken.FIELD_NAME; token = p.nextToken()) {
                String field = p.currentName();
                p.nextToken();
                out.writeFieldName(field);
                switch (field) {
                    case "apiVersion" -> standIn.setApiVersion(p.getValueAsString());
                    case "kind" -> standIn.setKind(p.getValueAsString());
                    default -> { }
                }
                if (field.equals("metadata") && p.currentToken() == JsonToken.START_OBJECT) {
                    readMetadata(p, ctxt, meta, out);
                } else {
                    out.copyCurrentStructure(p);
                }
            }
            out.writeEndObject();
        }
        meta.setAdditionalProperty(SlimCopy.STAND_IN, Boolean.TRUE);
        standIn.setMetadata(meta);
        standIn.deflatedJson(text.toByteArray());
        return standIn;
    }

    /** Copies {@code metadata} and keeps of it what {@link SlimCopy#pendingOnly} keeps. */
    private static void readMetadata(JsonParser p, DeserializationContext ctxt, ObjectMeta meta, JsonGenerator out)
            throws IOException {
        out.writeStartObject();
        for (JsonToken token = p.nextToken(); token == JsonToken.FIELD_NAME; token = p.nextToken()) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            out.writeFieldName(field);
            if (value == JsonToken.VALUE_NULL) {
                out.writeNull();
                continue;
            }
            switch (field) {
                case "name" -> meta.setName(p.getValueAsString());
                case "namespace" -> meta.setNamespace(p.getValueAsString());
                case "uid" -> meta.setUid(p.getValueAsString());
                case "resourceVersion" -> meta.setResourceVersion(p.getValueAsString());
                case "generation" -> meta.setGeneration(p.getValueAsLong());
                case "creationTimestamp" -> meta.setCreationTimestamp(p.getValueAsString());
                case "deletionTimestamp" -> meta.setDeletionTimestamp(p.getValueAsString());
                case "labels" -> {
                    meta.setLabels(copyAndRead(p, ctxt, out, LABELS));
                    continue;
                }
                case "finalizers" -> {
                    meta.setFinalizers(copyAndRead(p, ctxt, out, FINALIZERS));
                    continue;
                }
                case "initializers" -> {
                    meta.setAdditionalProperty("initializers", copyAndRead(p, ctxt, out, ANY));
                    continue;
                }
                default -> { }
            }
            out.copyCurrentStructure(p);
        }
        out.writeEndObject();
        // As metadataOnly leaves them: absent when empty, whether the server sent them empty or not at all.
        if (meta.getLabels() != null && meta.getLabels().isEmpty()) {
            meta.setLabels(null);
        }
        if (meta.getFinalizers() != null && meta.getFinalizers().isEmpty()) {
            meta.setFinalizers(null);
        }
    }

    /** Copies the value at the parser to {@code out} and returns it read as {@code type}. */
    private static <T> T copyAndRead(JsonParser p, DeserializationContext ctxt, JsonGenerator out, JavaType type)
            throws IOException {
        TokenBuffer buffer = ctxt.bufferAsCopyOfValue(p);
        try (JsonParser copy = buffer.asParserOnFirstToken()) {
            out.copyCurrentStructure(copy);
        }
        try (JsonParser read = buffer.asParserOnFirstToken()) {
            return ctxt.readValue(read, type);
        }
    }
}
