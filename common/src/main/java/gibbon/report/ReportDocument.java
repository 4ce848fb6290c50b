package gibbon.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A report as an ordered list of blocks. The same blocks become a Jupyter notebook
 * ({@link NotebookWriter}) and a standalone HTML page ({@link HtmlWriter}), so the two never drift
 * apart.
 */
public final class ReportDocument {
    /** One piece of a report. */
    public sealed interface Block permits Heading, Text, Facts, Code, Query, Figure {}

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
     * A notebook code cell that re-creates a table from the result tables, with the output it
     * produced when the report was written.
     *
     * @param code the cell's source (Python: a Spark SQL query)
     * @param columns the result's column names
     * @param rows the result's rows, already formatted
     */
    public record Query(String code, List<String> columns, List<List<String>> rows) implements Block {}

    /**
     * A figure saved next to the report as {@code fileName} and embedded in both renderings.
     *
     * @param caption what it shows and how to read it
     */
    public record Figure(String fileName, byte[] png, String caption) implements Block {}

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

    /** The figures, in order. */
    public List<Figure> figures() {
        return blocks.stream().filter(Figure.class::isInstance).map(Figure.class::cast).toList();
    }
}
