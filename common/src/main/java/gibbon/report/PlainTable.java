package gibbon.report;

import java.util.List;

/** A result as an aligned text table with a row count, as {@code gibbon sql} prints it. */
public final class PlainTable {
    private PlainTable() {}

    /** Formats rows of already rendered cells (null shown as NULL), ending with a newline. */
    public static String format(List<String> columns, List<List<String>> rows) {
        int[] widths = new int[columns.size()];
        for (int i = 0; i < widths.length; i++) {
            widths[i] = columns.get(i).length();
        }
        for (List<String> row : rows) {
            for (int i = 0; i < widths.length; i++) {
                widths[i] = Math.max(widths[i], cell(row.get(i)).length());
            }
        }
        StringBuilder sb = new StringBuilder();
        appendLine(sb, columns, widths);
        appendLine(sb, java.util.Arrays.stream(widths).mapToObj("-"::repeat).toList(), widths);
        rows.forEach(row -> appendLine(sb, row, widths));
        return sb.append("(").append(rows.size()).append(rows.size() == 1 ? " row)" : " rows)").append('\n').toString();
    }

    private static String cell(String s) {
        return s == null ? "NULL" : s;
    }

    private static void appendLine(StringBuilder sb, List<String> cells, int[] widths) {
        for (int i = 0; i < cells.size(); i++) {
            String c = cell(cells.get(i));
            sb.append(i > 0 ? "  " : "").append(c).append(i == cells.size() - 1 ? "" : " ".repeat(widths[i] - c.length()));
        }
        sb.append('\n');
    }
}
