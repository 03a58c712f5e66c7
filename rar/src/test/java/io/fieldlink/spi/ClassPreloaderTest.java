package io.fieldlink.spi;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.jar.JarFile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The classes a stop needs are loaded while the jars exist: after the jar is deleted (as Open
 * Liberty deletes a rar's extracted jars before it calls stop()), Netty's close-path classes are
 * still there, because the preloader defined them at start.
 */
class ClassPreloaderTest {

    /**
     * Defines io.netty.channel classes from a jar file it opens anew for every class, as a server's
     * class loader that reads from its extraction cache does: once the file is gone, so is any
     * class not loaded yet.
     */
    static final class CacheReadingLoader extends ClassLoader {
        private final Path jar;

        CacheReadingLoader(Path jar, ClassLoader parent) {
            super(parent);
            this.jar = jar;
        }

        @Override
        public URL getResource(String name) {
            try {
                return name.startsWith("io/netty/channel/") ? new URL("jar:" + jar.toUri() + "!/" + name)
                        : super.getResource(name);
            } catch (MalformedURLException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c != null) {
                    return c;
                }
                if (!name.startsWith("io.netty.channel.")) {
                    return super.loadClass(name, resolve);
                }
                try (JarFile file = new JarFile(jar.toFile())) {
                    var entry = file.getJarEntry(name.replace('.', '/') + ".class");
                    if (entry == null) {
                        throw new ClassNotFoundException(name);
                    }
                    try (InputStream in = file.getInputStream(entry)) {
                        byte[] bytes = in.readAllBytes();
                        return defineClass(name, bytes, 0, bytes.length);
                    }
                } catch (IOException e) {
                    throw new ClassFormatError("Could not read class '" + name + "': " + e);
                }
            }
        }
    }

    private static Path copyOfNettyTransport(String name) throws IOException {
        Path nettyTransport = ClassPreloader.jarOf(ClassPreloaderTest.class.getClassLoader()
                .getResource("io/netty/channel/Channel.class"));
        assertThat(nettyTransport).as("netty-transport is a jar on the test class path").isNotNull();
        Path copy = Path.of("target", "preload-test", name, nettyTransport.getFileName().toString());
        Files.createDirectories(copy.getParent());
        return Files.copy(nettyTransport, copy, StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void withoutPreloadingACloseClassCannotBeReadOnceTheJarIsGone() throws Exception {
        Path copy = copyOfNettyTransport("without");
        ClassLoader loader = new CacheReadingLoader(copy, ClassPreloaderTest.class.getClassLoader());
        Class.forName("io.netty.channel.Channel", false, loader);
        Files.delete(copy);
        assertThatThrownBy(() -> Class.forName("io.netty.channel.AbstractChannelHandlerContext$4", false, loader))
                .isInstanceOf(ClassFormatError.class);
    }

    @Test
    void everyClassOfTheBundledJarsIsLoadedSoNoneIsReadAfterTheJarsAreGone() throws Exception {
        Path copy = copyOfNettyTransport("with");
        ClassLoader loader = new CacheReadingLoader(copy, ClassPreloaderTest.class.getClassLoader());
        int loaded = ClassPreloader.preload(loader, List.of("io.netty.channel.Channel"));
        assertThat(loaded).isGreaterThan(300);
        Files.delete(copy); // what Open Liberty does before stop()
        // a class Netty first needs when a channel is closed from another thread
        Class<?> closeTask = Class.forName("io.netty.channel.AbstractChannelHandlerContext$4", false, loader);
        assertThat(closeTask.getClassLoader()).isSameAs(loader);
    }

    @Test
    void aResourceThatIsNotInALocalJarIsSkipped() throws Exception {
        assertThat(ClassPreloader.jarOf(null)).isNull();
        assertThat(ClassPreloader.jarOf(new URL("file:/tmp/classes/a/B.class"))).isNull();
    }
}
