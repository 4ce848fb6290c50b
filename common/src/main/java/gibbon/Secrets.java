package gibbon;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one place that decides what a credential looks like and hides it: config keys that name a
 * secret, passwords in a URI's user info ({@code s3a://KEY:SECRET@bucket/...}, {@code
 * jdbc:postgresql://user:pw@host/db}) and secret query parameters ({@code ?password=...}). The
 * stored config ({@code runs.config}) and every error message the command line prints go through
 * it.
 */
public final class Secrets {
    /** The word that replaces a credential wherever it would be shown or stored. */
    public static final String REDACTED = "<redacted>";

    /** Names (a config key's last element, a query parameter) whose values are credentials. */
    private static final Pattern SECRET_NAME = Pattern.compile(
            "(?i).*(secret|password|passwd|token|credential|signature|access[._-]?key|api[._-]?key|private[._-]?key).*"
                    + "|pwd|sig");

    /**
     * {@code scheme://user:password@}: the password runs to the last '@' before a blank, since
     * secrets may hold a raw '/' or '@' (hiding too much is safe, too little is not). A port
     * followed by a path ({@code hdfs://nn:8020/a@b}) and an IPv6 host ({@code [::1]}) are not.
     */
    private static final Pattern USER_INFO = Pattern.compile(
            "([a-zA-Z][a-zA-Z0-9+.-]*://)([^/\\s@:?#\\[\\]]*):(?!\\d*(?:/|$))(\\S*)@");

    /** {@code ?name=value}, {@code &name=value} or {@code ;name=value} (JDBC URL properties). */
    private static final Pattern PARAMETER = Pattern.compile("([?&;])([A-Za-z0-9._-]+)=([^&;\\s#'\"]*)");

    private Secrets() {}

    /** Whether a key or parameter name names a credential (its value is never shown). */
    public static boolean isSecretName(String name) {
        return SECRET_NAME.matcher(name).matches();
    }

    /**
     * The text with every credential in a URI replaced by {@link #REDACTED}: the user info of a URI
     * that carries a password, and the value of each query parameter named like a secret.
     */
    public static String redact(String text) {
        if (text == null) {
            return null;
        }
        String out = USER_INFO.matcher(text).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + REDACTED + "@"));
        Matcher p = PARAMETER.matcher(out);
        StringBuilder sb = new StringBuilder();
        while (p.find()) {
            String value = isSecretName(p.group(2)) && !p.group(3).isEmpty() ? REDACTED : p.group(3);
            p.appendReplacement(sb, Matcher.quoteReplacement(p.group(1) + p.group(2) + "=" + value));
        }
        return p.appendTail(sb).toString();
    }

    /**
     * Checks that a storage location carries no credentials: Hadoop's s3a refuses them in URIs,
     * and a location is printed and recorded in {@code runs}, where a secret must never be.
     *
     * @throws GibbonException of kind CONFIG naming the key and the location with the secret hidden
     */
    public static void requireNoCredentials(String key, String location) {
        credentials(location).ifPresent(shown -> {
            boolean s3 = location.regionMatches(true, 0, "s3", 0, 2);
            throw GibbonException.config("config key '" + key + "': " + shown + ": credentials do not belong in a location"
                    + (s3 ? " (Hadoop's s3a refuses them, and locations are printed and stored in runs): set"
                            + " fs.s3a.access.key and fs.s3a.secret.key in the hadoop section"
                            : " (locations are printed and stored in runs): give them in the hadoop section, where keys"
                                    + " naming a secret are stored as " + REDACTED));
        });
    }

    /** The location with its credentials hidden, if it carries any. */
    private static Optional<String> credentials(String location) {
        String shown = redact(location);
        return shown.equals(location) ? Optional.empty() : Optional.of(shown);
    }
}
