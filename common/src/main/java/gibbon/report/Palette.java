package gibbon.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Stroke;

/** Colours and strokes shared by the figures, so one attack looks the same in every figure. */
final class Palette {
    /** Matplotlib's "tab10" colours: distinct, and readable by most colour-blind readers. */
    private static final Color[] COLOURS = {
        new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd),
        new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf),
    };

    private Palette() {}

    static Color colour(int i) {
        return COLOURS[Math.floorMod(i, COLOURS.length)];
    }

    /** Solid, dashed, dotted, dash-dot...: tells runs apart when colours tell attacks apart. */
    static Stroke stroke(int style, float width) {
        return switch (Math.floorMod(style, 4)) {
            case 0 -> new BasicStroke(width);
            case 1 -> new BasicStroke(width, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {8f, 5f}, 0f);
            case 2 -> new BasicStroke(width, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {2f, 4f}, 0f);
            default -> new BasicStroke(width, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                    new float[] {10f, 4f, 2f, 4f}, 0f);
        };
    }
}
