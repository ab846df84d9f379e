package dev.diffusion4j.data;

import java.util.List;
import java.util.Locale;

/** A class label as a user names it: by its name (case-insensitively) or by its index. */
public final class ClassNames {
    private ClassNames() {}

    /**
     * The label {@code token} names among {@code classes} labels with these names, or -1 when it names none.
     *
     * @param names the class names in label order, possibly empty
     */
    public static int indexOf(String token, List<String> names, int classes) {
        String t = token.trim().toLowerCase(Locale.ROOT);
        for (int k = 0; k < names.size(); k++) {
            if (names.get(k).toLowerCase(Locale.ROOT).equals(t)) {
                return k;
            }
        }
        return t.matches("\\d{1,9}") && Integer.parseInt(t) < classes ? Integer.parseInt(t) : -1;
    }

    /** The classes as a user may name them: {@code 0..9} and the names, if any. */
    public static String describe(List<String> names, int classes) {
        String range = "0.." + (classes - 1);
        return names.isEmpty() ? range : range + " or " + String.join(", ", names);
    }

    /** The name of label k: its class name, or the number. */
    public static String name(int k, List<String> names) {
        return k < names.size() ? names.get(k) : Integer.toString(k);
    }
}
