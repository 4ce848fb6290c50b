package gibbon.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The bad-input corpus ({@code bad-inputs/cases.conf}) through the real {@code ./gibbon} launcher,
 * one process per case, in a workspace whose warehouse holds one finished run. Each case must
 * exit with its class's code, print one line on stderr that contains its expected text (with
 * {@code --verbose}: that line and a stack trace), and leave every file of the warehouse as it was
 * (no table gets a snapshot). Every case's exit code and message go to the test log; the generated
 * section of docs/troubleshooting.md must equal the one generated from the corpus (run with
 * {@code -Dgibbon.update-readme=true} to rewrite it).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BadInputCorpusIT {
    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final Path CORPUS = ROOT.resolve("jobs/src/test/resources/bad-inputs");
    private static final Path WORK = ROOT.resolve("jobs/target/bad-inputs");
    private static final Path TROUBLESHOOTING = ROOT.resolve("docs/troubleshooting.md");
    private static final String BEGIN = "<!-- troubleshooting: generated from jobs/src/test/resources/bad-inputs/cases.conf -->";
    private static final String END = "<!-- end of troubleshooting -->";
    private static final Map<String, Integer> EXIT = Map.of("config", 2, "data", 3, "model", 4, "query", 5);
    private static final Map<String, String> HEADINGS = Map.of("config", "Config and command line", "data", "Data",
            "model", "Model", "query", "Queries");

    /** Observed message of each case, in corpus order. */
    private static final Map<String, String> MESSAGES = new LinkedHashMap<>();

    record Case(String name, String kind, List<String> args, Map<String, String> files, String expect, String meaning,
            String fix) {
        @Override
        public String toString() {
            return kind + ": " + name;
        }
    }

    static List<Case> cases() {
        Config corpus = ConfigFactory.parseFile(CORPUS.resolve("cases.conf").toFile()).resolve();
        List<Case> out = new ArrayList<>();
        for (Config c : corpus.getConfigList("cases")) {
            Map<String, String> files = new TreeMap<>();
            if (c.hasPath("files")) {
                c.getObject("files").unwrapped().forEach((k, v) -> files.put(k, (String) v));
            }
            out.add(new Case(c.getString("name"), c.getString("class"), c.getStringList("args"), files, c.getString("expect"),
                    c.getString("meaning"), c.getString("fix")));
        }
        return out;
    }

    @BeforeAll
    static void workspaceWithOneRun() throws Exception {
        deleteRecursively(WORK);
        Files.createDirectories(WORK);
        copyRecursively(CORPUS.resolve("files"), WORK.resolve("files"));
        Files.writeString(WORK.resolve("base.conf"), String.join("\n",
                "dataset {",
                "  images = \"" + ROOT.resolve("bundled/fashion-mnist/t10k-images-idx3-ubyte.gz") + "\"",
                "  labels = \"" + ROOT.resolve("bundled/fashion-mnist/t10k-labels-idx1-ubyte.gz") + "\"",
                "  limit = 16",
                "}",
                "model.uri = \"" + ROOT.resolve("bundled/models/fashion-cnn") + "\"",
                "attacks { fgsm { epsilons = [0.1] } }",
                "spark.master = \"local[1]\"",
                "output.warehouse = warehouse",
                ""));
        Result baseline = gibbon(List.of("run", "base.conf"));
        assertEquals(0, baseline.exit(), "the baseline run must succeed: " + baseline.err());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    @Order(1)
    void badInputGivesOneLineAndItsExitCode(Case c) throws Exception {
        for (Map.Entry<String, String> f : c.files().entrySet()) {
            Files.writeString(WORK.resolve(f.getKey()), f.getValue());
        }
        Map<String, Long> before = warehouseFiles();
        long start = System.nanoTime();
        Result r = gibbon(c.args());
        double seconds = (System.nanoTime() - start) / 1e9;
        // sql, report and export first say which catalog they read: information, not part of the error.
        List<String> lines = r.err().lines().filter(l -> !l.isBlank() && !l.matches("gibbon \\w+: reading catalog .*"))
                .toList();
        String message = lines.isEmpty() ? "" : lines.get(0);
        System.out.printf("CASE %-58s | exit %d | %5.1f s | %s%n", c, r.exit(), seconds, message);
        MESSAGES.put(c.name(), message);

        assertEquals(EXIT.get(c.kind()), r.exit(), c + ": exit code; stderr:\n" + r.err());
        assertTrue(message.contains(c.expect()), c + ": expected '" + c.expect() + "' in: " + message);
        boolean verbose = c.args().contains("--verbose");
        if (verbose) {
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("\tat ")), c + ": --verbose prints the stack trace");
        } else {
            assertEquals(1, lines.size(), c + ": one line on stderr, no stack trace; got:\n" + r.err());
        }
        assertEquals(before, warehouseFiles(), c + ": the tables must not change");
    }

    @Test
    @Order(2)
    void troubleshootingDocMatchesTheCorpus() throws IOException {
        String generated = troubleshooting(cases());
        Files.writeString(ROOT.resolve("jobs/target/troubleshooting.md"), generated);
        String doc = Files.readString(TROUBLESHOOTING);
        int begin = doc.indexOf(BEGIN);
        int end = doc.indexOf(END);
        assertTrue(begin >= 0 && end > begin, "docs/troubleshooting.md needs the markers " + BEGIN + " and " + END);
        String current = doc.substring(begin, end + END.length());
        if (!current.equals(generated) && Boolean.getBoolean("gibbon.update-readme")) {
            Files.writeString(TROUBLESHOOTING, doc.substring(0, begin) + generated + doc.substring(end + END.length()));
            return;
        }
        assertEquals(generated, current, "docs/troubleshooting.md differs from the corpus (the generated section is"
                + " in jobs/target/troubleshooting.md; -Dgibbon.update-readme=true rewrites it)");
    }

    /** The generated section of docs/troubleshooting.md: per class, each case's message as observed (workspace paths shortened). */
    private static String troubleshooting(List<Case> cases) {
        StringBuilder out = new StringBuilder(BEGIN).append("\n");
        for (String kind : List.of("config", "data", "model", "query")) {
            out.append("\n**").append(HEADINGS.get(kind)).append(" — exit ").append(EXIT.get(kind)).append("**\n\n")
                    .append("| message (example) | what it means | what to do |\n|---|---|---|\n");
            for (Case c : cases) {
                if (c.kind().equals(kind) && !c.args().contains("--verbose")) {
                    String message = MESSAGES.getOrDefault(c.name(), "(not run)");
                    out.append("| `").append(shorten(message).replace("|", "\\|").replace("`", "'")).append("` | ")
                            .append(c.meaning().replace("|", "\\|")).append(" | ").append(c.fix().replace("|", "\\|"))
                            .append(" |\n");
                }
            }
        }
        return out.append("\n").append(END).toString();
    }

    private static String shorten(String message) {
        return message.replace("file://" + WORK + "/", "").replace(WORK + "/", "").replace("file://" + ROOT + "/", "")
                .replace(ROOT + "/", "");
    }

    record Result(int exit, String out, String err) {}

    private static Result gibbon(List<String> args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(ROOT.resolve("gibbon").toString());
        command.addAll(args);
        Path out = WORK.resolve("stdout.txt");
        Path err = WORK.resolve("stderr.txt");
        ProcessBuilder builder = new ProcessBuilder(command).directory(WORK.toFile()).redirectOutput(out.toFile())
                .redirectError(err.toFile());
        // Maven packaged the jar just before integration tests; the launcher must not rebuild it mid-run.
        builder.environment().put("GIBBON_SKIP_BUILD", "1");
        Process p = builder.start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("gibbon " + args + " did not finish in 5 minutes");
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err,
                StandardCharsets.UTF_8));
    }

    /** Every file of the warehouse with its size: a new snapshot adds metadata files. */
    private static Map<String, Long> warehouseFiles() throws IOException {
        Map<String, Long> files = new TreeMap<>();
        Path warehouse = WORK.resolve("warehouse");
        try (Stream<Path> all = Files.walk(warehouse)) {
            for (Path p : all.filter(Files::isRegularFile).toList()) {
                files.put(warehouse.relativize(p).toString(), Files.size(p));
            }
        }
        return files;
    }

    private static void copyRecursively(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : all.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
