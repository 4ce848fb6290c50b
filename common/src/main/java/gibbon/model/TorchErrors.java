package gibbon.model;

import java.io.EOFException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the text of an engine or I/O exception into the one line that says what went wrong, for
 * model errors that name a file and then their cause.
 */
final class TorchErrors {
    /** The line of a libtorch error that names its cause, e.g. "RuntimeError: mat1 and mat2 shapes ...". */
    private static final Pattern TORCH_ERROR = Pattern.compile("^\\s*\\w*Error: ");

    private TorchErrors() {}

    /**
     * libtorch's messages open with "The following operation failed in the TorchScript interpreter"
     * and a traceback; the cause is the last "...Error: " line. Other messages give their first
     * non-blank line, and an exception without a message is named by its class.
     */
    static String reason(Throwable e) {
        String message = e.getMessage() == null ? "" : e.getMessage();
        String cause = null;
        for (String line : message.lines().toList()) {
            Matcher m = TORCH_ERROR.matcher(line);
            if (m.find()) {
                cause = line.substring(m.end()).trim();
            }
        }
        if (cause == null) {
            cause = message.lines().map(String::trim).filter(l -> !l.isEmpty()).findFirst().orElse("");
        }
        if (cause.isEmpty()) {
            return e instanceof EOFException ? "the file ends early" : e.getClass().getSimpleName();
        }
        return cause;
    }
}
