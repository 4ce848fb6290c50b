package gibbon.cluster;

import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * A Spark Connect client for {@link ServeIT}, run in its own JVM with only Spark Connect's JVM client
 * on its classpath (no classic Spark): it uses Spark's SQL API alone, which the client implements.
 *
 * <p>Arguments: the endpoint ({@code sc://HOST:PORT}), then actions, each run in turn, its output
 * opened by a line {@code == ACTION}:
 * <ul>
 *   <li>{@code sql:STATEMENT}: a line per row (columns joined by {@code |}), then {@code rows N};
 *   <li>{@code append:TABLE}: {@code df.writeTo(TABLE).append()} of one of the table's own rows;
 *   <li>{@code saveAsTable:TABLE}: {@code df.write().saveAsTable(TABLE)} of a one-row DataFrame;
 *   <li>{@code time:N:STATEMENT}: runs the statement N times, a line {@code ms M} for each.
 * </ul>
 * A failed action prints {@code error: } and the first line of its message; the next one runs.
 */
public final class ConnectClient {
    private ConnectClient() {}

    public static void main(String[] args) throws Exception {
        SparkSession spark = SparkSession.builder().remote(args[0]).getOrCreate();
        for (int i = 1; i < args.length; i++) {
            String action = args[i];
            System.out.println("== " + action);
            try {
                run(spark, action);
            } catch (Exception e) {
                String message = e.getMessage() == null ? e.getClass().getName() : e.getMessage();
                System.out.println("error: " + message.lines().findFirst().orElse(""));
            }
            System.out.flush();
        }
        spark.close();
    }

    private static void run(SparkSession spark, String action) throws Exception {
        String[] parts = action.split(":", 2);
        switch (parts[0]) {
            case "sql" -> {
                List<Row> rows = spark.sql(parts[1]).collectAsList();
                rows.forEach(row -> System.out.println(row.mkString("|")));
                System.out.println("rows " + rows.size());
            }
            case "append" -> spark.table(parts[1]).limit(1).writeTo(parts[1]).append();
            case "saveAsTable" -> spark.range(1).write().saveAsTable(parts[1]);
            case "time" -> {
                String[] timed = parts[1].split(":", 2);
                for (int n = Integer.parseInt(timed[0]); n > 0; n--) {
                    long start = System.nanoTime();
                    spark.sql(timed[1]).collectAsList();
                    System.out.printf("ms %.1f%n", (System.nanoTime() - start) / 1e6);
                }
            }
            default -> throw new IllegalArgumentException("unknown action " + parts[0]);
        }
    }
}
