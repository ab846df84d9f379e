package dev.diffusion4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diffusion4j.testing.BuiltinModels;
import dev.diffusion4j.testing.Skips;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The live page over loopback: what it serves, what it refuses, one sampling job at a time, and train --serve. */
class RunServerTest {
    @TempDir
    static Path dir;
    static Path run;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void trainATinyRun() throws Exception {
        Path images = TestData.dots(dir.resolve("images"), 12);
        Path yaml = Files.writeString(dir.resolve("tiny.yaml"), String.join("\n",
                "data: images:" + images,
                "model: {imageSize: 8, channels: 1, baseChannels: 8, channelMults: [1, 2], attentionResolutions: [], normGroups: 4}",
                "diffusion: {timesteps: 50}",
                "training: {steps: 4, batchSize: 4, warmupSteps: 1}",
                "output: {logEvery: 2, sampleEvery: 2, checkpointEvery: 2, samples: 4, sampleSteps: 3}", ""));
        run = dir.resolve("run");
        CliRunner.Result r = CliRunner.run("train", "--config", yaml.toString(), "--out", run.toString());
        assertThat(r.code()).as(r.err()).isZero();
    }

    private static HttpResponse<String> get(RunServer s, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(s.url() + path.replaceFirst("^/", ""))).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesThePageTheMetricsAndThePreviewsAndNothingElse() throws Exception {
        Files.writeString(dir.resolve("secret.txt"), "outside the run");
        try (RunServer s = RunServer.start(List.of(run), "127.0.0.1", 0)) {
            assertThat(s.url()).startsWith("http://127.0.0.1:");
            assertThat(get(s, "/").body()).contains("<title>diffusion4j</title>");
            assertThat(get(s, "/api/runs").body()).contains("\"name\":\"run\"").contains("\"step\":4");
            assertThat(get(s, "/api/runs/0/metrics").body()).contains("\"step\":2.0").contains("\"step\":4.0");
            assertThat(get(s, "/api/runs/0/files/loss.png").statusCode()).isEqualTo(200);
            assertThat(get(s, "/api/runs/0/files/samples/step-000000002.png").statusCode()).isEqualTo(200);
            for (String refused : List.of("/api/runs/0/files/config.json", "/api/runs/0/files/checkpoints/step-000000004/model.safetensors",
                    "/api/runs/0/files/samples/..%2F..%2Fsecret.txt", "/api/runs/0/files/..%2Fsecret.txt", "/api/runs/0/files/%2E%2E/secret.txt",
                    "/api/runs/1/metrics", "/api/runs/x/metrics", "/etc/passwd", "/api/runs/0/files/samples/../../secret.txt")) {
                assertThat(get(s, refused).statusCode()).as(refused).isEqualTo(404);
            }
            HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(URI.create(s.url() + "api/runs")).POST(HttpRequest.BodyPublishers.noBody())
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode()).isEqualTo(405);
            assertThat(get(s, "/api/runs/0/try?count=17").statusCode()).isEqualTo(400);
            assertThat(get(s, "/api/runs/0/try?count=17").body()).isEqualTo("count must be in 1..16, got 17");
            assertThat(get(s, "/api/runs/0/try?steps=500").body()).isEqualTo("steps must be in 1..100, got 500");

            HttpResponse<String> sampled = get(s, "/api/runs/0/try?count=2&steps=3&sampler=ddim");
            assertThat(sampled.headers().firstValue("Content-Type")).hasValue("text/event-stream");
            assertThat(sampled.body().lines().filter(l -> l.equals("event: step"))).hasSize(3);
            assertThat(sampled.body()).contains("event: done").contains("\"images\":\"iVBOR"); // a PNG, base64
        }
        assertThat(Files.readString(dir.resolve("secret.txt"))).isEqualTo("outside the run");
    }

    @Test
    void theStreamSendsMetricsAndPreviews() throws Exception {
        try (RunServer s = RunServer.start(List.of(run), "127.0.0.1", 0)) {
            HttpURLConnection c = (HttpURLConnection) URI.create(s.url() + "api/runs/0/stream").toURL().openConnection();
            try (BufferedReader in = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8))) {
                assertThat(in.readLine()).isEqualTo("event: metrics");
                assertThat(in.readLine()).startsWith("data: [{\"step\":2.0");
                in.readLine();
                assertThat(in.readLine()).isEqualTo("event: preview");
                assertThat(in.readLine()).isEqualTo("data: \"samples/step-000000002.png\"");
            }
        }
    }

    @Test
    void aGridOfSoundIsFollowedByItsClipsWhichAreServed() throws Exception {
        Path sound = dir.resolve("sound-run");
        Files.createDirectories(sound.resolve("samples"));
        Files.copy(run.resolve("samples/step-000000002.png"), sound.resolve("samples/step-000000002.png"));
        byte[] wav = new dev.diffusion4j.data.Wav(new float[80], 8000).bytes();
        Files.write(sound.resolve("samples/step-000000002-0.wav"), wav);
        Files.write(sound.resolve("samples/step-000000002-1.wav"), wav);
        try (RunServer s = RunServer.start(List.of(sound), "127.0.0.1", 0)) {
            HttpURLConnection c = (HttpURLConnection) URI.create(s.url() + "api/runs/0/stream").toURL().openConnection();
            try (BufferedReader in = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8))) {
                List<String> lines = new java.util.ArrayList<>();
                for (int i = 0; i < 12; i++) {
                    lines.add(in.readLine());
                }
                int at = lines.indexOf("event: clips");
                assertThat(at).as(String.join("\n", lines)).isGreaterThan(lines.indexOf("event: preview"));
                assertThat(lines.get(at + 1)).isEqualTo("data: [\"samples/step-000000002-0.wav\",\"samples/step-000000002-1.wav\"]");
            }
            HttpResponse<byte[]> clip = HTTP.send(HttpRequest.newBuilder(URI.create(s.url() + "api/runs/0/files/samples/step-000000002-1.wav"))
                    .build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(clip.headers().firstValue("Content-Type")).hasValue("audio/wav");
            assertThat(clip.body()).isEqualTo(wav);
        }
    }

    @Test
    void oneSamplingJobAtATime(@TempDir Path cache) throws Exception {
        Skips.unless(BuiltinModels.mnistPresent(), "models/mnist is not in this build");
        BuiltinModels.withCache(cache, () -> {
            try (RunServer s = RunServer.start(List.of(Path.of("builtin:mnist")), "127.0.0.1", 0)) {
                HttpURLConnection first = (HttpURLConnection) URI.create(s.url() + "api/runs/0/try?count=4&steps=100&class=3").toURL()
                        .openConnection();
                try (BufferedReader in = new BufferedReader(new InputStreamReader(first.getInputStream(), StandardCharsets.UTF_8))) {
                    assertThat(in.readLine()).as("the first job is under way").isEqualTo("event: step");
                    HttpResponse<String> second = get(s, "/api/runs/0/try?count=1&steps=2");
                    assertThat(second.statusCode()).isEqualTo(429);
                    assertThat(second.body()).startsWith("one sampling job at a time");
                }
                first.disconnect(); // the page goes away: the job stops at its next step
                for (int i = 0; i < 100 && get(s, "/api/runs/0/try?count=1&steps=2").statusCode() == 429; i++) {
                    Thread.sleep(100);
                }
                assertThat(get(s, "/api/runs/0/try?count=1&steps=2").statusCode()).as("free again").isEqualTo(200);
            }
        });
    }

    @Test
    void trainWithServeTrainsOnWhenThePortIsTaken() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Path again = dir.resolve("served");
            CliRunner.Result r = CliRunner.run("train", "--config", dir.resolve("tiny.yaml").toString(), "--steps", "2", "--serve",
                    Integer.toString(taken.getLocalPort()), "--out", again.toString());
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.err()).contains("diffusion4j: warning: --serve " + taken.getLocalPort() + ": cannot listen");
            assertThat(again.resolve("checkpoints").resolve("step-000000002")).isDirectory();
        }
    }
}
