package dev.diffusion4j.cli;

import dev.diffusion4j.api.Distillation;
import dev.diffusion4j.api.TrainResult;
import dev.diffusion4j.cli.SharedOptions.BatchOption;
import dev.diffusion4j.data.DataSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code diffusion4j distill}: progressive distillation of a trained model to a few DDIM steps. */
@Command(name = "distill", mixinStandardHelpOptions = true,
        description = "Distil a trained model into one that samples in a few steps (progressive distillation, Salimans and Ho 2022): "
                + "rounds of N -> N/2 DDIM steps, each student trained to do in one step what its teacher does in two. Each round "
                + "is a run directory OUT/steps-N that sample takes as --checkpoint.")
public final class DistillCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--teacher", paramLabel = "CHECKPOINT", description = "The model to distil: a run or checkpoint directory, or builtin:NAME.")
    private String teacher;

    @Option(names = "--steps-from", description = "The first teacher's DDIM steps. Default: ${DEFAULT-VALUE}.")
    private int stepsFrom = 64;

    @Option(names = "--steps-to", description = "The last student's steps (steps-from divided by a power of two). Default: ${DEFAULT-VALUE}.")
    private int stepsTo = 4;

    @Option(names = "--round-steps", description = "Optimiser steps per round (default 4000). With --resume: a new count for the "
            + "rounds not done (the round in flight continues to it).")
    private Integer roundSteps;

    @Mixin
    private BatchOption batch = new BatchOption(64);

    @Option(names = "--lr", description = "Peak learning rate of each round, falling linearly to 0 by its end. Default: ${DEFAULT-VALUE}.")
    private double lr = 1e-4;

    @Option(names = "--seed", description = "Seed; round r draws from seed + r. Default: ${DEFAULT-VALUE}.")
    private long seed;

    @Option(names = "--data", converter = DataSpecConverter.class, description = "Training images (default: the teacher's own data).")
    private DataSpec data;

    @Option(names = "--guidance-range", split = ",", paramLabel = "MIN,MAX", description = "Guided distillation (Meng et al. 2023) "
            + "of a class-conditional teacher: each item at a guidance scale drawn from MIN..MAX, the teacher guided at it, and "
            + "students that take the scale as an input, so that sample --guidance W costs one network evaluation per step for "
            + "any W in the range. Without it the teacher is distilled at guidance 1.")
    private double[] guidanceRange;

    @Option(names = "--out", description = "The distillation's directory.")
    private Path out;

    @Option(names = "--resume", description = "Continue the distillation in this directory with its plan.")
    private Path resume;

    @Option(names = "--no-tensorboard", description = "Write no TensorBoard event files.")
    private boolean noTensorboard;

    @Override
    public Integer call() throws IOException {
        PrintWriter pw = spec.commandLine().getOut();
        if ((resume == null) == (teacher == null || out == null)) {
            throw new ParameterException(spec.commandLine(), "give --teacher CHECKPOINT --out DIR, or --resume DIR");
        }
        Distillation.Builder b = Distillation.builder().tensorboard(!noTensorboard);
        if (roundSteps != null) {
            b.stepsPerRound(roundSteps);
        }
        if (resume != null && guidanceRange != null) {
            throw new ParameterException(spec.commandLine(), "--guidance-range is part of the plan; --resume keeps the plan's");
        }
        if (resume != null) {
            b.resume(resume);
        } else {
            b.teacher(teacher).runDirectory(out).stepsFrom(stepsFrom).stepsTo(stepsTo).batchSize(batch.batch).lr(lr).seed(seed);
            if (data != null) {
                b.data(data);
            }
            if (guidanceRange != null) {
                if (guidanceRange.length != 2) {
                    throw new ParameterException(spec.commandLine(), "--guidance-range takes two scales, MIN,MAX");
                }
                b.guidance(guidanceRange[0], guidanceRange[1]);
            }
        }
        TrainResult result;
        try (TrainCommand.Progress progress = new TrainCommand.Progress(pw)) {
            b.listener(progress);
            Distillation d;
            try {
                d = b.build();
            } catch (IOException e) {
                throw new UserInputException(e.getMessage(), e);
            }
            result = d.run();
        }
        pw.println("done: " + result.runDirectory() + " (sample with --checkpoint " + result.runDirectory() + ")");
        return 0;
    }
}
