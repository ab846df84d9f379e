package dev.diffusion4j.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Every column of the schedule table against an independent computation in 50-digit decimal
 * arithmetic: β from its definition (cos and exp by Taylor series), ᾱ as a product, 1 - ᾱ by
 * subtraction (exact in decimal), β̃ by the variance of (11) rather than (13). Prints the worst
 * relative error of each column.
 */
class ScheduleReferenceTest {
    private static final MathContext MC = new MathContext(50);
    private static final BigDecimal PI = new BigDecimal("3.14159265358979323846264338327950288419716939937510582097494");

    @Test
    void everyColumnMatchesAHighPrecisionReference() {
        List<String> report = new ArrayList<>();
        for (String name : new String[] {"linear", "cosine", "sigmoid"}) {
            int steps = 1000;
            NoiseSchedule s = NoiseSchedule.of(BetaSchedule.parse(name), steps);
            BigDecimal[] beta = referenceBetas(name, steps);
            double[] worst = new double[ScheduleRow.COLUMNS.size() - 1];
            BigDecimal one = BigDecimal.ONE;
            BigDecimal alphaBarPrev = one;
            for (int t = 1; t <= steps; t++) {
                BigDecimal b = beta[t - 1];
                BigDecimal a = one.subtract(b);
                BigDecimal ab = alphaBarPrev.multiply(a, MC);
                BigDecimal om = one.subtract(ab);
                BigDecimal omPrev = one.subtract(alphaBarPrev);
                BigDecimal post = one.subtract(a).multiply(omPrev, MC).divide(om, MC); // (11)'s variance
                BigDecimal postClipped = post;
                if (t == 1) {
                    BigDecimal b2 = beta[1];
                    BigDecimal ab2 = ab.multiply(one.subtract(b2), MC);
                    postClipped = b2.multiply(om, MC).divide(one.subtract(ab2), MC);
                }
                BigDecimal sigma2 = postClipped;
                double[] ref = {
                    b.doubleValue(),
                    a.doubleValue(),
                    ab.doubleValue(),
                    alphaBarPrev.doubleValue(),
                    ab.sqrt(MC).doubleValue(),
                    om.sqrt(MC).doubleValue(),
                    post.doubleValue(),
                    Math.log(postClipped.doubleValue()),
                    alphaBarPrev.sqrt(MC).multiply(b, MC).divide(om, MC).doubleValue(),
                    a.sqrt(MC).multiply(omPrev, MC).divide(om, MC).doubleValue(),
                    ab.divide(om, MC).doubleValue(),
                    b.multiply(b, MC).divide(BigDecimal.valueOf(2).multiply(sigma2, MC).multiply(a, MC).multiply(om, MC), MC).doubleValue()
                };
                double[] got = s.row(t).values();
                for (int c = 0; c < ref.length; c++) {
                    double err = ref[c] == got[c] ? 0 : Math.abs(got[c] - ref[c]) / Math.abs(ref[c]);
                    worst[c] = Math.max(worst[c], err);
                }
                alphaBarPrev = ab;
            }
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-8s", name));
            for (int c = 0; c < worst.length; c++) {
                line.append(String.format(Locale.ROOT, " %s=%.2e", ScheduleRow.COLUMNS.get(c + 1), worst[c]));
                assertThat(worst[c]).as("%s %s", name, ScheduleRow.COLUMNS.get(c + 1)).isLessThan(1e-12);
            }
            report.add(line.toString());
        }
        System.out.println("worst relative error per column, T = 1000, against 50-digit decimal arithmetic:");
        report.forEach(System.out::println);
    }

    private static BigDecimal[] referenceBetas(String name, int steps) {
        BigDecimal[] b = new BigDecimal[steps];
        BigDecimal start = new BigDecimal("0.0001");
        BigDecimal end = new BigDecimal("0.02");
        for (int i = 0; i < steps; i++) {
            BigDecimal frac = BigDecimal.valueOf(i).divide(BigDecimal.valueOf(steps - 1), MC);
            switch (name) {
                case "linear" -> b[i] = start.add(end.subtract(start).multiply(frac, MC));
                case "sigmoid" -> {
                    BigDecimal u = new BigDecimal(-6).add(new BigDecimal(12).multiply(frac, MC));
                    BigDecimal sig = BigDecimal.ONE.divide(BigDecimal.ONE.add(exp(u.negate())), MC);
                    b[i] = start.add(end.subtract(start).multiply(sig, MC));
                }
                case "cosine" -> {
                    BigDecimal r = f(i + 1, steps).divide(f(i, steps), MC);
                    BigDecimal beta = BigDecimal.ONE.subtract(r);
                    b[i] = beta.compareTo(new BigDecimal("0.999")) > 0 ? new BigDecimal("0.999") : beta;
                }
                default -> throw new IllegalArgumentException(name);
            }
        }
        return b;
    }

    private static BigDecimal f(int t, int steps) {
        BigDecimal s = new BigDecimal("0.008");
        BigDecimal x = BigDecimal.valueOf(t).divide(BigDecimal.valueOf(steps), MC).add(s)
                .divide(BigDecimal.ONE.add(s), MC).multiply(PI, MC).divide(BigDecimal.valueOf(2), MC);
        BigDecimal c = cos(x);
        return c.multiply(c, MC);
    }

    private static BigDecimal cos(BigDecimal x) {
        BigDecimal sum = BigDecimal.ZERO;
        BigDecimal term = BigDecimal.ONE;
        BigDecimal x2 = x.multiply(x, MC);
        for (int k = 0; k < 80; k++) {
            sum = sum.add(term, MC);
            term = term.multiply(x2, MC).negate().divide(BigDecimal.valueOf((2L * k + 1) * (2L * k + 2)), MC);
        }
        return sum;
    }

    private static BigDecimal exp(BigDecimal x) {
        BigDecimal sum = BigDecimal.ZERO;
        BigDecimal term = BigDecimal.ONE;
        for (int k = 1; k < 200; k++) {
            sum = sum.add(term, MC);
            term = term.multiply(x, MC).divide(BigDecimal.valueOf(k), MC);
        }
        return sum;
    }
}
