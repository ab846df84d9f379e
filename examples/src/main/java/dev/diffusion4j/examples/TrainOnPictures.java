package dev.diffusion4j.examples;

import dev.diffusion4j.api.TrainListener;
import dev.diffusion4j.api.TrainLog;
import dev.diffusion4j.api.TrainResult;
import dev.diffusion4j.api.Training;
import dev.diffusion4j.data.DataSpec;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Trains a small model for 200 steps on a folder of PNGs, printing the loss as it goes:
 * {@code TrainOnPictures PICTURES_DIR RUN_DIR}. The pictures are scaled to 28x28 grey; sample from the run afterwards
 * with {@code DiffusionModel.open(ModelSource.runDirectory(RUN_DIR))}.
 */
public final class TrainOnPictures {
    private TrainOnPictures() {}

    public static void main(String[] args) throws Exception {
        TrainListener printLoss = new TrainListener() {
            @Override
            public void onLog(TrainLog log) {
                System.out.printf(Locale.ROOT, "step %d/%d loss %.4f%n", log.step(), log.toStep(), log.loss());
            }
        };
        TrainResult result = Training.builder()
                .data(DataSpec.images(Path.of(args[0])))
                .set("model.baseChannels", 16)
                .steps(200)
                .batchSize(16)
                .runDirectory(Path.of(args[1]))
                .listener(printLoss)
                .build()
                .run();
        System.out.println("trained to step " + result.step() + " -> " + result.checkpoint());
    }
}
