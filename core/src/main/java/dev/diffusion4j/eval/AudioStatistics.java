package dev.diffusion4j.eval;

import dev.diffusion4j.data.AudioConfig;
import dev.diffusion4j.data.GriffinLim;
import dev.diffusion4j.data.Wav;
import java.util.List;

/**
 * Spectral statistics of a set of clips, to set generated sound beside real sound: level, spectral
 * centroid, 85% roll-off, spectral flatness (geometric over arithmetic mean of the power) and the
 * active duration (frames within 40 dB of the clip's loudest frame). Per clip, the spectral figures
 * are energy-weighted means over its active frames.
 */
public final class AudioStatistics {
    private AudioStatistics() {}

    /** One figure's mean and standard deviation over the clips. */
    public record Figure(String name, String unit, double mean, double sd) {}

    /**
     * The statistics of {@code clips}, each resampled to the configured rate, cut or zero-padded to
     * {@link AudioConfig#clipSamples()} (as the model sees it) and analysed with its STFT.
     */
    public static List<Figure> of(List<Wav> clips, AudioConfig a) {
        int n = clips.size();
        double[][] v = new double[5][n];
        GriffinLim stft = new GriffinLim(a);
        for (int c = 0; c < n; c++) {
            float[] s = clips.get(c).resample(a.sampleRate()).samples();
            double[] x = new double[a.clipSamples()];
            double sq = 0;
            for (int i = 0; i < Math.min(s.length, x.length); i++) {
                x[i] = s[i];
                sq += x[i] * x[i];
            }
            v[0][c] = 10 * Math.log10(sq / x.length + 1e-12);
            double[][] mag = GriffinLim.magnitude(stft.stft(x));
            double[] energy = new double[mag.length];
            double loudest = 0;
            for (int t = 0; t < mag.length; t++) {
                for (double m : mag[t]) {
                    energy[t] += m * m;
                }
                loudest = Math.max(loudest, energy[t]);
            }
            double wSum = 0;
            double centroid = 0;
            double rolloff = 0;
            double flatness = 0;
            int active = 0;
            for (int t = 0; t < mag.length; t++) {
                if (!(energy[t] > 0) || energy[t] < loudest * 1e-4) {
                    continue;
                }
                active++;
                double num = 0;
                double logSum = 0;
                double cumulative = 0;
                double roll = 0;
                for (int k = 0; k < mag[t].length; k++) {
                    double p = mag[t][k] * mag[t][k];
                    double hz = (double) k * a.sampleRate() / a.nFft();
                    num += hz * p;
                    logSum += Math.log(p + 1e-20);
                }
                for (int k = 0; k < mag[t].length; k++) {
                    cumulative += mag[t][k] * mag[t][k];
                    if (cumulative >= 0.85 * energy[t]) {
                        roll = (double) k * a.sampleRate() / a.nFft();
                        break;
                    }
                }
                double arith = energy[t] / mag[t].length;
                double geo = Math.exp(logSum / mag[t].length);
                centroid += num; // energy-weighted mean of the frame centroids num / energy[t]
                rolloff += energy[t] * roll;
                flatness += energy[t] * geo / arith;
                wSum += energy[t];
            }
            v[1][c] = wSum > 0 ? centroid / wSum : 0;
            v[2][c] = wSum > 0 ? rolloff / wSum : 0;
            v[3][c] = wSum > 0 ? flatness / wSum : 0;
            v[4][c] = active * (double) a.hop() / a.sampleRate();
        }
        String[][] names = {{"level", "dBFS"}, {"spectral centroid", "Hz"}, {"85% roll-off", "Hz"}, {"spectral flatness", ""},
            {"active duration", "s"}};
        List<Figure> out = new java.util.ArrayList<>();
        for (int f = 0; f < v.length; f++) {
            double mean = java.util.Arrays.stream(v[f]).average().orElse(Double.NaN);
            double var = java.util.Arrays.stream(v[f]).map(d -> (d - mean) * (d - mean)).sum() / Math.max(1, n - 1);
            out.add(new Figure(names[f][0], names[f][1], mean, Math.sqrt(var)));
        }
        return out;
    }
}
