package dev.diffusion4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code diffusion4j serve RUN_DIR...}: a local page per run, live. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "A local web page for run directories: the loss curve and metrics as steps land, the preview grids as they are "
                + "written, and a 'try it' panel that samples the newest checkpoint and shows the predicted x_0 step by step. Binds to "
                + "127.0.0.1 unless --host says otherwise; serves nothing but the page, the metrics and the runs' preview files; one "
                + "sampling job at a time. Ctrl-C stops it; the runs are never written.")
public final class ServeCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "RUN_DIR")
    private List<Path> runs;

    @Option(names = "--port", description = "Default: ${DEFAULT-VALUE}.")
    private int port = 8080;

    @Option(names = "--host", description = "The address to bind. Default: ${DEFAULT-VALUE} (this machine only).")
    private String host = "127.0.0.1";

    @Override
    public Integer call() throws IOException, InterruptedException {
        for (Path r : runs) {
            if (!Files.isDirectory(r)) {
                throw new UserInputException(r + ": not a run directory");
            }
        }
        RunServer server;
        try {
            server = RunServer.start(runs, host, port);
        } catch (IOException e) {
            throw new UserInputException(host + ":" + port + ": cannot listen (" + e.getMessage() + ")", e);
        }
        spec.commandLine().getOut().println("serving " + runs.size() + " run(s) at " + server.url() + " (Ctrl-C to stop)");
        spec.commandLine().getOut().flush();
        CountDownLatch forever = new CountDownLatch(1);
        while (!dev.diffusion4j.engine.StopRequests.requested()) {
            forever.await(200, java.util.concurrent.TimeUnit.MILLISECONDS);
        }
        server.close();
        spec.commandLine().getOut().println("stopped");
        return 0;
    }
}
