package org.yaml.snakeyaml.internal;

/**
 * Stands in for SnakeYAML's own class of this name, which our jars leave out (pom.xml): the same API and the same
 * {@link System.Logger} behind it, made when SnakeYAML first asks about a level rather than when a class that may log
 * is initialized. SnakeYAML makes one in {@code TypeDescription}'s static initializer, and that alone cost a
 * kube-inject run about a tenth of its time: the JDK's look-up of a logger finder opens the jar and starts
 * java.util.logging, for a logger kube-inject never writes to. {@code SnakeYamlLoggerTest} holds the API to the original.
 */
public class Logger {
    /** SnakeYAML's one level; it logs its warnings at the JDK's WARNING. */
    public enum Level {
        WARNING(System.Logger.Level.WARNING);

        private final System.Logger.Level level;

        Level(System.Logger.Level level) {
            this.level = level;
        }
    }

    private final String name;
    private volatile System.Logger logger;

    private Logger(String name) {
        this.name = name;
    }

    public static Logger getLogger(String name) {
        return new Logger(name);
    }

    public boolean isLoggable(Level level) {
        return logger().isLoggable(level.level);
    }

    public void warn(String msg) {
        logger().log(Level.WARNING.level, msg);
    }

    private System.Logger logger() {
        System.Logger made = logger;
        if (made == null) {
            made = System.getLogger(name);
            logger = made;
        }
        return made;
    }
}
