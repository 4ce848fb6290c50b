package gibbon.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The adversarial-example grid: one row per example, original | perturbation | adversarial, each
 * labelled with the model's prediction and confidence; rows where the attack flipped a correct
 * prediction are framed in red. The perturbation is amplified to be visible by one gain for the whole
 * grid, printed in its header (mid-grey is no change), so rows compare. {@link #select} picks fooled
 * and resisted examples in the proportion the attack's measured success rate says, so the picture
 * does not overstate the attack.
 */
public final class ExampleGrid {
    /**
     * One example under one attack.
     *
     * @param original the clean input in [0, 1], (channels, rows, columns) flattened
     * @param adversarial the attacked input, same shape
     * @param shape (channels, rows, columns); 1 or 3 channels
     */
    public record Row(long exampleId, String trueClass, float[] original, float[] adversarial, int[] shape,
            String cleanPrediction, float cleanConfidence, String adversarialPrediction, float adversarialConfidence) {
        boolean flipped() {
            return cleanPrediction.equals(trueClass) && !adversarialPrediction.equals(trueClass);
        }

        boolean resisted() {
            return cleanPrediction.equals(trueClass) && adversarialPrediction.equals(trueClass);
        }
    }

    static final int TILE = 140;
    static final int GAP = 24;
    static final int TEXT = 54;
    static final int HEADER = 84;
    private static final Color FLIP = new Color(0xd62728);

    private ExampleGrid() {}

    /**
     * The rows to draw: up to {@code maxRows} examples the model classified correctly, of which
     * round(n × successRate) fooled and the rest resisted, n as large as the candidates allow. Rows keep
     * the candidates' order. Examples the model already got wrong are left out: the success rate
     * counts only correct ones. Empty when no n ≥ 1 can be matched.
     *
     * @param successRate the share of correctly classified examples the attack flips at this budget
     */
    public static List<Row> select(List<Row> candidates, double successRate, int maxRows) {
        List<Row> fooled = candidates.stream().filter(Row::flipped).toList();
        List<Row> resisted = candidates.stream().filter(Row::resisted).toList();
        for (int n = maxRows; n > 0; n--) {
            int wantFooled = fooledRows(n, successRate);
            if (wantFooled <= fooled.size() && n - wantFooled <= resisted.size()) {
                Set<Row> chosen = new HashSet<>(fooled.subList(0, wantFooled));
                chosen.addAll(resisted.subList(0, n - wantFooled));
                return candidates.stream().filter(chosen::contains).toList();
            }
        }
        return List.of();
    }

    /** How many of {@code rows} rows show fooled examples at {@code successRate}. */
    public static int fooledRows(int rows, double successRate) {
        return (int) Math.round(rows * successRate);
    }

    /** The one amplification of the perturbation column: the grid's largest change reaches half the grey range. */
    public static float gain(List<Row> rows) {
        float max = 0;
        for (Row r : rows) {
            for (int i = 0; i < r.original().length; i++) {
                max = Math.max(max, Math.abs(r.adversarial()[i] - r.original()[i]));
            }
        }
        return max == 0 ? 0 : 0.5f / max;
    }

    /**
     * The figure's caption: what is shown, how many rows are fooled against the measured success rate,
     * and the gain.
     */
    public static String caption(String title, List<Row> rows, double successRate) {
        long fooled = rows.stream().filter(Row::flipped).count();
        return String.format(Locale.ROOT, "Adversarial examples: %s; original | perturbation (amplified %s in every row,"
                + " mid-grey = unchanged) | adversarial. %d of %d rows are fooled (red frame), in proportion to the"
                + " attack's measured success rate of %.1f %% at this ε; examples the model already got wrong are left"
                + " out.", title, gainText(gain(rows)), fooled, rows.size(), 100 * successRate);
    }

    private static String gainText(float gain) {
        return String.format(Locale.ROOT, "×%.1f", gain);
    }

    /** The grid as PNG, titled e.g. "pgd at ε = 0.1 (L∞)". */
    public static byte[] png(String title, List<Row> rows) {
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("no examples to draw");
        }
        float gain = gain(rows);
        long fooled = rows.stream().filter(Row::flipped).count();
        int width = GAP + 3 * (TILE + GAP);
        int height = HEADER + rows.size() * (TILE + TEXT + GAP / 2) + GAP / 2;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = Png.canvas(image);
        g.setColor(Color.BLACK);
        g.setFont(new Font("SansSerif", Font.BOLD, 15));
        centre(g, title, width / 2, 22);
        g.setFont(new Font("SansSerif", Font.PLAIN, 12));
        centre(g, fooled + " of " + rows.size() + " fooled (red frame); perturbation " + gainText(gain) + " in every row",
                width / 2, 42);
        g.setFont(new Font("SansSerif", Font.BOLD, 13));
        String[] columns = {"original", "perturbation (amplified)", "adversarial"};
        for (int c = 0; c < 3; c++) {
            centre(g, columns[c], GAP + c * (TILE + GAP) + TILE / 2, HEADER - 12);
        }
        int y = HEADER;
        for (Row r : rows) {
            drawRow(g, r, y, gain);
            y += TILE + TEXT + GAP / 2;
        }
        g.dispose();
        return Png.encode(image);
    }

    private static void drawRow(Graphics2D g, Row r, int y, float gain) {
        int size = r.original().length;
        float[] delta = new float[size];
        float max = 0;
        double l2 = 0;
        for (int i = 0; i < size; i++) {
            delta[i] = r.adversarial()[i] - r.original()[i];
            max = Math.max(max, Math.abs(delta[i]));
            l2 += (double) delta[i] * delta[i];
        }
        float[] shown = new float[size];
        for (int i = 0; i < size; i++) {
            shown[i] = 0.5f + delta[i] * gain;
        }
        float[][] tiles = {r.original(), shown, r.adversarial()};
        for (int c = 0; c < 3; c++) {
            int x = GAP + c * (TILE + GAP);
            g.drawImage(toImage(tiles[c], r.shape()), x, y, TILE, TILE, null);
            g.setColor(new Color(0xd0d7de));
            g.setStroke(new BasicStroke(1f));
            g.drawRect(x - 1, y - 1, TILE + 1, TILE + 1);
        }
        g.setFont(new Font("SansSerif", Font.PLAIN, 12));
        int text = y + TILE + 16;
        int x0 = GAP + TILE / 2;
        g.setColor(Color.BLACK);
        centre(g, String.format("%s %.1f %%", r.cleanPrediction(), 100 * r.cleanConfidence()), x0, text);
        g.setColor(Color.DARK_GRAY);
        centre(g, "#" + r.exampleId() + ", true: " + r.trueClass(), x0, text + 16);
        int x1 = x0 + TILE + GAP;
        centre(g, String.format(Locale.ROOT, "L∞ %.3f", max), x1, text);
        centre(g, String.format(Locale.ROOT, "L2 %.3f", Math.sqrt(l2)), x1, text + 16);
        int x2 = x1 + TILE + GAP;
        boolean flipped = r.flipped();
        g.setColor(flipped ? FLIP : Color.BLACK);
        g.setFont(new Font("SansSerif", flipped ? Font.BOLD : Font.PLAIN, 12));
        centre(g, String.format("%s %.1f %%", r.adversarialPrediction(), 100 * r.adversarialConfidence()), x2, text);
        g.setFont(new Font("SansSerif", Font.PLAIN, 12));
        centre(g, flipped ? "fooled" : r.adversarialPrediction().equals(r.trueClass()) ? "still right" : "already wrong", x2,
                text + 16);
        if (flipped) {
            g.setStroke(new BasicStroke(3f));
            g.drawRect(x2 - TILE / 2 - 3, y - 3, TILE + 6, TILE + 6);
        }
    }

    /** Values in [0, 1], (channels, rows, columns), as a grey or RGB image. */
    static BufferedImage toImage(float[] chw, int[] shape) {
        int channels = shape[0];
        int h = shape[1];
        int w = shape[2];
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int row = 0; row < h; row++) {
            for (int col = 0; col < w; col++) {
                int rgb = 0;
                for (int k = 0; k < 3; k++) {
                    float v = chw[(channels == 1 ? 0 : k) * h * w + row * w + col];
                    rgb = (rgb << 8) | Math.round(255 * Math.max(0f, Math.min(1f, v)));
                }
                image.setRGB(col, row, rgb);
            }
        }
        return image;
    }

    private static void centre(Graphics2D g, String s, int x, int y) {
        FontMetrics m = g.getFontMetrics();
        g.drawString(s, x - m.stringWidth(s) / 2, y);
    }
}
