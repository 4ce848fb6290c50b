package gibbon.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps the README's command table in step with the command line: it must list exactly the
 * commands {@code gibbon --help} lists, plus the add-on commands ({@link AddOnCommand}, e.g.
 * {@code bench}) that modules register for the ServiceLoader, and every option a row names must be
 * one its command takes. Add-ons live in modules built after jobs, so they are read from their
 * sources: each {@code META-INF/services/gibbon.cli.AddOnCommand} file of a module names classes
 * whose {@code @Command(name = ...)} and {@code @Option(names = ...)} are taken from the source.
 */
class ReadmeCommandsTest {
    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final Pattern ROW = Pattern.compile("^\\| `\\./gibbon ([a-z][a-z-]*)([^`]*)` \\|", Pattern.MULTILINE);
    private static final Pattern OPTION = Pattern.compile("--[a-z][a-z0-9-]*");
    private static final Pattern HELP_COMMAND = Pattern.compile("^  ([a-z][a-z-]*)(\\s|$)");
    private static final Pattern COMMAND_NAME = Pattern.compile("@Command\\(\\s*name\\s*=\\s*\"([a-z][a-z-]*)\"");
    private static final Pattern OPTION_NAMES = Pattern.compile("@Option\\(\\s*names\\s*=\\s*(\\{[^}]*}|\"[^\"]*\")");

    @Test
    void readmeListsExactlyTheCommandsOfTheCommandLine() throws IOException {
        Map<String, String> readme = readmeCommands();
        Set<String> expected = new TreeSet<>(builtInCommands());
        expected.addAll(addOnOptions().keySet());
        assertTrue(expected.containsAll(List.of("run", "sql", "doctor", "bench")), "commands found: " + expected);
        assertEquals(expected, new TreeSet<>(readme.keySet()),
                "README.md's Commands table must list exactly the commands of gibbon --help and the add-ons");
    }

    @Test
    void everyOptionTheReadmeNamesExists() throws IOException {
        Map<String, Set<String>> addOns = addOnOptions();
        for (Map.Entry<String, String> row : readmeCommands().entrySet()) {
            String options = addOns.containsKey(row.getKey())
                    ? String.join(" ", addOns.get(row.getKey()))
                    : help(row.getKey());
            Matcher m = OPTION.matcher(row.getValue());
            while (m.find()) {
                assertTrue(Pattern.compile("(?<![\\w-])" + m.group() + "(?![\\w-])").matcher(options).find(),
                        "README.md documents " + m.group() + " for gibbon " + row.getKey() + ", which does not take it");
            }
        }
    }

    @Test
    void theCheckFailsWhenACommandIsMissing() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        String without = readme.replaceAll("(?m)^\\| `\\./gibbon export[^\\n]*\\n", "");
        assertFalse(commandsOf(without).containsKey("export"));
        assertTrue(commandsOf(readme).containsKey("export"));
    }

    /** The README's Commands table: command name to the rest of its synopsis. */
    private static Map<String, String> readmeCommands() throws IOException {
        return commandsOf(Files.readString(ROOT.resolve("README.md")));
    }

    private static Map<String, String> commandsOf(String readme) {
        int start = readme.indexOf("\n## Commands\n");
        assertTrue(start >= 0, "README.md needs a '## Commands' section");
        int end = readme.indexOf("\n## ", start + 1);
        String section = readme.substring(start, end < 0 ? readme.length() : end);
        Map<String, String> commands = new LinkedHashMap<>();
        Matcher m = ROW.matcher(section);
        while (m.find()) {
            commands.put(m.group(1), m.group(2));
        }
        return commands;
    }

    /** The commands that {@code gibbon --help} lists, less picocli's own {@code help}. */
    private static List<String> builtInCommands() {
        CommandResult help = CommandResult.run("--help");
        assertEquals(0, help.exitCode());
        String out = help.out();
        int at = out.indexOf("Commands:");
        assertTrue(at >= 0, "gibbon --help lists no commands:\n" + out);
        List<String> names = new ArrayList<>();
        for (String line : out.substring(at).split("\n")) {
            Matcher m = HELP_COMMAND.matcher(line);
            if (m.find() && !m.group(1).equals("help")) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    private static String help(String command) {
        CommandResult help = CommandResult.run(command, "--help");
        assertEquals(0, help.exitCode(), "gibbon " + command + " --help");
        return help.out() + help.err();
    }

    /** Add-on command names to their option names, from the modules' service files and sources. */
    private static Map<String, Set<String>> addOnOptions() throws IOException {
        Map<String, Set<String>> addOns = new LinkedHashMap<>();
        try (Stream<Path> modules = Files.list(ROOT)) {
            for (Path module : modules.filter(Files::isDirectory).toList()) {
                Path services = module.resolve("src/main/resources/META-INF/services/" + AddOnCommand.class.getName());
                if (!Files.isRegularFile(services)) {
                    continue;
                }
                for (String line : Files.readAllLines(services)) {
                    String type = line.replaceAll("#.*", "").trim();
                    if (type.isEmpty()) {
                        continue;
                    }
                    Path source = module.resolve("src/main/java/" + type.replace('.', '/') + ".java");
                    String text = Files.readString(source);
                    Matcher name = COMMAND_NAME.matcher(text);
                    assertTrue(name.find(), source + " has no @Command(name = ...)");
                    Set<String> options = new TreeSet<>(List.of("--help", "--version", "--verbose"));
                    Matcher option = OPTION_NAMES.matcher(text);
                    while (option.find()) {
                        Matcher each = OPTION.matcher(option.group(1));
                        while (each.find()) {
                            options.add(each.group());
                        }
                    }
                    addOns.put(name.group(1), options);
                }
            }
        }
        return addOns;
    }
}
