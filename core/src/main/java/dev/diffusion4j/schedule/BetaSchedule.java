package dev.diffusion4j.schedule;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How β_t grows with t, the variance of each forward step q(x_t | x_{t-1}) of equation (1).
 *
 * <p>Every schedule computes in double precision and returns β_1..β_T as an array indexed {@code
 * t - 1}. The values are validated by {@link NoiseSchedule}.
 */
public sealed interface BetaSchedule
        permits BetaSchedule.Linear, BetaSchedule.Cosine, BetaSchedule.Sigmoid, BetaSchedule.Custom {

    /** The paper's linear schedule, β from 1e-4 to 0.02. */
    Linear LINEAR = new Linear(1e-4, 0.02);
    /** Nichol and Dhariwal's cosine schedule, s = 0.008, β clipped at 0.999. */
    Cosine COSINE = new Cosine(0.008, 0.999);
    /** A sigmoid-shaped schedule between the linear schedule's end points. */
    Sigmoid SIGMOID = new Sigmoid(1e-4, 0.02);

    /**
     * β_1..β_T.
     *
     * @param steps T ≥ 1
     * @return an array of length T, β_t at index t - 1
     */
    double[] betas(int steps);

    /** A short name: {@code linear}, {@code cosine}, {@code sigmoid} or {@code file:PATH}. */
    String name();

    /**
     * Parses {@code linear}, {@code cosine}, {@code sigmoid} or {@code file:PATH}.
     *
     * @throws IllegalArgumentException naming the accepted names or the file's problem
     */
    static BetaSchedule parse(String spec) {
        String s = spec.trim();
        if (s.toLowerCase(Locale.ROOT).startsWith("file:")) {
            return Custom.read(Path.of(s.substring(5)));
        }
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "linear" -> LINEAR;
            case "cosine" -> COSINE;
            case "sigmoid" -> SIGMOID;
            default -> throw new IllegalArgumentException(
                    "unknown beta schedule '" + spec + "' (expected linear, cosine, sigmoid or file:PATH)");
        };
    }

    private static void requireSteps(int steps) {
        if (steps < 1) {
            throw new IllegalArgumentException("the number of diffusion steps T must be at least 1, got " + steps);
        }
    }

    /** β_t evenly spaced from {@code start} (t = 1) to {@code end} (t = T), as in the paper. */
    record Linear(double start, double end) implements BetaSchedule {
        @Override
        public double[] betas(int steps) {
            requireSteps(steps);
            double[] b = new double[steps];
            for (int i = 0; i < steps; i++) {
                b[i] = steps == 1 ? start : start + (end - start) * i / (steps - 1);
            }
            return b;
        }

        @Override
        public String name() {
            return "linear";
        }
    }

    /**
     * ᾱ(t) = f(t)/f(0), f(t) = cos²(((t/T) + s)/(1 + s) · π/2), β_t = min(1 - ᾱ(t)/ᾱ(t-1), maxBeta).
     *
     * <p>Computed without cancellation: with φ(t) = π/2 - angle(t) = (π/2)(T - t)/(T (1 + s)),
     * 1 - f(t)/f(t-1) = (cos²a - cos²b)/cos²a = sin(b - a) sin(b + a)/cos²a = sin(φ(t-1) - φ(t))
     * sin(φ(t-1) + φ(t))/sin²φ(t-1), every angle a small multiple of one unit. The textbook
     * difference loses about five significant digits where β is small.
     */
    record Cosine(double s, double maxBeta) implements BetaSchedule {
        @Override
        public double[] betas(int steps) {
            requireSteps(steps);
            double[] b = new double[steps];
            double unit = Math.PI / 2 / (steps * (1 + s));
            for (int t = 1; t <= steps; t++) {
                double phiPrev = unit * (steps - t + 1);
                double phi = unit * (steps - t);
                double c = Math.sin(phiPrev);
                b[t - 1] = Math.min(Math.sin(unit) * Math.sin(phiPrev + phi) / (c * c), maxBeta);
            }
            return b;
        }

        @Override
        public String name() {
            return "cosine";
        }
    }

    /** β_t = start + (end - start) · sigmoid(u_t), u_t evenly spaced from -6 to 6. */
    record Sigmoid(double start, double end) implements BetaSchedule {
        @Override
        public double[] betas(int steps) {
            requireSteps(steps);
            double[] b = new double[steps];
            for (int i = 0; i < steps; i++) {
                double u = steps == 1 ? 0 : -6 + 12.0 * i / (steps - 1);
                b[i] = start + (end - start) / (1 + Math.exp(-u));
            }
            return b;
        }

        @Override
        public String name() {
            return "sigmoid";
        }
    }

    /**
     * User-given β values, one per line (blank lines and lines starting with {@code #} are
     * skipped); T is the number of values.
     */
    record Custom(double[] values, String source) implements BetaSchedule {
        public Custom {
            values = values.clone();
        }

        @Override
        public double[] values() {
            return values.clone();
        }

        @Override
        public double[] betas(int steps) {
            if (steps != values.length) {
                throw new IllegalArgumentException(
                        source + " gives " + values.length + " beta values but " + steps + " steps were asked for");
            }
            return values.clone();
        }

        @Override
        public String name() {
            return "file:" + source;
        }

        /** Reads and validates a β file. */
        public static Custom read(Path file) {
            List<String> lines;
            try {
                lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            } catch (NoSuchFileException e) {
                throw new IllegalArgumentException(file + ": no such beta file");
            } catch (IOException | java.io.UncheckedIOException e) {
                throw new IllegalArgumentException(file + ": cannot read beta file: " + e.getMessage());
            }
            List<Double> vals = new ArrayList<>();
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i).trim();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                double v;
                try {
                    v = Double.parseDouble(line);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(file + ":" + (i + 1) + ": not a number: '" + line + "'");
                }
                if (!(v > 0 && v < 1)) {
                    throw new IllegalArgumentException(file + ":" + (i + 1) + ": beta must be in (0, 1), got " + line);
                }
                vals.add(v);
            }
            if (vals.isEmpty()) {
                throw new IllegalArgumentException(file + ": no beta values");
            }
            return new Custom(vals.stream().mapToDouble(Double::doubleValue).toArray(), file.toString());
        }
    }
}
