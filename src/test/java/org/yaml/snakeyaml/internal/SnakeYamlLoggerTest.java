package org.yaml.snakeyaml.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/** Our stand-in for SnakeYAML's {@code internal.Logger} must offer exactly what SnakeYAML's own classes call. */
class SnakeYamlLoggerTest {
    @Test
    void hasThePublicApiOfSnakeYamlsOwnClass() throws Exception {
        URL snakeYamlJar = Yaml.class.getProtectionDomain().getCodeSource().getLocation();
        try (URLClassLoader original = new URLClassLoader(new URL[] {snakeYamlJar}, ClassLoader.getPlatformClassLoader())) {
            Class<?> theirs = original.loadClass(Logger.class.getName());
            assertTrue(theirs.getClassLoader() == original, "loaded from the SnakeYAML jar, not ours");
            assertEquals(api(theirs), api(Logger.class));
            Class<?> theirLevel = original.loadClass(Logger.Level.class.getName());
            assertEquals(Arrays.toString(theirLevel.getEnumConstants()), Arrays.toString(Logger.Level.values()));
        }
    }

    @Test
    void answersAsTheJdksLoggerOfTheSameName() {
        String name = "org.yaml.snakeyaml";
        assertEquals(System.getLogger(name).isLoggable(System.Logger.Level.WARNING), Logger.getLogger(name).isLoggable(Logger.Level.WARNING));
    }

    private static Set<String> api(Class<?> type) {
        Set<String> api = new TreeSet<>();
        for (Method m : type.getDeclaredMethods()) {
            if (Modifier.isPublic(m.getModifiers())) {
                api.add((Modifier.isStatic(m.getModifiers()) ? "static " : "") + m.getReturnType().getName() + " " + m.getName()
                        + Arrays.toString(Arrays.stream(m.getParameterTypes()).map(Class::getName).toArray()));
            }
        }
        return api;
    }
}
