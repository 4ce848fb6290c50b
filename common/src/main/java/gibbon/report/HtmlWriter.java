package gibbon.report;

import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Renders a {@link ReportDocument} as one standalone HTML page: styles inline, figures embedded as
 * data URIs, no scripts and nothing fetched from the network, so it opens anywhere offline.
 */
public final class HtmlWriter {
    private static final String STYLE = """
            body { font-family: -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; max-width: 1100px;
                   margin: 2em auto; padding: 0 1em; color: #1f2328; line-height: 1.5; }
            h1 { border-bottom: 1px solid #d0d7de; padding-bottom: .3em; }
            h2 { border-bottom: 1px solid #d0d7de; padding-bottom: .2em; margin-top: 2em; }
            table { border-collapse: collapse; margin: .5em 0 1em; font-size: 90%; }
            th, td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: left; }
            th { background: #f6f8fa; }
            td.num { text-align: right; font-variant-numeric: tabular-nums; }
            code, pre { font-family: "DejaVu Sans Mono", monospace; background: #f6f8fa; }
            pre { padding: .8em; overflow-x: auto; font-size: 85%; }
            figure { margin: 1em 0 2em; }
            figure img { max-width: 100%; border: 1px solid #d0d7de; }
            figcaption { color: #57606a; font-size: 90%; }
            details summary { cursor: pointer; color: #0969da; }
            """;

    private HtmlWriter() {}

    /** The page as HTML text. */
    public static String write(ReportDocument doc) {
        StringBuilder html = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<title>").append(escape(doc.title())).append("</title>\n<style>").append(STYLE)
                .append("</style>\n</head>\n<body>\n<h1>").append(escape(doc.title())).append("</h1>\n");
        for (ReportDocument.Block block : doc.blocks()) {
            if (block instanceof ReportDocument.Heading h) {
                int level = Math.min(6, h.level() + 1);
                html.append("<h").append(level).append('>').append(escape(h.text())).append("</h").append(level).append(">\n");
            } else if (block instanceof ReportDocument.Text t) {
                html.append(markdown(t.markdown()));
            } else if (block instanceof ReportDocument.Facts f) {
                html.append(facts(f.rows()));
            } else if (block instanceof ReportDocument.Code c) {
                html.append("<details><summary>").append(escape(c.caption())).append("</summary><pre><code>")
                        .append(escape(c.text())).append("</code></pre></details>\n");
            } else if (block instanceof ReportDocument.Query q) {
                html.append("<details><summary>query (result: ").append(dataLink(q.data())).append(")</summary><pre><code>")
                        .append(escape(q.sql())).append("</code></pre></details>\n").append(table(q.columns(), q.rows()));
            } else if (block instanceof ReportDocument.Figure f) {
                html.append("<figure><img src=\"data:image/png;base64,").append(Base64.getEncoder().encodeToString(f.png()))
                        .append("\" alt=\"").append(escape(f.caption())).append("\"><figcaption>").append(escape(f.caption()))
                        .append(" Data: ").append(dataLink(f.data())).append(".</figcaption></figure>\n");
            }
        }
        return html.append("</body>\n</html>\n").toString();
    }

    private static String dataLink(ReportDocument.Data data) {
        String path = NotebookWriter.DATA_FOLDER + "/" + data.fileName();
        return "<a href=\"" + escape(path) + "\">" + escape(path) + "</a>";
    }

    /** A result table; numeric cells right-aligned. */
    public static String table(List<String> columns, List<List<String>> rows) {
        StringBuilder html = new StringBuilder("<table>\n<thead><tr>");
        columns.forEach(c -> html.append("<th>").append(escape(c)).append("</th>"));
        html.append("</tr></thead>\n<tbody>\n");
        for (List<String> row : rows) {
            html.append("<tr>");
            for (String cell : row) {
                boolean numeric = cell != null && cell.matches("-?[0-9.]+(E-?[0-9]+)?");
                html.append(numeric ? "<td class=\"num\">" : "<td>").append(cell == null ? "NULL" : escape(cell)).append("</td>");
            }
            html.append("</tr>\n");
        }
        return html.append("</tbody>\n</table>\n").toString();
    }

    private static String facts(List<Map.Entry<String, String>> rows) {
        StringBuilder html = new StringBuilder("<table>\n");
        for (Map.Entry<String, String> r : rows) {
            html.append("<tr><th>").append(escape(r.getKey())).append("</th><td>").append(escape(r.getValue()))
                    .append("</td></tr>\n");
        }
        return html.append("</table>\n").toString();
    }

    /** The small markdown subset {@link ReportDocument.Text} allows. */
    static String markdown(String text) {
        StringBuilder html = new StringBuilder();
        for (String paragraph : text.strip().split("\n\\s*\n")) {
            List<String> lines = List.of(paragraph.split("\n"));
            if (lines.stream().allMatch(l -> l.startsWith("- "))) {
                html.append("<ul>\n");
                lines.forEach(l -> html.append("<li>").append(inline(l.substring(2))).append("</li>\n"));
                html.append("</ul>\n");
            } else {
                html.append("<p>").append(inline(paragraph)).append("</p>\n");
            }
        }
        return html.toString();
    }

    private static String inline(String text) {
        return escape(text).replaceAll("`([^`]+)`", "<code>$1</code>").replaceAll("\\*\\*([^*]+)\\*\\*", "<strong>$1</strong>")
                .replaceAll("\\*([^*]+)\\*", "<em>$1</em>");
    }

    static String escape(String s) {
        return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
