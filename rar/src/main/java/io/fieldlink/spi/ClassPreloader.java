package io.fieldlink.spi;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * Loads (without initialising) every class of the jars the rar bundles (FieldLink's own and
 * Netty's), on a thread of its own while the adapter starts.
 *
 * <p>Why: Open Liberty deletes a resource adapter's extracted jars <em>before</em> it calls
 * {@code ResourceAdapter.stop()} (seen on 25.0.0.10 when the adapter is removed from server.xml).
 * Netty loads several classes only on its close and shutdown paths (the task that closes a channel
 * from another thread, the allocator's chunk release at thread exit, ...); any of them first needed
 * during the stop then cannot be read, the stop breaks off half-way and event loop threads or
 * sockets outlive the adapter. With every bundled class loaded at start, the stop needs no file.
 * The cost: about 2,000 classes, a fraction of a second of one thread, a few MB of metaspace.
 *
 * <pre>{@code
 * Thread t = AdapterThreads.thread(() -> ClassPreloader.preload(getClass().getClassLoader(),
 *         ClassPreloader.BUNDLED), "fieldlink-preload");
 * t.start();
 * // ... at stop:
 * t.join(10_000);
 * }</pre>
 *
 * <p>Best effort: a jar that cannot be listed (a server that serves classes from a virtual file
 * system, as WildFly does, and does not delete them) is skipped with a debug line.
 */
final class ClassPreloader {

    private static final Logger log = LoggerFactory.getLogger(ClassPreloader.class);

    /** One class of each bundled jar whose classes are preloaded. */
    static final List<String> BUNDLED = List.of(
            "io.fieldlink.spi.FieldLinkResourceAdapter",   // fieldlink-rar
            "io.netty.util.concurrent.FastThreadLocal",    // netty-common
            "io.netty.buffer.ByteBuf",                     // netty-buffer
            "io.netty.channel.Channel",                    // netty-transport
            "io.netty.channel.epoll.Epoll",                // netty-transport-classes-epoll
            "io.netty.channel.unix.Socket",                // netty-transport-native-unix-common
            "io.netty.handler.codec.ByteToMessageDecoder", // netty-codec-base
            "io.netty.handler.timeout.IdleStateHandler",   // netty-handler
            "io.netty.resolver.AddressResolver",           // netty-resolver
            "org.slf4j.LoggerFactory");                    // slf4j-api

    private ClassPreloader() {
    }

    /** Loads the classes of the jars holding {@code markers}; returns how many were loaded. */
    static int preload(ClassLoader loader, List<String> markers) {
        long t0 = System.nanoTime();
        Set<Path> jars = new LinkedHashSet<>();
        for (String marker : markers) {
            Path jar = jarOf(loader.getResource(marker.replace('.', '/') + ".class"));
            if (jar != null) {
                jars.add(jar);
            }
        }
        int loaded = 0;
        int skipped = 0;
        for (Path jar : jars) {
            try (JarFile file = new JarFile(jar.toFile())) {
                for (Enumeration<JarEntry> e = file.entries(); e.hasMoreElements(); ) {
                    String name = e.nextElement().getName();
                    if (!name.endsWith(".class") || name.startsWith("META-INF/") || name.endsWith("module-info.class")
                            || name.endsWith("package-info.class")) {
                        continue;
                    }
                    try {
                        Class.forName(name.substring(0, name.length() - 6).replace('/', '.'), false, loader);
                        loaded++;
                    } catch (ClassNotFoundException | LinkageError notHere) {
                        skipped++; // an optional dependency that is not bundled (log4j, BlockHound, ...)
                    }
                }
            } catch (IOException e) {
                log.debug("Cannot list {} to preload its classes: {}", jar, e.toString());
            }
        }
        log.debug("Preloaded {} classes from {} jar(s) in {} ms ({} need absent optional dependencies)", loaded,
                jars.size(), (System.nanoTime() - t0) / 1_000_000, skipped);
        return loaded;
    }

    /** The local jar file behind a class resource URL ({@code jar:file:/x.jar!/a/B.class}), or null. */
    static Path jarOf(URL resource) {
        if (resource == null) {
            return null;
        }
        String s = resource.toString();
        int bang = s.indexOf("!/");
        int file = s.indexOf("file:");
        if (bang < 0 || file < 0 || file > bang) {
            return null; // vfs:, a directory, or another scheme: nothing to list portably
        }
        try {
            Path p = Path.of(URI.create(s.substring(file, bang)));
            return Files.isRegularFile(p) ? p : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
