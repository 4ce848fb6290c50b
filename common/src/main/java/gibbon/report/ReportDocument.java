package gibbon.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A report as an ordered list of blocks. The same blocks become a Jupyter notebook
 * ({@link NotebookWriter}) and a standalone HTML page ({@link HtmlWriter}), so the two never drift
 * apart.
 */
public final class ReportDocument {
    /** One piece of a report. */
    public sealed interface Block permits Heading, Text, Facts, Code, Query, Figure {}

    /**
     * The data a table or figure is drawn from, saved as {@code data/fileName} next to the report so
     * the notebook re-runs without the tables (CSV, or JSON where values are arrays).
     */
    public record Data(String fileName, String text) {}

    /** A section heading, level 1 to 3. */
    public record Heading(int level, String text) implements Block {}

    /**
     * Prose. Paragraphs are separated by blank lines; lines starting with {@code "- "} are list
     * items; {@code `code`} and {@code **bold**} are the only inline markup.
     */
    public record Text(String markdown) implements Block {}

    /** A two-column table of facts (name, value), such as a run's lineage. */
    public record Facts(List<Map.Entry<String, String>> rows) implements Block {}

    /**
     * Source text: shown as is under {@code caption} (e.g. the run's config), or, when {@code cell}
     * is true, a notebook code cell that readers run first (e.g. opening the catalog); it has no
     * stored output.
     */
    public record Code(String language, String caption, String text, boolean cell) implements Block {}

    /**
     * A table made by a Spark SQL query over the result tables, with the output it produced when the
     * report was written; in the notebook, a cell that re-runs the query or reads {@code data}.
     *
     * @param sql the query
     * @param columns the result's column names
     * @param rows the result's rows, already formatted
     * @param data the result, exact
     */
    public record Query(String sql, List<String> columns, List<List<String>> rows, Data data) implements Block {}

    /**
     * A figure saved next to the report as {@code fileName} and embedded in both renderings; in the
     * notebook, a cell that redraws it from {@code data}.
     *
     * @param caption what it shows and how to read it
     * @param redraw the notebook cell's Python source, drawing with the report's figure functions
     */
    public record Figure(String fileName, byte[] png, String caption, Data data, String redraw) implements Block {}

    private final String title;
    private final List<Block> blocks = new ArrayList<>();

    public ReportDocument(String title) {
        this.title = title;
    }

    public String title() {
        return title;
    }

    public List<Block> blocks() {
        return List.copyOf(blocks);
    }

    public ReportDocument add(Block block) {
        blocks.add(block);
        return this;
    }

    /**
     * The same report with {@code edit} applied to every text it shows (prose, facts, code, table
     * cells, captions and data), e.g. to hide local paths.
     */
    public ReportDocument mapText(UnaryOperator<String> edit) {
        ReportDocument out = new ReportDocument(edit.apply(title));
        for (Block b : blocks) {
            out.add(edit(b, edit));
        }
        return out;
    }

    private static Block edit(Block b, UnaryOperator<String> edit) {
        if (b instanceof Heading h) {
            return new Heading(h.level(), edit.apply(h.text()));
        } else if (b instanceof Text t) {
            return new Text(edit.apply(t.markdown()));
        } else if (b instanceof Facts f) {
            return new Facts(f.rows().stream()
                    .map(r -> Map.entry(edit.apply(r.getKey()), r.getValue() == null ? "" : edit.apply(r.getValue())))
                    .toList());
        } else if (b instanceof Code c) {
            return new Code(c.language(), edit.apply(c.caption()), edit.apply(c.text()), c.cell());
        } else if (b instanceof Query q) {
            return new Query(edit.apply(q.sql()), q.columns(), q.rows().stream()
                    .map(row -> row.stream().map(v -> v == null ? null : edit.apply(v)).toList()).toList(),
                    edit(q.data(), edit));
        }
        Figure f = (Figure) b;
        return new Figure(f.fileName(), f.png(), edit.apply(f.caption()), edit(f.data(), edit), edit.apply(f.redraw()));
    }

    private static Data edit(Data data, UnaryOperator<String> edit) {
        return new Data(data.fileName(), edit.apply(data.text()));
    }

    /** The data files of the tables and figures, in order. */
    public List<Data> data() {
        List<Data> out = new ArrayList<>();
        for (Block b : blocks) {
            if (b instanceof Query q) {
                out.add(q.data());
            } else if (b instanceof Figure f) {
                out.add(f.data());
            }
        }
        return out;
    }

    /** The figures, in order. */
    public List<Figure> figures() {
        return blocks.stream().filter(Figure.class::isInstance).map(Figure.class::cast).toList();
    }
}
