package dev.diffusion4j.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.diffusion4j.engine.Djl;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code diffusion4j doctor}: starts the tensor engine offline and says what it found. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = "Start the PyTorch engine offline (unpacking its natives on first use) and report versions, cache and threads.")
public final class DoctorCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        long start = System.nanoTime();
        Engine engine = Djl.engine();
        double checksum;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.arange(12f).reshape(new Shape(3, 4));
            checksum = a.matMul(a.transpose()).sum().getFloat();
        }
        double ms = (System.nanoTime() - start) / 1e6;
        out.printf("engine        %s %s%n", engine.getEngineName(), engine.getVersion());
        out.printf("offline       %s%n", System.getProperty("ai.djl.offline"));
        out.printf("cache         %s%n", Djl.cacheDir());
        out.printf("memory        %s%n", dev.diffusion4j.engine.NativeMemory.status());
        out.printf("cpu           %s%n", dev.diffusion4j.engine.OneDnn.status());
        out.printf("ops           %s%n", dev.diffusion4j.engine.TorchKernels.status());
        out.printf("threads       %d (cores %d)%n", Integer.getInteger("ai.djl.pytorch.num_threads", Runtime.getRuntime().availableProcessors()),
                Runtime.getRuntime().availableProcessors());
        double expected = 0;
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                for (int k = 0; k < 4; k++) {
                    expected += (4.0 * i + k) * (4.0 * j + k);
                }
            }
        }
        out.printf("self-test     sum(A A^T) = %.0f (expected %.0f)%n", checksum, expected);
        out.printf("start-up      %.0f ms%n", ms);
        return checksum == expected ? 0 : Main.EXIT_FAILURE;
    }
}
