package dev.diffusion4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/ENGINE.md, "Offline start": a fresh JVM with an empty cache directory starts the engine from the jars alone.
 * Every HTTP(S) connection it might try is routed to a proxy on loopback that counts them: there
 * must be none.
 */
class OfflineStartTest {
    @Test
    void engineStartsFromAnEmptyCacheWithoutTouchingTheNetwork(@TempDir Path dir) throws Exception {
        Path cache = dir.resolve("empty-cache");
        AtomicInteger connections = new AtomicInteger();
        try (ServerSocket proxy = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread accept = new Thread(() -> {
                while (!proxy.isClosed()) {
                    try (Socket s = proxy.accept()) {
                        connections.incrementAndGet();
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            accept.setDaemon(true);
            accept.start();
            String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
            List<String> cmd = new ArrayList<>(List.of(java,
                    "-Dhttp.proxyHost=127.0.0.1", "-Dhttp.proxyPort=" + proxy.getLocalPort(),
                    "-Dhttps.proxyHost=127.0.0.1", "-Dhttps.proxyPort=" + proxy.getLocalPort(),
                    "-Dhttp.nonProxyHosts=", "-cp", System.getProperty("java.class.path"),
                    "dev.diffusion4j.cli.Main", "doctor"));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            Map<String, String> env = pb.environment();
            env.remove("DJL_CACHE_DIR");
            env.remove("ENGINE_CACHE_DIR");
            env.remove("DJL_OFFLINE");
            env.remove("ONEDNN_MAX_CPU_ISA"); // what the product chooses itself, from inside the JVM
            env.put("DIFFUSION4J_CACHE_DIR", cache.toString());
            Process p = pb.start();
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.exitValue()).as(out).isZero();
            assertThat(out).contains("offline       true").contains("cache         " + cache).contains("PyTorch " + dev.diffusion4j.Versions.properties().getProperty("pytorch"));
            assertThat(out).doesNotContainIgnoringCase("download");
            assertThat(out).contains("cpu           oneDNN: its own choice of instruction set (" + dev.diffusion4j.engine.OneDnn.cpuVectorIsa() + ")");
            assertThat(connections.get()).as("connections attempted through the proxy").isZero();
            try (var files = Files.walk(cache)) {
                assertThat(files.anyMatch(f -> f.getFileName().toString().equals("libtorch_cpu.so"))).isTrue();
            }
        }
    }
}
