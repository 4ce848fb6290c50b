package gibbon.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code gibbon serve}, the launcher's process as built, over a warehouse holding a real small run,
 * queried by Spark Connect's JVM client in JVMs of their own whose classpath holds the client and
 * no classic Spark ({@link ConnectClient}): the analyst views answer with the rows a one-shot
 * {@code gibbon sql} gives, writes (SQL, DataFrame writer, Iceberg procedure) are refused with the
 * read-only message and change nothing, two clients query at once, a token is required beyond
 * loopback, and SIGTERM ends the server. Prints a warm query's latency beside the one-shot's.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServeIT {
    private static final Path WORK = Path.of("jobs/target/serve-it").toAbsolutePath();
    private static final Path LAUNCHER = Path.of("gibbon").toAbsolutePath();
    /** Spark Connect's JVM client and its dependencies, copied by the pom (connect-client). */
    private static final Path CLIENT_JARS = Path.of("jobs/target/connect-client").toAbsolutePath();
    private static final Path WAREHOUSE = WORK.resolve("warehouse");
    private static final String READ_ONLY = "would change the result tables; only SELECT, WITH, SHOW, DESCRIBE, EXPLAIN"
            + " and USE run unless --allow-writes";
    private static final Pattern ENDPOINT = Pattern.compile("gibbon serve: (sc://127\\.0\\.0\\.1:(\\d+)) \\(read-only\\)");
    /** Every row of the leaderboard and the robustness curve, as one string each: the same text from any client. */
    private static final String VIEWS_QUERY = "SELECT line FROM (SELECT concat_ws('|', 'leaderboard', model, norm,"
            + " CAST(epsilon AS STRING), attack, CAST(robust_accuracy AS STRING), CAST(n AS STRING)) AS line FROM leaderboard"
            + " UNION ALL SELECT concat_ws('|', 'robustness_curve', run_id, attack, CAST(epsilon AS STRING),"
            + " CAST(robust_accuracy AS STRING), CAST(ci_low AS STRING)) FROM robustness_curve) ORDER BY line";
    private static final String COUNTS_QUERY = "SELECT (SELECT count(*) FROM summary) AS summary,"
            + " (SELECT count(*) FROM runs) AS runs, (SELECT count(*) FROM predictions) AS predictions";
    private static final String WARM_QUERY = "SELECT attack, epsilon, robust_accuracy FROM latest_summary ORDER BY attack, epsilon";

    private static Process server;
    private static String endpoint;
    private static double oneShotSeconds;
    private static final String WARM_TIMED = "time:10:" + WARM_QUERY;
    /** Milliseconds of each warm query by a client alone, sorted. */
    private static List<Double> warmAlone;

    @BeforeAll
    static void runAndServe() throws Exception {
        if (Files.exists(WORK)) {
            try (Stream<Path> files = Files.walk(WORK)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(WORK);
        // The client's classpath: its jars and this one class, nothing of classic Spark.
        Path classes = WORK.resolve("client-classes/gibbon/cluster");
        Files.createDirectories(classes);
        Files.copy(Path.of("jobs/target/test-classes/gibbon/cluster/ConnectClient.class"), classes.resolve("ConnectClient.class"));
        try (Stream<Path> jars = Files.list(CLIENT_JARS)) {
            List<String> names = jars.map(p -> p.getFileName().toString()).toList();
            assertTrue(names.stream().anyMatch(n -> n.startsWith("spark-connect-client-jvm_")), names.toString());
            assertFalse(names.stream().anyMatch(n -> n.matches("spark-(core|sql|catalyst|connect)_.*")),
                    "classic Spark on the client's classpath: " + names);
        }
        Outcome run = gibbon("run", Map.of(), "run", "--run-id", "served", "--set", "output.warehouse=" + WAREHOUSE,
                "--set", "dataset.limit=100", "--set", "spark.master=local[1]",
                "--set", "attacks.pgd.enabled=false", "--set", "attacks.pgd_l2.enabled=false");
        assertEquals(0, run.exit, run.log());
        long start = System.nanoTime();
        server = start("serve", Map.of(), "serve", "--port", "0", "--set", "output.warehouse=" + WAREHOUSE,
                "--set", "spark.master=local[2]");
        Matcher line = awaitLine(server, "serve", ENDPOINT, 180);
        endpoint = line.group(1);
        System.out.printf("gibbon serve ready in %.1f s: %s%n", (System.nanoTime() - start) / 1e9, line.group());
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null && server.isAlive()) {
            server.destroyForcibly();
            server.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    @Order(1)
    void theViewsAnswerWithTheRowsOfAOneShotSql() throws Exception {
        Outcome served = client("views", endpoint, "sql:" + VIEWS_QUERY, "sql:" + COUNTS_QUERY, WARM_TIMED);
        warmAlone = latencies(served, WARM_TIMED);
        List<String> rows = section(served, "sql:" + VIEWS_QUERY);
        long start = System.nanoTime();
        Outcome direct = gibbon("sql-views", Map.of(), "sql", "--format", "csv", "--set", "output.warehouse=" + WAREHOUSE,
                VIEWS_QUERY);
        oneShotSeconds = (System.nanoTime() - start) / 1e9;
        assertEquals(0, direct.exit, direct.log());
        List<String> directRows = direct.out.lines().skip(1).toList();
        System.out.printf("views over Spark Connect: %d rows (%d leaderboard, %d robustness_curve), the same as a one-shot"
                + " gibbon sql (%.1f s); first: %s%n", rows.size(), rows.stream().filter(r -> r.startsWith("leaderboard|")).count(),
                rows.stream().filter(r -> r.startsWith("robustness_curve|")).count(), oneShotSeconds, rows.get(0));
        // fgsm and noise at 7 budgets: 6 non-zero budgets on the leaderboard, 14 curve points.
        assertEquals(6, rows.stream().filter(r -> r.startsWith("leaderboard|")).count(), served.log());
        assertEquals(14, rows.stream().filter(r -> r.startsWith("robustness_curve|served|")).count(), served.log());
        assertEquals(directRows, rows);
        assertEquals(List.of("14|1|1400"), section(served, "sql:" + COUNTS_QUERY));
    }

    @Test
    @Order(2)
    void writesAreRefusedWithTheReadOnlyMessageAndChangeNothing() throws Exception {
        List<String> writes = List.of("sql:INSERT INTO summary SELECT * FROM summary LIMIT 1",
                "sql:CALL gibbon.system.expire_snapshots(table => 'robustness.runs')",
                "sql:DROP TABLE runs", "append:summary", "saveAsTable:copied");
        List<String> actions = new ArrayList<>(writes);
        actions.add("sql:" + COUNTS_QUERY);
        actions.add("sql:SHOW TABLES");
        Outcome o = client("writes", endpoint, actions.toArray(String[]::new));
        for (String write : writes) {
            List<String> answer = section(o, write);
            System.out.println(write + " -> " + answer);
            assertEquals(1, answer.size(), o.log());
            assertTrue(answer.get(0).startsWith("error: ") && answer.get(0).contains(READ_ONLY), o.log());
        }
        assertTrue(section(o, "append:summary").get(0).contains("a write (AppendData)"), o.log());
        assertEquals(List.of("14|1|1400"), section(o, "sql:" + COUNTS_QUERY));
        assertFalse(section(o, "sql:SHOW TABLES").stream().anyMatch(r -> r.contains("copied")), o.log());
    }

    @Test
    @Order(3)
    void twoClientsQueryAtOnce() throws Exception {
        long start = System.nanoTime();
        Process first = startClient("concurrent-1", endpoint, WARM_TIMED, "sql:" + VIEWS_QUERY);
        Process second = startClient("concurrent-2", endpoint, WARM_TIMED, "sql:" + VIEWS_QUERY);
        Outcome a = await(first, "concurrent-1", start, 5);
        Outcome b = await(second, "concurrent-2", start, 5);
        assertEquals(0, a.exit, a.log());
        assertEquals(0, b.exit, b.log());
        assertEquals(20, section(a, "sql:" + VIEWS_QUERY).size(), a.log());
        assertEquals(section(a, "sql:" + VIEWS_QUERY), section(b, "sql:" + VIEWS_QUERY));
        List<Double> together = latencies(a, WARM_TIMED);
        assertEquals(10, latencies(b, WARM_TIMED).size(), b.log());
        System.out.printf("two clients at once: both answered, %.1f s and %.1f s after their start%n", a.seconds, b.seconds);
        long oneShotStart = System.nanoTime();
        Outcome oneShot = gibbon("sql-warm", Map.of(), "sql", "--set", "output.warehouse=" + WAREHOUSE, WARM_QUERY);
        double oneShotWarm = (System.nanoTime() - oneShotStart) / 1e9;
        assertEquals(0, oneShot.exit, oneShot.log());
        System.out.printf("latency of \"%s\": over Spark Connect, warm, median %.0f ms (min %.0f, max %.0f of 10) alone,"
                + " median %.0f ms beside a second client; one-shot ./gibbon sql %.1f s (process start to exit; the views"
                + " query: %.1f s)%n", WARM_QUERY, median(warmAlone), warmAlone.get(0), warmAlone.get(warmAlone.size() - 1),
                median(together), oneShotWarm, oneShotSeconds);
    }

    private static List<Double> latencies(Outcome o, String timed) {
        List<Double> ms = section(o, timed).stream().filter(l -> l.startsWith("ms "))
                .map(l -> Double.parseDouble(l.substring(3))).sorted().toList();
        assertEquals(10, ms.size(), o.log());
        return ms;
    }

    private static double median(List<Double> sorted) {
        return sorted.get(sorted.size() / 2);
    }

    @Test
    @Order(4)
    void listeningBeyondLoopbackNeedsAToken() throws Exception {
        Map<String, String> noToken = Map.of("SPARK_CONNECT_AUTHENTICATE_TOKEN", "");
        long start = System.nanoTime();
        Outcome refused = gibbon("serve-no-token", noToken, "serve", "--host", "0.0.0.0", "--port", "0",
                "--set", "output.warehouse=" + WAREHOUSE);
        System.out.printf("serve --host 0.0.0.0 without a token: exit %d in %.1f s: %s", refused.exit,
                (System.nanoTime() - start) / 1e9, refused.err);
        assertEquals(2, refused.exit, refused.log());
        assertEquals(1, refused.err.lines().count(), refused.log());
        assertTrue(refused.err.contains("SPARK_CONNECT_AUTHENTICATE_TOKEN"), refused.log());

        String token = "t-" + System.nanoTime();
        Process guarded = start("serve-token", Map.of("SPARK_CONNECT_AUTHENTICATE_TOKEN", token), "serve", "--host", "0.0.0.0",
                "--port", "0", "--set", "output.warehouse=" + WAREHOUSE, "--set", "spark.master=local[1]");
        try {
            Matcher line = awaitLine(guarded, "serve-token",
                    Pattern.compile("gibbon serve: sc://127\\.0\\.0\\.1:(\\d+) \\(read-only, token required\\)"), 180);
            // Spark Connect's JVM client sends a token without TLS only to "localhost".
            String url = "sc://localhost:" + line.group(1);
            String count = "sql:SELECT count(*) FROM summary";
            Outcome without = client("token-none", url, count);
            Outcome wrong = client("token-wrong", url + "/;token=wrong", count);
            Outcome right = client("token-right", url + "/;token=" + token, count);
            System.out.println("token required: none -> " + section(without, count) + ", wrong -> " + section(wrong, count)
                    + ", right -> " + section(right, count));
            assertTrue(section(without, count).get(0).contains("UNAUTHENTICATED"), without.log());
            assertTrue(section(wrong, count).get(0).contains("UNAUTHENTICATED"), wrong.log());
            assertEquals(List.of("14"), section(right, count), right.log());
        } finally {
            guarded.destroyForcibly();
            guarded.waitFor(30, TimeUnit.SECONDS);
        }
        assertFalse(Files.readString(WORK.resolve("serve-token.out")).contains(token)
                || Files.readString(WORK.resolve("serve-token.err")).contains(token), "the server printed the token");
    }

    @Test
    @Order(5)
    void sigtermStopsTheServer() throws Exception {
        long start = System.nanoTime();
        server.destroy();
        assertTrue(server.waitFor(60, TimeUnit.SECONDS), "gibbon serve did not stop within 60 s of SIGTERM");
        String err = Files.readString(WORK.resolve("serve.err"));
        System.out.printf("SIGTERM: gibbon serve exited (%d) in %.1f s%n", server.exitValue(), (System.nanoTime() - start) / 1e9);
        assertTrue(err.contains("gibbon serve: stopped"), err);
    }

    /** The exit code, output and wall time of one process. */
    private record Outcome(int exit, String out, String err, double seconds) {
        String log() {
            return "[exit " + exit + ", " + String.format("%.1f s", seconds) + "]\n" + out + err;
        }
    }

    /** The lines a {@link ConnectClient} action printed, without the closing {@code rows N}. */
    private static List<String> section(Outcome o, String action) {
        List<String> lines = o.out.lines().toList();
        int at = lines.indexOf("== " + action);
        assertTrue(at >= 0, "no output for " + action + ":\n" + o.log());
        List<String> answer = new ArrayList<>();
        for (String l : lines.subList(at + 1, lines.size())) {
            if (l.startsWith("== ") || l.matches("rows \\d+")) {
                break;
            }
            answer.add(l);
        }
        return answer;
    }

    private static Process start(String name, Map<String, String> environment, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(LAUNCHER.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(WORK.resolve(name + ".out").toFile())
                .redirectError(WORK.resolve(name + ".err").toFile());
        // The jar as built by the package phase; the launcher would rebuild when sources look newer.
        pb.environment().put("GIBBON_SKIP_BUILD", "1");
        pb.environment().remove("SPARK_CONNECT_AUTHENTICATE_TOKEN");
        pb.environment().putAll(environment);
        return pb.start();
    }

    private static Outcome gibbon(String name, Map<String, String> environment, String... args) throws Exception {
        long start = System.nanoTime();
        return await(start(name, environment, args), name, start, 5);
    }

    private static Process startClient(String name, String url, String... actions) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new ArrayList<>(List.of(java.toString(),
                // Arrow, inside the client, reads buffers' addresses.
                "--add-opens=java.base/java.nio=ALL-UNNAMED",
                "-cp", CLIENT_JARS + "/*:" + WORK.resolve("client-classes"), "gibbon.cluster.ConnectClient", url));
        command.addAll(List.of(actions));
        return new ProcessBuilder(command).redirectOutput(WORK.resolve(name + ".out").toFile())
                .redirectError(WORK.resolve(name + ".err").toFile()).start();
    }

    private static Outcome client(String name, String url, String... actions) throws Exception {
        long start = System.nanoTime();
        Outcome o = await(startClient(name, url, actions), name, start, 5);
        assertEquals(0, o.exit, o.log());
        return o;
    }

    private static Outcome await(Process p, String name, long startNanos, int minutes) throws Exception {
        if (!p.waitFor(minutes, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError(name + " did not finish in " + minutes + " min");
        }
        return new Outcome(p.exitValue(), Files.readString(WORK.resolve(name + ".out")),
                Files.readString(WORK.resolve(name + ".err")), (System.nanoTime() - startNanos) / 1e9);
    }

    /** Waits for a line of the process's stdout matching the pattern. */
    private static Matcher awaitLine(Process p, String name, Pattern pattern, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            Matcher m = pattern.matcher(Files.readString(WORK.resolve(name + ".out")));
            if (m.find()) {
                return m;
            }
            assertTrue(p.isAlive(), name + " ended (exit " + (p.isAlive() ? "" : p.exitValue()) + "):\n"
                    + Files.readString(WORK.resolve(name + ".out")) + Files.readString(WORK.resolve(name + ".err")));
            Thread.sleep(200);
        }
        throw new AssertionError(name + " printed no " + pattern + " in " + seconds + " s:\n"
                + Files.readString(WORK.resolve(name + ".err")));
    }
}
