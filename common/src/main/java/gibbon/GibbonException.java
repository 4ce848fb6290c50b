package gibbon;

/**
 * An error the user can fix: bad config, data, model or query. Its message is one line that names
 * the key or file at fault; the command line prints it without a stack trace and exits with
 * {@link #exitCode()}.
 */
public class GibbonException extends RuntimeException {
    /** The class of a user error, each with its own documented exit code. */
    public enum Kind {
        /** Bad command line or config. */
        CONFIG(2),
        /** Unreadable or malformed dataset. */
        DATA(3),
        /** Unreadable or mismatched model. */
        MODEL(4),
        /** Bad SQL. */
        QUERY(5);

        private final int exitCode;

        Kind(int exitCode) {
            this.exitCode = exitCode;
        }

        /** The process exit code for this kind of error. */
        public int exitCode() {
            return exitCode;
        }
    }

    private final Kind kind;

    public GibbonException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public GibbonException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    public int exitCode() {
        return kind.exitCode();
    }

    public static GibbonException config(String message) {
        return new GibbonException(Kind.CONFIG, message);
    }

    public static GibbonException data(String message) {
        return new GibbonException(Kind.DATA, message);
    }

    public static GibbonException model(String message) {
        return new GibbonException(Kind.MODEL, message);
    }
}
