package gibbon.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A team's shared catalog: a real PostgreSQL server holds the Iceberg catalog of conf/team.conf,
 * and every Gibbon is its own process started by the launcher ({@code ./gibbon}, the jar as built)
 * from its own working directory, as team members on their machines would. Two runs started at once
 * both commit; an analyst's {@code gibbon sql} sees both; a run whose driver is killed leaves no
 * results and shows up in no analyst view; a catalog that is down, hung or refuses the password
 * fails the command in one line within 15 s.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SharedCatalogIT {
    private static final Path WORK = Path.of("jobs/target/shared-catalog-it").toAbsolutePath();
    private static final Path LAUNCHER = Path.of("gibbon").toAbsolutePath();
    private static final Path TEAM_CONF = Path.of("conf/team.conf").toAbsolutePath();
    private static final String DATABASE = "gibbon";
    /** The team role of conf/team.conf. */
    private static final String ROLE = "gibbon";
    private static final String PASSWORD = "team-" + UUID.randomUUID();
    private static final int EXAMPLES = 100;
    /** fgsm and noise, 7 epsilons each. */
    private static final int PAIRS = 14;
    private static final double FAIL_WITHIN_S = 15;

    private static PostgresServer postgres;

    @BeforeAll
    static void start() throws Exception {
        if (Files.exists(WORK)) {
            try (Stream<Path> files = Files.walk(WORK)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        for (String member : List.of("alice", "bob", "analyst", "victim", "failures")) {
            Files.createDirectories(WORK.resolve(member));
        }
        postgres = new PostgresServer(ROLE, PASSWORD);
        postgres.createDatabase(DATABASE);
    }

    @AfterAll
    static void stop() throws Exception {
        if (postgres != null) {
            postgres.close();
        }
    }

    /** What every member sets on top of conf/team.conf: where the test's catalog and warehouse are. */
    private static List<String> catalogArgs(String uri) {
        return List.of("--set", "output.catalog-properties.uri=" + uri,
                "--set", "output.warehouse=" + WORK.resolve("warehouse"));
    }

    private static List<String> runArgs(String runId, String... more) {
        Path repo = Path.of("").toAbsolutePath();
        List<String> args = new ArrayList<>(List.of("run", TEAM_CONF.toString(), "--run-id", runId,
                "--set", "dataset.images=" + repo.resolve("bundled/fashion-mnist/t10k-images-idx3-ubyte.gz"),
                "--set", "dataset.labels=" + repo.resolve("bundled/fashion-mnist/t10k-labels-idx1-ubyte.gz"),
                "--set", "model.uri=" + repo.resolve("bundled/models/fashion-cnn"),
                "--set", "dataset.limit=" + EXAMPLES, "--set", "spark.master=local[1]",
                "--set", "attacks.pgd.enabled=false", "--set", "attacks.pgd_l2.enabled=false"));
        args.addAll(catalogArgs(postgres.uri(DATABASE)));
        args.addAll(List.of(more));
        return args;
    }

    /** The exit code, output and wall time of one gibbon process. */
    private record Outcome(int exit, String out, String err, double seconds) {
        String log() {
            return "[exit " + exit + ", " + String.format("%.1f s", seconds) + "]\n" + out + err;
        }
    }

    /** Starts the launcher as its own process in a member's working directory. */
    private static Process gibbon(String member, String name, String password, List<String> args) throws IOException {
        List<String> command = new ArrayList<>(List.of(LAUNCHER.toString()));
        command.addAll(args);
        Path dir = WORK.resolve(member);
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile())
                .redirectOutput(dir.resolve(name + ".out").toFile()).redirectError(dir.resolve(name + ".err").toFile());
        // The jar as built by the package phase; the launcher would rebuild when sources look newer.
        pb.environment().put("GIBBON_SKIP_BUILD", "1");
        pb.environment().put("GIBBON_CATALOG_PASSWORD", password);
        return pb.start();
    }

    private static Outcome await(Process p, String member, String name, long startNanos, int minutes) throws Exception {
        assertTrue(p.waitFor(minutes, TimeUnit.MINUTES), member + "/" + name + " did not finish in " + minutes + " min");
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        Path dir = WORK.resolve(member);
        return new Outcome(p.exitValue(), Files.readString(dir.resolve(name + ".out")),
                Files.readString(dir.resolve(name + ".err")), seconds);
    }

    private static Outcome gibbonAndWait(String member, String name, String password, List<String> args) throws Exception {
        long start = System.nanoTime();
        return await(gibbon(member, name, password, args), member, name, start, 5);
    }

    /**
     * What the analyst sees, one row per run of {@code runs}: status, rows in predictions and
     * summary, rows in each analyst view, and the run's time span, from {@code gibbon sql} with
     * conf/team.conf in a third working directory.
     */
    private static Map<String, Map<String, String>> analystView(String name) throws Exception {
        String query = "SELECT r.run_id, r.status,"
                + " (SELECT count(*) FROM predictions p WHERE p.run_id = r.run_id) AS predictions,"
                + " (SELECT count(*) FROM summary s WHERE s.run_id = r.run_id) AS summary,"
                + " (SELECT count(*) FROM robustness_curve c WHERE c.run_id = r.run_id) AS robustness_curve,"
                + " (SELECT count(*) FROM class_robustness k WHERE k.run_id = r.run_id) AS class_robustness,"
                + " (SELECT count(*) FROM latest_summary l WHERE l.run_id = r.run_id) AS latest_summary,"
                + " instr(r.config, '<redacted>') > 0 AS password_redacted,"
                + " unix_millis(r.started_at) AS started_ms, unix_millis(r.finished_at) AS finished_ms"
                + " FROM runs r ORDER BY r.run_id";
        List<String> args = new ArrayList<>(List.of("sql", "--config", TEAM_CONF.toString(), "--format", "csv"));
        args.addAll(catalogArgs(postgres.uri(DATABASE)));
        args.add(query);
        Outcome o = gibbonAndWait("analyst", name, PASSWORD, args);
        System.out.println("--- analyst: gibbon sql --config conf/team.conf (" + String.format("%.1f s", o.seconds) + ")\n"
                + o.out);
        assertEquals(0, o.exit, o.log());
        assertFalse(o.out.contains(PASSWORD) || o.err.contains(PASSWORD), "the password was shown:\n" + o.log());
        List<String> lines = o.out.lines().toList();
        String[] header = lines.get(0).split(",");
        Map<String, Map<String, String>> runs = new LinkedHashMap<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] cells = line.split(",", -1);
            Map<String, String> row = new LinkedHashMap<>();
            for (int i = 0; i < header.length; i++) {
                row.put(header[i], cells[i]);
            }
            runs.put(row.get("run_id"), row);
        }
        return runs;
    }

    private static void assertPublished(Map<String, String> run) {
        assertEquals("succeeded", run.get("status"), run.toString());
        assertEquals(String.valueOf(EXAMPLES * PAIRS), run.get("predictions"), run.toString());
        assertEquals(String.valueOf(PAIRS), run.get("summary"), run.toString());
        assertEquals(String.valueOf(PAIRS), run.get("robustness_curve"), run.toString());
        assertTrue(Long.parseLong(run.get("class_robustness")) > 0, run.toString());
        assertEquals("true", run.get("password_redacted"), run.toString());
    }

    @Test
    @Order(1)
    void twoRunsStartedAtOnceFromTwoDirectoriesBothCommit() throws Exception {
        long start = System.nanoTime();
        Process alice = gibbon("alice", "run", PASSWORD, runArgs("alice"));
        Process bob = gibbon("bob", "run", PASSWORD, runArgs("bob"));
        Outcome a = await(alice, "alice", "run", start, 5);
        Outcome b = await(bob, "bob", "run", start, 5);
        for (Outcome o : List.of(a, b)) {
            assertEquals(0, o.exit, o.log());
            assertTrue(o.out.contains("summary of run"), o.log());
            assertFalse(o.out.contains(PASSWORD) || o.err.contains(PASSWORD), "the password was shown:\n" + o.log());
        }
        System.out.printf("concurrent runs: alice (own working directory) exit %d in %.1f s, bob exit %d in %.1f s%n",
                a.exit, a.seconds, b.exit, b.seconds);
        Map<String, Map<String, String>> runs = analystView("after-concurrent");
        assertEquals(List.of("alice", "bob"), List.copyOf(runs.keySet()));
        runs.values().forEach(SharedCatalogIT::assertPublished);
        long aliceStart = Long.parseLong(runs.get("alice").get("started_ms"));
        long aliceEnd = Long.parseLong(runs.get("alice").get("finished_ms"));
        long bobStart = Long.parseLong(runs.get("bob").get("started_ms"));
        long bobEnd = Long.parseLong(runs.get("bob").get("finished_ms"));
        System.out.printf("runs overlapped for %.1f s (alice %.1f s, bob %.1f s between started_at and finished_at)%n",
                (Math.min(aliceEnd, bobEnd) - Math.max(aliceStart, bobStart)) / 1e3, (aliceEnd - aliceStart) / 1e3,
                (bobEnd - bobStart) / 1e3);
    }

    @Test
    @Order(2)
    void aKilledDriverLeavesNothingAnAnalystSees() throws Exception {
        String before = runsMetadata();
        long start = System.nanoTime();
        // A long attack (PGD, 1000 examples), killed as soon as its running row is committed.
        Process victim = gibbon("victim", "run", PASSWORD, runArgs("killed", "--set", "dataset.limit=1000",
                "--set", "attacks.fgsm.enabled=false", "--set", "attacks.noise.enabled=false",
                "--set", "attacks.pgd.enabled=true", "--set", "attacks.pgd.steps=40"));
        for (long deadline = start + TimeUnit.MINUTES.toNanos(3); runsMetadata().equals(before);) {
            assertTrue(victim.isAlive(), "the run ended before its running row was committed:\n"
                    + Files.readString(WORK.resolve("victim/run.out")) + Files.readString(WORK.resolve("victim/run.err")));
            assertTrue(System.nanoTime() < deadline, "the run was never recorded as running");
            Thread.sleep(100);
        }
        assertTrue(victim.isAlive(), "the run finished before it could be killed");
        victim.descendants().forEach(ProcessHandle::destroyForcibly);
        victim.destroyForcibly();
        assertTrue(victim.waitFor(30, TimeUnit.SECONDS));
        System.out.printf("killed the driver of run 'killed' (kill -9, exit %d) %.1f s after its start, once its running"
                + " row was committed%n", victim.exitValue(), (System.nanoTime() - start) / 1e9);
        Map<String, Map<String, String>> runs = analystView("after-kill");
        assertEquals(List.of("alice", "bob", "killed"), List.copyOf(runs.keySet()));
        assertPublished(runs.get("alice"));
        assertPublished(runs.get("bob"));
        Map<String, String> killed = runs.get("killed");
        assertEquals("running", killed.get("status"), "the only trace of the killed run: " + killed);
        for (String column : List.of("predictions", "summary", "robustness_curve", "class_robustness", "latest_summary")) {
            assertEquals("0", killed.get(column), column + " shows the killed run: " + killed);
        }
    }

    @Test
    @Order(3)
    void aCatalogThatIsDownHungOrRefusesThePasswordFailsInOneLineWithin15Seconds() throws Exception {
        List<String> sql = List.of("sql", "--config", TEAM_CONF.toString(), "SELECT count(*) FROM runs");
        String wrongPassword = "not-" + PASSWORD;
        expectCatalogError("wrong password, gibbon sql", wrongPassword, concat(sql, catalogArgs(postgres.uri(DATABASE))),
                "config key 'output.catalog-properties.jdbc.password'", "password authentication failed");
        // A server that accepts the connection and never answers (the kernel completes the handshake).
        try (ServerSocket hung = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            expectCatalogError("hung server, gibbon sql", PASSWORD, concat(sql, catalogArgs("jdbc:postgresql://127.0.0.1:"
                    + hung.getLocalPort() + "/" + DATABASE)), "config key 'output.catalog-properties.uri'", "timed out");
        }
        expectCatalogError("rest catalog down, gibbon sql", PASSWORD, concat(sql, catalogArgs("http://127.0.0.1:"
                + PostgresServer.freePort() + "/catalog"), List.of("--set", "output.catalog-type=rest")),
                "config key 'output.catalog-properties.uri'", "Connect");
        postgres.stop();
        expectCatalogError("stopped server, gibbon sql", PASSWORD, concat(sql, catalogArgs(postgres.uri(DATABASE))),
                "config key 'output.catalog-properties.uri'", "refused");
        expectCatalogError("stopped server, gibbon run", PASSWORD, runArgs("after-stop"),
                "config key 'output.catalog-properties.uri'", "refused");
    }

    private static List<String> concat(List<String> first, List<String> second) {
        return Stream.concat(first.stream(), second.stream()).toList();
    }

    private static List<String> concat(List<String> first, List<String> second, List<String> third) {
        return concat(concat(first, second), third);
    }

    private static void expectCatalogError(String what, String password, List<String> args, String key, String why)
            throws Exception {
        Outcome o = gibbonAndWait("failures", what.replaceAll("\\W+", "-"), password, args);
        // sql first says which catalog it reads: information, not part of the error.
        List<String> lines = o.err.lines().filter(l -> !l.matches("gibbon \\w+: reading catalog .*")).toList();
        System.out.printf("%s: exit %d after %.1f s: %s%n", what, o.exit, o.seconds, String.join(" | ", lines));
        assertEquals(2, o.exit, o.log());
        assertEquals(1, lines.size(), "one line on stderr:\n" + o.log());
        assertTrue(lines.get(0).startsWith("gibbon: error: " + key), o.log());
        assertTrue(lines.get(0).contains(why), o.log());
        assertFalse(o.err.contains(password) || o.out.contains(password), "the password was shown:\n" + o.log());
        assertTrue(o.seconds < FAIL_WITHIN_S, what + " took " + o.seconds + " s:\n" + o.log());
    }

    /** Where the catalog database says the runs table's current metadata is: it changes with every commit. */
    private static String runsMetadata() throws SQLException {
        try (Connection c = postgres.connect(DATABASE); Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT metadata_location FROM iceberg_tables"
                        + " WHERE table_namespace = 'robustness' AND table_name = 'runs'")) {
            assertTrue(r.next(), "no runs table in the catalog database");
            return r.getString(1);
        }
    }
}
