package io.sidecarinitializer.cli;

import io.sidecarinitializer.cluster.ControllerOptions;
import io.sidecarinitializer.cluster.LogFormat;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The flags every in-cluster front takes, with one name and meaning in `controller` and `webhook`. */
final class ClusterFlags {
    @Option(names = "--config-namespace", defaultValue = ControllerOptions.DEFAULT_CONFIG_NAMESPACE, paramLabel = "NS",
            description = "Namespace of the ConfigMaps (and of the controller's leader Lease) (default: ${DEFAULT-VALUE}).")
    String configNamespace;

    @Option(names = "--config-map", defaultValue = ControllerOptions.DEFAULT_CONFIG_MAP, paramLabel = "NAME",
            description = "ConfigMap with the 'config' document (default: ${DEFAULT-VALUE}).")
    String configMap;

    @Option(names = "--http-port", defaultValue = "" + ControllerOptions.DEFAULT_HTTP_PORT, paramLabel = "PORT",
            description = "Port of /metrics, /healthz and /readyz; 0 picks a free port, -1 turns them off (default: ${DEFAULT-VALUE}).")
    int httpPort;

    @Option(names = "--log-format", defaultValue = "text", paramLabel = "text|json", converter = LogFormatConverter.class,
            description = "Log lines as text or as one JSON object per line, on stderr (default: ${DEFAULT-VALUE}).")
    LogFormat logFormat;

    static final class LogFormatConverter implements CommandLine.ITypeConverter<LogFormat> {
        @Override
        public LogFormat convert(String value) {
            try {
                return LogFormat.fromFlag(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
