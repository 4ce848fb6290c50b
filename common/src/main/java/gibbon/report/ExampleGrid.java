package gibbon.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.List;

/**
 * The adversarial-example grid: one row per example, original | perturbation | adversarial, each
 * labelled with the model's prediction and confidence; rows where the attack flipped a correct
 * prediction are framed in red. The perturbation is amplified to be visible, with its scale
 * written under it (mid-grey is no change).
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
    }

    private static final int TILE = 140;
    private static final int GAP = 24;
    private static final int TEXT = 54;
    private static final int HEADER = 64;
    private static final Color FLIP = new Color(0xd62728);

    private ExampleGrid() {}

    /** The grid as PNG, titled e.g. "pgd at ε = 0.1 (L∞)". */
    public static byte[] png(String title, List<Row> rows) {
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("no examples to draw");
        }
        int width = GAP + 3 * (TILE + GAP);
        int height = HEADER + rows.size() * (TILE + TEXT + GAP / 2) + GAP / 2;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = Png.canvas(image);
        g.setColor(Color.BLACK);
        g.setFont(new Font("SansSerif", Font.BOLD, 15));
        centre(g, title, width / 2, 22);
        g.setFont(new Font("SansSerif", Font.BOLD, 13));
        String[] columns = {"original", "perturbation (amplified)", "adversarial"};
        for (int c = 0; c < 3; c++) {
            centre(g, columns[c], GAP + c * (TILE + GAP) + TILE / 2, HEADER - 12);
        }
        int y = HEADER;
        for (Row r : rows) {
            drawRow(g, r, y);
            y += TILE + TEXT + GAP / 2;
        }
        g.dispose();
        return Png.encode(image);
    }

    private static void drawRow(Graphics2D g, Row r, int y) {
        int size = r.original().length;
        float[] delta = new float[size];
        float max = 0;
        double l2 = 0;
        for (int i = 0; i < size; i++) {
            delta[i] = r.adversarial()[i] - r.original()[i];
            max = Math.max(max, Math.abs(delta[i]));
            l2 += (double) delta[i] * delta[i];
        }
        // Amplify so the largest change spans half the grey range either side of mid-grey.
        float gain = max == 0 ? 0 : 0.5f / max;
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
        centre(g, String.format("×%.1f   L∞ %.3f", gain, max), x1, text);
        centre(g, String.format("L2 %.3f", Math.sqrt(l2)), x1, text + 16);
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
