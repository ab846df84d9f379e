package dev.diffusion4j.eval;

import dev.diffusion4j.data.Wav;
import java.io.IOException;
import java.util.List;

/** Something that listens to clips and says which of a few words each one is. */
public interface Recognizer {
    /** What it is, for reports: its program and settings. */
    String describe();

    /**
     * The word heard in each clip, in order: one of {@code words}, or null where nothing was recognised.
     *
     * @param clips the clips, at any sampling rate (the recogniser prepares them itself)
     * @param words the only words it may answer
     * @throws IOException when the recogniser cannot be run
     */
    List<String> recognise(List<Wav> clips, List<String> words) throws IOException;
}
