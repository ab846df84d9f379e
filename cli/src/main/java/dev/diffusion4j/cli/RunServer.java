package dev.diffusion4j.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.diffusion4j.api.DiffusionModel;
import dev.diffusion4j.api.ModelSource;
import dev.diffusion4j.api.SampleListener;
import dev.diffusion4j.api.SampleRequest;
import dev.diffusion4j.api.SampleStep;
import dev.diffusion4j.api.Samples;
import dev.diffusion4j.engine.CancelToken;
import dev.diffusion4j.io.ImageFiles;
import dev.diffusion4j.sample.SamplerSpec;
import dev.diffusion4j.train.Checkpoint;
import dev.diffusion4j.train.Configs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.imageio.ImageIO;

/**
 * The local page for runs: their loss curves, metrics and preview grids as they are written, and a "try it" panel
 * that samples a run's newest checkpoint and streams the predicted x_0 of every step. Built on the JDK's own HTTP
 * server (no dependency; Server-Sent Events are a long response written line by line). It serves only what it was
 * given: the page (from the jar), each run's metrics as JSON, and the files under each run's {@code samples/} plus
 * {@code loss.png}; any other path, traversal included, is 404. One sampling job at a time (others get 429), with
 * at most {@value #MAX_COUNT} images and {@value #MAX_STEPS} steps.
 */
final class RunServer implements AutoCloseable {
    static final int MAX_COUNT = 16;
    static final int MAX_STEPS = 100;

    /** One line of JSON: an SSE data field may not span lines. */
    private static final com.fasterxml.jackson.databind.ObjectWriter JSON_LINE = Configs.JSON.writer()
            .without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT);

    private final List<Path> runs;
    private final HttpServer server;
    private final AtomicBoolean sampling = new AtomicBoolean();
    private volatile boolean closed;

    private RunServer(List<Path> runs, HttpServer server) {
        this.runs = runs;
        this.server = server;
    }

    /**
     * Starts serving {@code runs} on {@code host:port} (port 0: any free one).
     *
     * @throws IOException when the address cannot be bound (e.g. the port is taken)
     */
    static RunServer start(List<Path> runs, String host, int port) throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress(host, port), 16);
        RunServer s = new RunServer(List.copyOf(runs), http);
        http.createContext("/", s::handle);
        http.setExecutor(Executors.newFixedThreadPool(8, r -> {
            Thread t = new Thread(r, "diffusion4j-serve");
            t.setDaemon(true);
            return t;
        }));
        http.start();
        return s;
    }

    /** The address it listens on, e.g. {@code http://127.0.0.1:8080/}. */
    String url() {
        InetSocketAddress a = server.getAddress();
        return "http://" + a.getHostString() + ":" + a.getPort() + "/";
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            if (!ex.getRequestMethod().equals("GET")) {
                send(ex, 405, "text/plain", "only GET");
                return;
            }
            String path = ex.getRequestURI().getRawPath();
            List<String> parts = List.of(path.replaceAll("^/+", "").split("/", -1));
            if (path.equals("/")) {
                send(ex, 200, "text/html; charset=utf-8", resource("page.html"));
            } else if (path.equals("/api/runs")) {
                send(ex, 200, "application/json", JSON_LINE.writeValueAsBytes(runList()));
            } else if (parts.size() >= 4 && parts.get(0).equals("api") && parts.get(1).equals("runs")) {
                Path run = run(parts.get(2));
                if (run == null) {
                    send(ex, 404, "text/plain", "no such run");
                    return;
                }
                String what = parts.get(3);
                switch (what) {
                    case "metrics" -> send(ex, 200, "application/json", JSON_LINE.writeValueAsBytes(metrics(run)));
                    case "stream" -> stream(ex, run);
                    case "try" -> tryIt(ex, run, query(ex.getRequestURI()));
                    case "files" -> file(ex, run, String.join("/", parts.subList(4, parts.size())));
                    default -> send(ex, 404, "text/plain", "not found");
                }
            } else {
                send(ex, 404, "text/plain", "not found");
            }
        } catch (IOException e) {
            // the browser went away: nothing to answer
        }
    }

    private Path run(String id) {
        if (!id.matches("\\d{1,4}")) {
            return null;
        }
        int i = Integer.parseInt(id);
        return i < runs.size() ? runs.get(i) : null;
    }

    private ArrayNode runList() {
        ArrayNode out = Configs.JSON.createArrayNode();
        for (int i = 0; i < runs.size(); i++) {
            ObjectNode r = out.addObject();
            r.put("id", i);
            r.put("name", runs.get(i).getFileName() == null ? runs.get(i).toString() : runs.get(i).getFileName().toString());
            try {
                Checkpoint c = Checkpoint.open(runs.get(i));
                r.put("step", c.state().step());
                r.put("audio", c.config().usesAudio());
                r.put("classes", c.config().model().classes());
                r.set("classNames", Configs.JSON.valueToTree(c.config().classNames()));
            } catch (IOException | RuntimeException e) {
                r.put("step", 0);
                r.put("note", "no checkpoint yet");
            }
        }
        return out;
    }

    /** metrics.csv as an array of objects, one per row. */
    private static ArrayNode metrics(Path run) throws IOException {
        ArrayNode out = Configs.JSON.createArrayNode();
        Path csv = run.resolve("metrics.csv");
        if (!Files.isRegularFile(csv)) {
            return out;
        }
        List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        if (lines.isEmpty()) {
            return out;
        }
        String[] header = lines.get(0).split(",");
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",", -1);
            if (f.length != header.length) {
                continue; // a row being written
            }
            ObjectNode row = out.addObject();
            for (int k = 0; k < header.length; k++) {
                if (!f[k].isEmpty()) {
                    row.put(header[k], Double.parseDouble(f[k]));
                }
            }
        }
        return out;
    }

    /** Only loss.png and the files directly in samples/, by name: nothing else of the run, nothing outside it. */
    private static void file(HttpExchange ex, Path run, String rel) throws IOException {
        String name = URLDecoder.decode(rel, StandardCharsets.UTF_8);
        boolean allowed = name.equals("loss.png") || name.matches("samples/[A-Za-z0-9._-]+\\.(png|wav)");
        Path f = run.resolve(name).normalize();
        if (!allowed || name.contains("..") || !f.startsWith(run.normalize()) || !Files.isRegularFile(f)) {
            send(ex, 404, "text/plain", "not found");
            return;
        }
        send(ex, 200, name.endsWith(".wav") ? "audio/wav" : "image/png", Files.readAllBytes(f));
    }

    /** Server-Sent Events: a "metrics" event when rows are added, a "preview" event per new grid, until the client goes. */
    private void stream(HttpExchange ex, Path run) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "text/event-stream");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        int rows = -1;
        java.util.Set<String> seen = new java.util.HashSet<>();
        while (!closed) {
            ArrayNode m = metrics(run);
            if (m.size() != rows) {
                rows = m.size();
                event(out, "metrics", JSON_LINE.writeValueAsString(m));
            }
            Path samples = run.resolve("samples");
            if (Files.isDirectory(samples)) {
                try (var s = Files.list(samples)) {
                    for (Path p : s.filter(p -> p.getFileName().toString().endsWith(".png")).sorted().toList()) {
                        if (seen.add(p.getFileName().toString())) {
                            event(out, "preview", "\"samples/" + p.getFileName() + "\"");
                            clips(out, samples, p.getFileName().toString());
                        }
                    }
                }
            }
            event(out, "ping", "{}");
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** For a model of sound, a "clips" event after a grid's "preview": the names of the grid's clips (step-N-K.wav). */
    private static void clips(OutputStream out, Path samples, String png) throws IOException {
        String stem = png.substring(0, png.length() - ".png".length());
        ArrayNode names = Configs.JSON.createArrayNode();
        for (int k = 0; Files.isRegularFile(samples.resolve(stem + "-" + k + ".wav")); k++) {
            names.add("samples/" + stem + "-" + k + ".wav");
        }
        if (!names.isEmpty()) {
            event(out, "clips", JSON_LINE.writeValueAsString(names));
        }
    }

    private static void event(OutputStream out, String name, String json) throws IOException {
        out.write(("event: " + name + "\ndata: " + json + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /**
     * Samples the run's newest checkpoint and streams it: a "step" event per network evaluation with the predicted x_0
     * of the first batch as a PNG, then "done" with the images (and for sound the first clip as a WAV), as base64.
     */
    private void tryIt(HttpExchange ex, Path run, Map<String, String> q) throws IOException {
        SampleRequest request;
        try {
            request = tryRequest(q);
        } catch (IllegalArgumentException e) {
            send(ex, 400, "text/plain", e.getMessage());
            return;
        }
        if (!sampling.compareAndSet(false, true)) {
            send(ex, 429, "text/plain", "one sampling job at a time: another is running; try again when it ends");
            return;
        }
        CancelToken cancel = CancelToken.create();
        try (DiffusionModel model = DiffusionModel.open(ModelSource.runDirectory(run))) {
            model.check(request);
            ex.getResponseHeaders().set("Content-Type", "text/event-stream");
            ex.getResponseHeaders().set("Cache-Control", "no-cache");
            ex.sendResponseHeaders(200, 0);
            OutputStream out = ex.getResponseBody();
            SampleListener frames = new SampleListener() {
                @Override
                public boolean wantsPreviews() {
                    return true;
                }

                @Override
                public void onStep(SampleStep s) {
                    if (s.firstSample() != 0) {
                        return;
                    }
                    try {
                        event(out, "step", "{\"step\":" + (s.step() + 1) + ",\"steps\":" + s.steps() + ",\"t\":" + s.timestep() + ",\"x0\":\""
                                + png(s.predictedX0()) + "\"}");
                    } catch (IOException e) {
                        cancel.cancel(); // the page went away: stop sampling
                    }
                }
            };
            Samples done = model.sample(request, frames, cancel);
            String clip = done.isAudio() ? ",\"wav\":\"" + Base64.getEncoder().encodeToString(done.clip(0).wavBytes()) + "\"" : "";
            event(out, "done", "{\"images\":\"" + png(done) + "\"" + clip + "}");
        } catch (IllegalArgumentException e) {
            send(ex, 400, "text/plain", e.getMessage());
        } catch (java.util.concurrent.CancellationException e) {
            // the client left
        } finally {
            sampling.set(false);
        }
    }

    static SampleRequest tryRequest(Map<String, String> q) {
        int count = Integer.parseInt(q.getOrDefault("count", "8"));
        int steps = Integer.parseInt(q.getOrDefault("steps", "20"));
        if (count < 1 || count > MAX_COUNT) {
            throw new IllegalArgumentException("count must be in 1.." + MAX_COUNT + ", got " + count);
        }
        if (steps < 1 || steps > MAX_STEPS) {
            throw new IllegalArgumentException("steps must be in 1.." + MAX_STEPS + ", got " + steps);
        }
        SamplerSpec.Kind kind = SamplerSpec.Kind.parse(q.getOrDefault("sampler", SamplerSpec.DEFAULT_KIND.cliName()));
        if (kind == SamplerSpec.Kind.DDPM) {
            throw new IllegalArgumentException("sampler ddpm takes all T steps; choose ddim or dpm-solver++");
        }
        SampleRequest.Builder b = SampleRequest.builder().count(count).batch(count).sampler(new SamplerSpec(kind, steps, 0))
                .seed(Long.parseLong(q.getOrDefault("seed", "0")));
        String guidance = q.get("guidance");
        if (guidance != null && !guidance.isBlank()) {
            b.guidance(Double.parseDouble(guidance));
        }
        String label = q.get("class");
        if (label != null && !label.isBlank()) {
            b.label(label);
        }
        return b.build();
    }

    private static String png(Samples s) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        ImageIO.write(ImageFiles.scaled(ImageFiles.grid(s.pixels(), s.count(), s.channels(), s.height(), s.width(),
                (int) Math.ceil(Math.sqrt(s.count())), 2), 3), "png", b);
        return Base64.getEncoder().encodeToString(b.toByteArray());
    }

    private static Map<String, String> query(URI uri) {
        Map<String, String> out = new HashMap<>();
        String raw = uri.getRawQuery();
        if (raw == null) {
            return out;
        }
        for (String kv : raw.split("&")) {
            int eq = kv.indexOf('=');
            if (eq > 0) {
                out.put(URLDecoder.decode(kv.substring(0, eq), StandardCharsets.UTF_8).toLowerCase(Locale.ROOT),
                        URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = RunServer.class.getResourceAsStream("/dev/diffusion4j/web/" + name)) {
            if (in == null) {
                throw new IOException("the page " + name + " is not in this build");
            }
            return in.readAllBytes();
        }
    }

    private static void send(HttpExchange ex, int code, String type, String body) throws IOException {
        send(ex, code, type, body.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange ex, int code, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        ex.sendResponseHeaders(code, body.length);
        ex.getResponseBody().write(body);
    }

    /** Stops serving (streams end within a second); the runs are never touched. */
    @Override
    public void close() {
        closed = true;
        server.stop(0);
    }
}
