package io.sidecarinitializer.cluster;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import java.net.URL;
import java.util.Locale;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/** {@code --log-format}: text (logback.xml) or one JSON object per line (logback-json.xml). */
public enum LogFormat {
    TEXT("logback.xml"),
    JSON("logback-json.xml");

    private final String resource;

    LogFormat(String resource) {
        this.resource = resource;
    }

    public String flag() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static LogFormat fromFlag(String text) {
        for (LogFormat f : values()) {
            if (f.flag().equalsIgnoreCase(text.trim())) {
                return f;
            }
        }
        throw new IllegalArgumentException("'" + text + "' is not one of text, json");
    }

    /**
     * Reconfigures logback for the whole process; call it before the first log line. Text is logback's
     * default from logback.xml, so only JSON (or a switch back) needs work.
     */
    public void apply() {
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        if (!(factory instanceof LoggerContext context)) {
            return; // another SLF4J backend: leave its configuration alone
        }
        URL url = LogFormat.class.getClassLoader().getResource(resource);
        if (url == null) {
            throw new IllegalStateException(resource + " is missing from the classpath");
        }
        context.reset();
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        try {
            configurator.doConfigure(url);
        } catch (JoranException e) {
            throw new IllegalStateException("cannot configure logging from " + resource + ": " + e.getMessage(), e);
        }
    }
}
