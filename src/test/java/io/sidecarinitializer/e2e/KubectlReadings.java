package io.sidecarinitializer.e2e;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What kubectl reads in many manifest files, file by file, from one kubectl process: the files are passed as
 * {@code -f} arguments with a marker ConfigMap after each, and the objects kubectl prints are cut at the markers.
 * kubectl goes on past a file it cannot read; its error lines name the file.
 */
final class KubectlReadings {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MARKER = "corpus-marker-";

    /** The objects kubectl printed for one file, in order, and the error lines that name the file. */
    record Reading(List<JsonNode> objects, List<String> errors) {
        /** kubectl's discovery does not know the kind (a version the server does not serve). */
        boolean unmapped() {
            return errors.stream().anyMatch(e -> e.contains("no matches for kind") || e.contains("resource mapping not found"));
        }
    }

    private KubectlReadings() {}

    /** {@code kubectl create --dry-run=client --validate=false -o json}: what the API server would be sent. */
    static Map<Path, Reading> create(Kubectl kubectl, List<Path> files, Path scratch) {
        return read(kubectl, files, scratch, List.of("create", "--dry-run=client", "--validate=false", "-o", "json"), List.of());
    }

    /**
     * {@code kubectl annotate --local -o json ... corpus.example.com/reading-}: the same reading without discovery,
     * for kinds the test's API server does not serve (it removes an annotation nobody has, and adds an empty
     * {@code annotations} map where there was none, to input and output alike).
     */
    static Map<Path, Reading> local(Kubectl kubectl, List<Path> files, Path scratch) {
        return read(kubectl, files, scratch, List.of("annotate", "--local", "-o", "json"), List.of("corpus.example.com/reading-"));
    }

    private static Map<Path, Reading> read(Kubectl kubectl, List<Path> files, Path scratch, List<String> command, List<String> after) {
        List<String> args = new ArrayList<>(command);
        try {
            Files.createDirectories(scratch);
            for (int i = 0; i < files.size(); i++) {
                Path marker = scratch.resolve(MARKER + i + ".yaml");
                Files.writeString(marker, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + MARKER + i + "\n");
                args.addAll(List.of("-f", files.get(i).toString(), "-f", marker.toString()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        args.addAll(after);
        CommandResult r = kubectl.run(args.toArray(String[]::new));
        List<List<JsonNode>> objects = new ArrayList<>();
        objects.add(new ArrayList<>());
        try (MappingIterator<JsonNode> it = JSON.readerFor(JsonNode.class).with(JsonParser.Feature.ALLOW_COMMENTS).readValues(r.stdout())) {
            while (it.hasNext()) {
                JsonNode o = it.next();
                List<JsonNode> flat = "List".equals(o.path("kind").asText()) ? listItems(o) : List.of(o);
                for (JsonNode item : flat) {
                    if ("ConfigMap".equals(item.path("kind").asText()) && item.path("metadata").path("name").asText().startsWith(MARKER)) {
                        objects.add(new ArrayList<>());
                    } else {
                        objects.get(objects.size() - 1).add(item);
                    }
                }
            }
        } catch (IOException e) {
            throw new AssertionError("kubectl printed something that is not JSON objects: " + r.describe(), e);
        }
        if (objects.size() != files.size() + 1) {
            throw new AssertionError("expected " + files.size() + " markers in kubectl's output, found " + (objects.size() - 1) + ": " + r.describe());
        }
        Map<Path, Reading> readings = new LinkedHashMap<>();
        for (int i = 0; i < files.size(); i++) {
            String name = files.get(i).toString();
            List<String> errors = r.errors().lines().filter(l -> l.contains(name)).map(l -> l.replace(name, "FILE")).toList();
            readings.put(files.get(i), new Reading(objects.get(i), errors));
        }
        if (!r.ok() && readings.values().stream().allMatch(x -> x.errors().isEmpty())) {
            throw new AssertionError("kubectl failed without naming a file: " + r.describe());
        }
        return readings;
    }

    private static List<JsonNode> listItems(JsonNode list) {
        List<JsonNode> items = new ArrayList<>();
        list.path("items").forEach(items::add);
        return items;
    }

    static String describe(Reading r) {
        return String.format(Locale.ROOT, "%d objects, errors %s", r.objects().size(), r.errors());
    }
}
