package gibbon.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Renders a {@link ReportDocument} as a Jupyter notebook (nbformat 4.5) whose outputs are already
 * embedded, so it reads on GitHub or in VS Code without a kernel, and which re-runs: query cells
 * read their saved results from {@value #DATA_FOLDER}/ (or re-run the SQL once the live-catalog cell
 * has opened one), figure cells redraw with matplotlib from their data, with the saved PNG as output
 * until they run. The first code cell is tagged {@code parameters}, as papermill expects.
 */
public final class NotebookWriter {
    /** The folder, next to the notebook, that holds the data behind its tables and figures. */
    public static final String DATA_FOLDER = "data";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private NotebookWriter() {}

    /** The Python functions the figure cells draw with (load, sql and one draw_ function per figure). */
    public static String figureFunctions() {
        try (InputStream in = NotebookWriter.class.getResourceAsStream("figures.py")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new UncheckedIOException("figures.py is missing from the Gibbon jar", e);
        }
    }

    /** The notebook as JSON text. */
    public static String write(ReportDocument doc) {
        ObjectNode nb = JSON.createObjectNode();
        nb.put("nbformat", 4);
        nb.put("nbformat_minor", 5);
        ObjectNode meta = nb.putObject("metadata");
        ObjectNode kernel = meta.putObject("kernelspec");
        kernel.put("name", "python3");
        kernel.put("display_name", "Python 3");
        kernel.put("language", "python");
        meta.putObject("language_info").put("name", "python");
        ArrayNode cells = nb.putArray("cells");
        Cells out = new Cells(cells);
        out.markdown("# " + doc.title());
        for (ReportDocument.Block block : doc.blocks()) {
            if (block instanceof ReportDocument.Heading h) {
                out.markdown("#".repeat(h.level() + 1) + " " + h.text());
            } else if (block instanceof ReportDocument.Text t) {
                out.markdown(t.markdown());
            } else if (block instanceof ReportDocument.Facts f) {
                out.markdown(factsTable(f.rows()));
            } else if (block instanceof ReportDocument.Code c && c.cell()) {
                out.code(c.text(), null);
            } else if (block instanceof ReportDocument.Code c) {
                out.markdown("**" + c.caption() + "**\n\n```" + c.language() + "\n" + c.text() + "\n```");
            } else if (block instanceof ReportDocument.Query q) {
                ObjectNode data = JSON.createObjectNode();
                data.put("text/html", HtmlWriter.table(q.columns(), q.rows()));
                data.put("text/plain", PlainTable.format(q.columns(), q.rows()));
                out.code("sql(\"\"\"" + q.sql() + "\"\"\", \"" + q.data().fileName() + "\")", data);
            } else if (block instanceof ReportDocument.Figure f) {
                ObjectNode data = JSON.createObjectNode();
                data.put("image/png", Base64.getEncoder().encodeToString(f.png()));
                data.put("text/plain", "<Figure>");
                out.code(f.redraw(), data);
                out.markdown("*" + f.caption() + "*");
            }
        }
        try {
            return JSON.writeValueAsString(nb) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String factsTable(List<Map.Entry<String, String>> rows) {
        StringBuilder md = new StringBuilder("| | |\n|---|---|\n");
        for (Map.Entry<String, String> r : rows) {
            md.append("| **").append(cell(r.getKey())).append("** | ").append(cell(r.getValue())).append(" |\n");
        }
        return md.toString().stripTrailing();
    }

    private static String cell(String s) {
        return s == null ? "" : s.replace("|", "\\|").replace("\n", " ");
    }

    /** Appends cells with the ids and execution counts nbformat 4.5 asks for. */
    private static final class Cells {
        private final ArrayNode cells;
        private int executionCount;

        Cells(ArrayNode cells) {
            this.cells = cells;
        }

        void markdown(String text) {
            ObjectNode cell = cells.addObject();
            cell.put("cell_type", "markdown");
            cell.put("id", "cell-" + cells.size());
            cell.putObject("metadata");
            source(cell, text);
        }

        void code(String text, ObjectNode result) {
            ObjectNode cell = cells.addObject();
            cell.put("cell_type", "code");
            cell.put("id", "cell-" + cells.size());
            cell.put("execution_count", ++executionCount);
            ObjectNode metadata = cell.putObject("metadata");
            if (executionCount == 1) {
                metadata.putArray("tags").add("parameters");
            }
            source(cell, text);
            ArrayNode outputs = cell.putArray("outputs");
            if (result != null) {
                ObjectNode output = outputs.addObject();
                output.put("output_type", "execute_result");
                output.put("execution_count", executionCount);
                output.set("data", result);
                output.putObject("metadata");
            }
        }

        /** Jupyter stores text as a list of lines, each but the last ending in a newline. */
        private static void source(ObjectNode cell, String text) {
            ArrayNode lines = cell.putArray("source");
            String[] parts = text.split("\n", -1);
            for (int i = 0; i < parts.length; i++) {
                lines.add(i < parts.length - 1 ? parts[i] + "\n" : parts[i]);
            }
        }
    }
}
