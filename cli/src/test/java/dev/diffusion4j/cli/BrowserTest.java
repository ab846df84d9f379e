package dev.diffusion4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diffusion4j.testing.Skips;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live page in a real browser: headless Chromium (Debian's package; .ci/run installs it) opens the page of a
 * training run started with {@code train --serve}, and the rendered DOM, read through the DevTools protocol, shows the
 * loss chart gaining points while the run trains and a "try it" request ending in images. Writes a screenshot to
 * {@code target/serve-page.png}.
 */
class BrowserTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Path chromium() {
        for (String p : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")) {
            if (Files.isExecutable(Path.of(p))) {
                return Path.of(p);
            }
        }
        return null;
    }

    /** A DevTools connection to one page: evaluate JavaScript, take screenshots. */
    private static final class Page implements AutoCloseable {
        private final WebSocket ws;
        private final AtomicInteger ids = new AtomicInteger();
        private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();

        Page(String wsUrl) {
            StringBuilder buf = new StringBuilder();
            this.ws = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(URI.create(wsUrl), new WebSocket.Listener() {
                @Override
                public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                    buf.append(data);
                    if (last) {
                        try {
                            JsonNode msg = JSON.readTree(buf.toString());
                            CompletableFuture<JsonNode> f = msg.has("id") ? pending.remove(msg.get("id").asInt()) : null;
                            if (f != null) {
                                f.complete(msg);
                            }
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                        buf.setLength(0);
                    }
                    w.request(1);
                    return null;
                }
            }).join();
        }

        JsonNode call(String method, ObjectNode params) throws Exception {
            int id = ids.incrementAndGet();
            CompletableFuture<JsonNode> f = new CompletableFuture<>();
            pending.put(id, f);
            ObjectNode msg = JSON.createObjectNode().put("id", id).put("method", method);
            msg.set("params", params);
            ws.sendText(JSON.writeValueAsString(msg), true).join();
            return f.get(30, TimeUnit.SECONDS);
        }

        String eval(String js) throws Exception {
            JsonNode r = call("Runtime.evaluate", JSON.createObjectNode().put("expression", js).put("returnByValue", true));
            return r.path("result").path("result").path("value").asText();
        }

        @Override
        public void close() {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "").join();
        }
    }

    @Test
    void thePageFollowsATrainingRunAndTriesItsModel(@TempDir Path dir) throws Exception {
        Path chromium = chromium();
        Skips.unless(chromium != null, "Chromium is not installed (apt-get install chromium; .ci/run does)");
        Path images = TestData.dots(dir.resolve("images"), 12);
        Path yaml = Files.writeString(dir.resolve("tiny.yaml"), String.join("\n",
                "data: images:" + images,
                "model: {imageSize: 8, channels: 1, baseChannels: 8, channelMults: [1, 2], attentionResolutions: [], normGroups: 4}",
                "diffusion: {timesteps: 50}",
                "training: {steps: 120, batchSize: 4, warmupSteps: 1}",
                "output: {logEvery: 4, sampleEvery: 60, checkpointEvery: 60, samples: 4, sampleSteps: 3}", ""));
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path run = dir.resolve("run");
        // a thread of its own: libtorch's grad mode is per thread, and a pooled thread may carry another test's
        java.util.concurrent.ExecutorService own = java.util.concurrent.Executors.newSingleThreadExecutor();
        CompletableFuture<CliRunner.Result> training = CompletableFuture.supplyAsync(() -> CliRunner.run("train", "--config", yaml.toString(),
                "--serve", Integer.toString(port), "--out", run.toString()), own);
        own.shutdown();
        String url = "http://127.0.0.1:" + port + "/";
        HttpClient http = HttpClient.newHttpClient();
        for (int i = 0; i < 300; i++) { // until the page answers
            try {
                if (http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    break;
                }
            } catch (java.io.IOException e) {
                Thread.sleep(100);
            }
        }
        // the profile lives outside @TempDir: Chromium's helper processes may still write to it after the browser is gone,
        // and JUnit fails a test whose temporary directory it cannot delete
        Path profile = Files.createTempDirectory("d4j-chromium-profile");
        Process browser = new ProcessBuilder(chromium.toString(), "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-crash-reporter", "--remote-debugging-port=0", "--user-data-dir=" + profile, "--window-size=1200,900", url)
                .redirectErrorStream(true).start();
        try {
            int devtools = devtoolsPort(browser);
            String ws = pageSocket(http, devtools);
            try (Page page = new Page(ws)) {
                int first = 0;
                int later = 0;
                for (int i = 0; i < 3000 && !training.isDone(); i++) {
                    String seen = page.eval("(document.getElementById('chart') || {getAttribute: () => '0'}).getAttribute('data-points')");
                    int n = seen.matches("\\d+") ? Integer.parseInt(seen) : 0; // 0 while the page still loads
                    if (first == 0) {
                        first = n;
                    }
                    later = n;
                    Thread.sleep(100);
                }
                CliRunner.Result r = training.get(300, TimeUnit.SECONDS);
                assertThat(r.code()).as(r.err()).isZero();
                assertThat(later).as("the chart gained points while the run trained (first seen: %d)", first).isGreaterThan(first);

                // the run's page ended with the run; serve the finished run on the same port, as `serve RUN_DIR` would
                try (RunServer served = RunServer.start(List.of(run), "127.0.0.1", port)) {
                assertThat(served.url()).isEqualTo(url);
                page.eval("location.reload()");
                Thread.sleep(1500);
                page.eval("document.getElementById('steps').value = '4'; document.getElementById('count').value = '4';"
                        + "document.getElementById('go').click(); 'ok'");
                String done = "";
                for (int i = 0; i < 300 && !done.equals("1"); i++) {
                    Thread.sleep(100);
                    done = page.eval("document.getElementById('result').getAttribute('data-done') || ''");
                }
                assertThat(done).as("the try-it request finished").isEqualTo("1");
                assertThat(page.eval("document.getElementById('result').src.slice(0, 22)")).isEqualTo("data:image/png;base64,");
                assertThat(page.eval("document.getElementById('x0').src.slice(0, 22)")).as("x_0 shown step by step").isEqualTo("data:image/png;base64,");
                assertThat(page.eval("document.getElementById('status').textContent")).isEqualTo("done");
                JsonNode shot = page.call("Page.captureScreenshot", JSON.createObjectNode().put("format", "png"));
                Files.write(Path.of("target/serve-page.png"), Base64.getDecoder().decode(shot.path("result").path("data").asText()));
                }
            }
        } finally {
            List<ProcessHandle> helpers = browser.descendants().toList();
            browser.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            for (ProcessHandle h : helpers) {
                h.destroyForcibly();
                h.onExit().completeOnTimeout(h, 10, TimeUnit.SECONDS).join();
            }
            training.cancel(true);
            deleteQuietly(profile);
        }
    }

    /** Deletes a directory tree as far as it can: a helper process that outlived the browser may still hold a file. */
    private static void deleteQuietly(Path root) {
        try (java.util.stream.Stream<Path> all = Files.walk(root)) {
            all.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            // left for the system's temporary-file cleaning
        }
    }

    /** The port Chromium prints as "DevTools listening on ws://127.0.0.1:PORT/...". */
    private static int devtoolsPort(Process browser) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(browser.getInputStream(), StandardCharsets.UTF_8));
        Pattern p = Pattern.compile("DevTools listening on ws://[^:]+:(\\d+)/");
        CompletableFuture<Integer> port = CompletableFuture.supplyAsync(() -> {
            try {
                for (String line; (line = in.readLine()) != null; ) {
                    Matcher m = p.matcher(line);
                    if (m.find()) {
                        return Integer.parseInt(m.group(1));
                    }
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            throw new IllegalStateException("Chromium ended without a DevTools address");
        });
        int found = port.get(60, TimeUnit.SECONDS);
        Thread drain = new Thread(() -> {
            try {
                while (in.readLine() != null) {
                    // keep Chromium's output from filling the pipe
                }
            } catch (java.io.IOException e) {
                // ended
            }
        });
        drain.setDaemon(true);
        drain.start();
        return found;
    }

    /** The WebSocket of the page Chromium opened. */
    private static String pageSocket(HttpClient http, int devtools) throws Exception {
        for (int i = 0; i < 100; i++) {
            String body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + devtools + "/json/list")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            for (JsonNode t : JSON.readTree(body)) {
                if (t.path("type").asText().equals("page") && t.path("url").asText().startsWith("http://127.0.0.1")) {
                    return t.path("webSocketDebuggerUrl").asText();
                }
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("no page in Chromium's DevTools list");
    }
}
