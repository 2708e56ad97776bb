package io.sidecarinitializer.kube;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.deser.ResolvableDeserializer;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.type.TypeFactory;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.io.IOException;
import java.util.Collection;
import java.util.function.Function;

/** Reads one carrier: the start of the object is checked here, its fields are read by {@link #read}. */
abstract class CarrierReader<R extends WorkloadResources.WorkloadResource> extends StdDeserializer<R>
        implements ResolvableDeserializer {
    /** A value read as Jackson reads a field it has no type for: a plain tree of maps, lists and scalars. */
    static final JavaType ANY = TypeFactory.defaultInstance().constructType(Object.class);

    final Class<R> type;
    /** Looked up once ({@link #resolve}), not per object: the lookups cost as much as a good part of a parse. */
    JsonDeserializer<Object> anyReader;
    JsonDeserializer<Object> metadataReader;

    CarrierReader(Class<R> type) {
        super(type);
        this.type = type;
    }

    @Override
    public void resolve(DeserializationContext ctxt) throws JsonMappingException {
        anyReader = ctxt.findRootValueDeserializer(ANY);
        metadataReader = ctxt.findRootValueDeserializer(ctxt.constructType(ObjectMeta.class));
    }

    @Override
    public final R deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        JsonToken token = p.currentToken();
        if (token == JsonToken.START_OBJECT) {
            token = p.nextToken();
        } else if (token != JsonToken.FIELD_NAME && token != JsonToken.END_OBJECT) {
            @SuppressWarnings("unchecked")
            R unexpected = (R) ctxt.handleUnexpectedToken(type, p);
            return unexpected;
        }
        return read(p, ctxt, token);
    }

    /** Reads the object's fields; {@code token} is the first field's name, or the object's end. */
    abstract R read(JsonParser p, DeserializationContext ctxt, JsonToken token) throws IOException;

    /** A Jackson module that reads each of {@code types} with the reader {@code reader} makes for it. */
    static SimpleModule module(String name, Collection<Class<? extends WorkloadResources.WorkloadResource>> types,
                               Function<Class<? extends WorkloadResources.WorkloadResource>, CarrierReader<?>> reader) {
        SimpleModule module = new SimpleModule(name);
        types.forEach(type -> add(module, type, reader));
        return module;
    }

    @SuppressWarnings("unchecked")
    private static <R extends WorkloadResources.WorkloadResource> void add(
            SimpleModule module, Class<R> type, Function<Class<? extends WorkloadResources.WorkloadResource>, CarrierReader<?>> reader) {
        module.addDeserializer(type, (CarrierReader<R>) reader.apply(type));
    }
}
