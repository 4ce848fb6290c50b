package gibbon.cluster;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A Spark standalone cluster on 127.0.0.1: a Master and Workers, each its own JVM, started from the
 * project's Maven-resolved Spark jars ({@code jobs/target/spark-home/jars}, no distribution), plus
 * {@code spark-submit} for drivers. Logs go to files under the work folder.
 */
final class StandaloneCluster implements AutoCloseable {
    /** What Spark 4 needs on Java 17 (org.apache.spark.launcher.JavaModuleOptions). */
    static final List<String> JAVA17_OPENS = List.of("-XX:+IgnoreUnrecognizedVMOptions",
            "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/java.net=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
            "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.cs=ALL-UNNAMED", "--add-opens=java.base/sun.security.action=ALL-UNNAMED",
            "--add-opens=java.base/sun.util.calendar=ALL-UNNAMED", "-Djdk.reflect.useDirectMethodHandle=false",
            "-Dio.netty.tryReflectionSetAccessible=true");

    private final Path sparkHome;
    private final Path work;
    private final int port;
    private final List<Process> daemons = new ArrayList<>();

    StandaloneCluster(Path sparkHome, Path work, int workers) throws IOException, InterruptedException {
        this.sparkHome = sparkHome.toAbsolutePath();
        this.work = work;
        Files.createDirectories(work);
        this.port = freePort();
        Path masterLog = work.resolve("master.log");
        daemons.add(start(masterLog, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port",
                String.valueOf(port), "--webui-port", String.valueOf(freePort())));
        awaitLine(masterLog, "I have been elected leader", 60);
        for (int w = 0; w < workers; w++) {
            Path log = work.resolve("worker-" + w + ".log");
            daemons.add(start(log, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "1",
                    "--memory", "2g", "--webui-port", String.valueOf(freePort()), "--work-dir",
                    work.resolve("worker-" + w).toString(), masterUrl()));
        }
        for (int w = 0; w < workers; w++) {
            awaitLine(work.resolve("worker-" + w + ".log"), "Successfully registered with master", 60);
        }
    }

    String masterUrl() {
        return "spark://127.0.0.1:" + port;
    }

    private Process start(Path log, String mainClass, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(java(), "-Xmx512m"));
        command.addAll(JAVA17_OPENS);
        command.addAll(List.of("-cp", sparkHome.resolve("jars") + "/*", mainClass));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.put("SPARK_HOME", sparkHome.toString());
        // Without it every executor dies looking for a source-tree layout.
        env.put("SPARK_SCALA_VERSION", "2.13");
        env.put("SPARK_LOCAL_IP", "127.0.0.1");
        return pb.start();
    }

    /** Starts a driver: spark-submit of the shaded jar with gibbon's arguments, in client mode. */
    Process submit(Path jar, Path log, List<String> sparkConf, List<String> gibbonArgs) throws IOException {
        return submit(jar, log, "client", sparkConf, gibbonArgs);
    }

    /**
     * spark-submit of the shaded jar with gibbon's arguments. In cluster mode a Worker starts the driver
     * in a folder of its own ({@link #driverFolder}); spark-submit waits for it and logs its final state,
     * but exits 0 whatever that state is.
     */
    Process submit(Path jar, Path log, String deployMode, List<String> sparkConf, List<String> gibbonArgs)
            throws IOException {
        boolean cluster = deployMode.equals("cluster");
        String log4j = "-Dlog4j2.configurationFile=" + Path.of("conf/log4j2.properties").toAbsolutePath();
        List<String> command = new ArrayList<>(List.of(java(), "-Xmx1g"));
        command.addAll(JAVA17_OPENS);
        if (!cluster) {
            // In cluster mode this JVM only submits: Spark's default logging reports the driver's state.
            command.add(log4j);
        }
        command.addAll(List.of("-cp", sparkHome.resolve("jars") + "/*", "org.apache.spark.deploy.SparkSubmit",
                "--master", masterUrl(), "--deploy-mode", deployMode, "--conf", "spark.driver.host=127.0.0.1",
                "--conf", "spark.driver.bindAddress=127.0.0.1", "--conf", "spark.executor.memory=1g",
                "--conf", "spark.ui.enabled=false"));
        if (cluster) {
            command.addAll(List.of("--conf", "spark.standalone.submit.waitAppCompletion=true",
                    "--conf", "spark.driver.extraJavaOptions=" + log4j));
        }
        for (String c : sparkConf) {
            command.addAll(List.of("--conf", c));
        }
        command.addAll(List.of("--class", "gibbon.cli.GibbonCommand", jar.toAbsolutePath().toString()));
        command.addAll(gibbonArgs);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("SPARK_HOME", sparkHome.toString());
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        return pb.start();
    }

    /** The folder in which a Worker ran a cluster-mode driver (its stdout and stderr are there). */
    Path driverFolder(String driverId) throws IOException {
        try (Stream<Path> workers = Files.list(work)) {
            return workers.map(w -> w.resolve(driverId)).filter(Files::isDirectory).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no Worker ran " + driverId));
        }
    }

    /** The executor JVMs the Workers launched. */
    List<ProcessHandle> executors() {
        List<ProcessHandle> out = new ArrayList<>();
        for (Process d : daemons) {
            d.descendants().filter(p -> p.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend"))
                    .forEach(out::add);
        }
        return out;
    }

    private static final Pattern TASK_STARTED = Pattern.compile("Running task (\\S+ in stage \\S+) \\(TID (\\d+)\\)");
    private static final Pattern TASK_FINISHED = Pattern.compile("Finished task \\S+ in stage \\S+ \\(TID (\\d+)\\)");

    /**
     * The tasks an executor JVM is running now, by its log under the Worker's folder: started and not
     * yet finished ("0.0 in stage 3.0" each).
     */
    List<String> runningTasks(ProcessHandle executor) throws IOException {
        List<String> args = List.of(executor.info().arguments().orElseThrow());
        String app = args.get(args.indexOf("--app-id") + 1);
        String id = args.get(args.indexOf("--executor-id") + 1);
        Map<String, String> running = new LinkedHashMap<>();
        try (Stream<Path> workers = Files.list(work)) {
            for (Path log : workers.map(w -> w.resolve(app).resolve(id).resolve("stderr")).filter(Files::isRegularFile)
                    .toList()) {
                for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                    Matcher started = TASK_STARTED.matcher(line);
                    Matcher finished = TASK_FINISHED.matcher(line);
                    if (started.find()) {
                        running.put(started.group(2), started.group(1));
                    } else if (finished.find()) {
                        running.remove(finished.group(1));
                    }
                }
            }
        }
        return new ArrayList<>(running.values());
    }

    static void awaitLine(Path log, String text, int seconds) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log, StandardCharsets.UTF_8).contains(text)) {
                return;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("no '" + text + "' in " + log + " after " + seconds + " s:\n"
                + (Files.exists(log) ? Files.readString(log) : "(no log)"));
    }

    /** Waits for the first match of a pattern in a growing log. */
    static Matcher awaitMatch(Path log, Pattern pattern, int seconds) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (Files.exists(log)) {
                Matcher m = pattern.matcher(Files.readString(log, StandardCharsets.UTF_8));
                if (m.find()) {
                    return m;
                }
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("no match of '" + pattern + "' in " + log + " after " + seconds + " s:\n"
                + (Files.exists(log) ? Files.readString(log) : "(no log)"));
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        for (Process d : daemons) {
            d.descendants().forEach(ProcessHandle::destroyForcibly);
            d.destroyForcibly();
        }
    }
}
