package gibbon.config;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds an object written twice under the same path in one config file, such as two {@code pgd}
 * entries in {@code attacks}. HOCON merges such objects silently (the later keys win, the others
 * survive), so a pasted second {@code pgd} block would run one attack with a mix of both. The
 * parsed config keeps no trace of the merge, so this reads the text: comments, quoted strings,
 * substitutions, arrays and dotted keys are understood; values are skipped.
 */
final class DuplicateEntries {
    private DuplicateEntries() {}

    /** A token: a word (key or value text), a structural character, or a line end. */
    private record Token(String text, boolean word, int line) {}

    /**
     * The first object path under {@code section} that the text defines twice, with both lines, e.g.
     * {@code "attacks.pgd" (lines 12 and 30)}.
     */
    static Optional<String> find(String text, String section) {
        List<Token> tokens = tokens(text);
        Map<String, Integer> seen = new HashMap<>();
        // The path of each open object; empty inside arrays, whose elements are not entries.
        Deque<Optional<String>> paths = new ArrayDeque<>();
        paths.push(Optional.of(""));
        boolean expectKey = true;
        StringBuilder key = new StringBuilder();
        for (Token t : tokens) {
            Optional<String> path = paths.peek();
            if (t.word()) {
                if (expectKey && path.isPresent()) {
                    key.append(t.text());
                }
                continue;
            }
            switch (t.text()) {
                case "{" -> {
                    Optional<String> child = path;
                    if (path.isPresent() && !key.isEmpty()) {
                        String full = path.get().isEmpty() ? key.toString() : path.get() + "." + key;
                        Integer earlier = seen.putIfAbsent(full, t.line());
                        if (earlier != null && full.startsWith(section + ".") && full.indexOf('.', section.length() + 1) < 0) {
                            return Optional.of("'" + full + "' (lines " + earlier + " and " + t.line() + ")");
                        }
                        child = Optional.of(full);
                    }
                    paths.push(child);
                    key.setLength(0);
                    expectKey = true;
                }
                case "[" -> {
                    paths.push(Optional.empty());
                    key.setLength(0);
                }
                case "}", "]" -> {
                    if (paths.size() > 1) {
                        paths.pop();
                    }
                    key.setLength(0);
                    expectKey = false;
                }
                case "=", ":", "+=" -> expectKey = false;
                default -> {
                    // A line end or a comma ends a field.
                    key.setLength(0);
                    expectKey = true;
                }
            }
        }
        return Optional.empty();
    }

    private static List<Token> tokens(String text) {
        List<Token> out = new ArrayList<>();
        int line = 1;
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '\n') {
                out.add(new Token("\n", false, line++));
                i++;
            } else if (c == '#' || (c == '/' && i + 1 < text.length() && text.charAt(i + 1) == '/')) {
                while (i < text.length() && text.charAt(i) != '\n') {
                    i++;
                }
            } else if (text.startsWith("\"\"\"", i)) {
                int end = text.indexOf("\"\"\"", i + 3);
                end = end < 0 ? text.length() : end + 3;
                line += (int) text.substring(i, end).chars().filter(ch -> ch == '\n').count();
                out.add(new Token("\"\"\"", true, line));
                i = end;
            } else if (c == '"') {
                int j = i + 1;
                while (j < text.length() && text.charAt(j) != '"' && text.charAt(j) != '\n') {
                    j += text.charAt(j) == '\\' ? 2 : 1;
                }
                out.add(new Token(text.substring(i + 1, Math.min(j, text.length())), true, line));
                i = Math.min(j + 1, text.length());
            } else if (c == '$' && i + 1 < text.length() && text.charAt(i + 1) == '{') {
                int end = text.indexOf('}', i);
                end = end < 0 ? text.length() : end + 1;
                out.add(new Token(text.substring(i, end), true, line));
                i = end;
            } else if (text.startsWith("+=", i)) {
                out.add(new Token("+=", false, line));
                i += 2;
            } else if ("{}[]=:,".indexOf(c) >= 0) {
                out.add(new Token(String.valueOf(c), false, line));
                i++;
            } else if (Character.isWhitespace(c)) {
                i++;
            } else {
                int j = i;
                while (j < text.length() && !Character.isWhitespace(text.charAt(j)) && "{}[]=:,#\"".indexOf(text.charAt(j)) < 0
                        && !text.startsWith("+=", j) && !text.startsWith("//", j) && !text.startsWith("${", j)) {
                    j++;
                }
                out.add(new Token(text.substring(i, j), true, line));
                i = j;
            }
        }
        return out;
    }
}
