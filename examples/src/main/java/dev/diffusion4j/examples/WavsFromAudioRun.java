package dev.diffusion4j.examples;

import dev.diffusion4j.api.AudioClip;
import dev.diffusion4j.api.DiffusionModel;
import dev.diffusion4j.api.ModelSource;
import dev.diffusion4j.api.SampleRequest;
import dev.diffusion4j.api.Samples;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * One WAV per class from a model trained on a folder of WAVs ({@code train --data wav:DIR}):
 * {@code WavsFromAudioRun RUN_DIR OUT_DIR}.
 */
public final class WavsFromAudioRun {
    private WavsFromAudioRun() {}

    public static void main(String[] args) throws Exception {
        Path out = Files.createDirectories(Path.of(args[1]));
        try (DiffusionModel model = DiffusionModel.open(ModelSource.runDirectory(Path.of(args[0])))) {
            if (!model.info().audio()) {
                throw new IllegalArgumentException(args[0] + ": not a model of sound");
            }
            int count = Math.max(1, model.info().classes());
            Samples clips = model.sample(SampleRequest.builder().count(count).seed(0).build());
            for (int i = 0; i < count; i++) {
                AudioClip clip = clips.clip(i);
                Path wav = out.resolve(clips.stem(i) + ".wav");
                clip.writeWav(wav);
                System.out.printf(Locale.ROOT, "%s: %.2f s at %d Hz%n", wav, clip.seconds(), clip.sampleRate());
            }
        }
    }
}
