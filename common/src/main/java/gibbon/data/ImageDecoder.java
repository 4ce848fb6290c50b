package gibbon.data;

import gibbon.GibbonException;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.imageio.ImageIO;

/**
 * Decodes PNG and JPEG images into the model's input layout: unsigned bytes in (channel, row,
 * column) order, resized (bilinear) to the input's rows and columns, converted to grey (ITU-R 601
 * luma, as PIL's "L") or RGB as the input's channel count asks.
 */
public final class ImageDecoder {
    private ImageDecoder() {}

    /**
     * @param source the file or row the bytes come from, for error messages
     */
    public static byte[] decode(byte[] encoded, int channels, int rows, int cols, String source) {
        if (channels != 1 && channels != 3) {
            throw GibbonException.data(source + ": images decode to 1 or 3 channels, the model expects " + channels);
        }
        BufferedImage image;
        try {
            image = ImageIO.read(new ByteArrayInputStream(encoded));
        } catch (IOException e) {
            throw GibbonException.data(source + ": cannot decode image (" + e.getMessage() + ")");
        }
        if (image == null) {
            throw GibbonException.data(source + ": not a PNG or JPEG image");
        }
        if (image.getWidth() != cols || image.getHeight() != rows) {
            image = resize(image, rows, cols);
        }
        byte[] out = new byte[channels * rows * cols];
        if (channels == 1 && image.getType() == BufferedImage.TYPE_BYTE_GRAY) {
            image.getRaster().getDataElements(0, 0, cols, rows, out);
            return out;
        }
        int plane = rows * cols;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int rgb = image.getRGB(c, r);
                int red = (rgb >> 16) & 0xff;
                int green = (rgb >> 8) & 0xff;
                int blue = rgb & 0xff;
                int i = r * cols + c;
                if (channels == 1) {
                    out[i] = (byte) ((red * 299 + green * 587 + blue * 114 + 500) / 1000);
                } else {
                    out[i] = (byte) red;
                    out[plane + i] = (byte) green;
                    out[2 * plane + i] = (byte) blue;
                }
            }
        }
        return out;
    }

    private static BufferedImage resize(BufferedImage image, int rows, int cols) {
        int type = image.getType() == BufferedImage.TYPE_BYTE_GRAY ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB;
        BufferedImage resized = new BufferedImage(cols, rows, type);
        Graphics2D g = resized.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(image, 0, 0, cols, rows, null);
        g.dispose();
        return resized;
    }
}
