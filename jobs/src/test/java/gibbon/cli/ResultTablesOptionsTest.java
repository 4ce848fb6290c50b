package gibbon.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which config {@code sql}, {@code report} and {@code export} read: {@code --config}, else the file
 * {@code GIBBON_CONFIG} names, else conf/default.conf; each says on stderr which catalog and
 * warehouse it opened, and the warehouse that gets the tables is that config's.
 */
class ResultTablesOptionsTest {
    @TempDir
    Path dir;

    private final UnaryOperator<String> realEnvironment = ResultTablesOptions.environment;

    @AfterEach
    void restoreEnvironment() {
        ResultTablesOptions.environment = realEnvironment;
    }

    private Path config(String name, String catalog) throws IOException {
        Path file = dir.resolve(name + ".conf");
        // The default experiment, with its own catalog and warehouse.
        Files.writeString(file, Files.readString(ResultTablesOptions.DEFAULT_CONFIG) + "\noutput.catalog = " + catalog + "\noutput.warehouse = \"" + dir.resolve(name + "-wh") + "\"\n");
        return file;
    }

    private static void environment(Map<String, String> variables) {
        ResultTablesOptions.environment = variables::get;
    }

    @Test
    void gibbonConfigNamesTheConfigWhenNoConfigOptionIsGiven() throws IOException {
        Path a = config("a", "envcat");
        environment(Map.of("GIBBON_CONFIG", a.toString()));
        CommandResult r = CommandResult.run("sql", "SELECT count(*) AS n FROM runs", "--format", "csv");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("n\n0\n", r.out());
        assertTrue(r.err().contains("gibbon sql: reading catalog envcat (hadoop), warehouse " + dir.resolve("a-wh")
                + ", namespace robustness; config " + a + " (GIBBON_CONFIG)"), r.err());
        assertTrue(Files.isDirectory(dir.resolve("a-wh").resolve("robustness").resolve("runs")), "the tables went to a's warehouse");
    }

    @Test
    void configOptionWinsOverGibbonConfigAndSaysSo() throws IOException {
        Path a = config("a", "envcat2");
        Path b = config("b", "optcat");
        environment(Map.of("GIBBON_CONFIG", a.toString()));
        CommandResult r = CommandResult.run("sql", "--config", b.toString(), "SELECT 1 AS one");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("gibbon sql: reading catalog optcat (hadoop), warehouse " + dir.resolve("b-wh")
                + ", namespace robustness; config " + b + " (--config, over GIBBON_CONFIG=" + a + ")"), r.err());
        assertTrue(Files.isDirectory(dir.resolve("b-wh").resolve("robustness").resolve("runs")));
        assertFalse(Files.exists(dir.resolve("a-wh")), "GIBBON_CONFIG's warehouse is not opened");
    }

    @Test
    void withoutEitherTheDefaultConfigIsRead() {
        environment(Map.of());
        CommandResult r = CommandResult.run("sql", "--set", "output.warehouse=" + dir.resolve("d-wh"),
                "--set", "output.catalog=defcat", "SELECT 1 AS one");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("gibbon sql: reading catalog defcat (hadoop), warehouse " + dir.resolve("d-wh")
                + ", namespace robustness; config " + Path.of("conf", "default.conf") + " (default)"), r.err());
    }

    @Test
    void aMissingGibbonConfigFileIsOneLineNamingTheVariable() {
        environment(Map.of("GIBBON_CONFIG", dir.resolve("nope.conf").toString()));
        CommandResult r = CommandResult.run("export");
        assertEquals(2, r.exitCode(), r.err());
        assertEquals("gibbon: error: GIBBON_CONFIG=" + dir.resolve("nope.conf") + ": config file not found\n", r.err());
    }

    @Test
    void usageOfEachReadingCommandShowsConfigAndTheVariable() {
        for (String command : new String[] {"sql", "report", "export"}) {
            CommandResult r = CommandResult.run(command, "--help");
            assertEquals(0, r.exitCode(), r.err());
            String usage = r.out().replaceAll("\\s+", " ");
            assertTrue(usage.contains("--config=CONFIG") && usage.contains("$GIBBON_CONFIG"), command + ": " + r.out());
        }
    }
}
