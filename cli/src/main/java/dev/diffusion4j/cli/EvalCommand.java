package dev.diffusion4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code diffusion4j eval}: likelihood and sample-quality numbers. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluate: the bound in bits/dim (nll), a feature classifier (train-classifier), and FID in its features (fid).",
        subcommands = {NllCommand.class, TrainClassifierCommand.class, FidCommand.class, EditEvalCommand.class, AudioStatsCommand.class, RoundTripCommand.class,
            IntelligibilityCommand.class})
public final class EvalCommand implements Runnable {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name one of: nll, train-classifier, fid");
    }
}
