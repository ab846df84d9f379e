package dev.diffusion4j.io;

import java.awt.image.BufferedImage;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** 8-bit images in NCHW order to PNG grids, single PNGs and NumPy {@code .npy} files. */
public final class ImageFiles {
    private ImageFiles() {}

    /** One image as a BufferedImage (gray for C = 1, RGB for C = 3). */
    public static BufferedImage image(byte[] pixels, int index, int c, int h, int w) {
        BufferedImage img = new BufferedImage(w, h, c == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
        int base = index * c * h * w;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                if (c == 1) {
                    img.getRaster().setSample(x, y, 0, pixels[base + y * w + x] & 0xff);
                } else {
                    int r = pixels[base + y * w + x] & 0xff;
                    int g = pixels[base + h * w + y * w + x] & 0xff;
                    int b = pixels[base + 2 * h * w + y * w + x] & 0xff;
                    img.setRGB(x, y, (r << 16) | (g << 8) | b);
                }
            }
        }
        return img;
    }

    /** N images tiled in a grid of {@code cols} columns with a 2-pixel gap, scaled by {@code scale}. */
    public static BufferedImage grid(byte[] pixels, int n, int c, int h, int w, int cols, int scale) {
        int rows = (n + cols - 1) / cols;
        int gap = 2;
        int cw = w * scale + gap;
        int ch = h * scale + gap;
        BufferedImage out = new BufferedImage(cols * cw + gap, rows * ch + gap, BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = out.createGraphics();
        g.setColor(java.awt.Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        for (int i = 0; i < n; i++) {
            BufferedImage img = image(pixels, i, c, h, w);
            g.drawImage(img, gap + (i % cols) * cw, gap + (i / cols) * ch, w * scale, h * scale, null);
        }
        g.dispose();
        return out;
    }

    /**
     * A grid with one row per label: the row's name at its left, then its {@code perRow} images;
     * images are taken in order, {@code perRow} per row.
     */
    public static BufferedImage labelledGrid(byte[] pixels, java.util.List<String> rowNames, int perRow, int c, int h, int w, int scale) {
        BufferedImage tiles = grid(pixels, rowNames.size() * perRow, c, h, w, perRow, scale);
        java.awt.Font font = new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.PLAIN, Math.max(10, h * scale / 3));
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D pg = probe.createGraphics();
        java.awt.FontMetrics fm = pg.getFontMetrics(font);
        int label = 0;
        for (String n : rowNames) {
            label = Math.max(label, fm.stringWidth(n));
        }
        pg.dispose();
        label += 8;
        BufferedImage out = new BufferedImage(tiles.getWidth() + label, tiles.getHeight(), BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = out.createGraphics();
        g.setColor(java.awt.Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        g.drawImage(tiles, label, 0, null);
        g.setColor(java.awt.Color.BLACK);
        g.setFont(font);
        g.setRenderingHint(java.awt.RenderingHints.KEY_TEXT_ANTIALIASING, java.awt.RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        int rowHeight = h * scale + 2;
        for (int r = 0; r < rowNames.size(); r++) {
            int y = 2 + r * rowHeight + (rowHeight + fm.getAscent() - fm.getDescent()) / 2;
            g.drawString(rowNames.get(r), 4, y);
        }
        g.dispose();
        return out;
    }

    /** The image enlarged {@code factor} times with nearest-neighbour pixels. */
    public static BufferedImage scaled(BufferedImage img, int factor) {
        BufferedImage out = new BufferedImage(img.getWidth() * factor, img.getHeight() * factor, img.getType());
        java.awt.Graphics2D g = out.createGraphics();
        g.setRenderingHint(java.awt.RenderingHints.KEY_INTERPOLATION, java.awt.RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
        g.drawImage(img, 0, 0, out.getWidth(), out.getHeight(), null);
        g.dispose();
        return out;
    }

    /** Writes a PNG atomically. */
    public static void writePng(Path file, BufferedImage img) throws IOException {
        AtomicFiles.write(file, out -> {
            if (!ImageIO.write(img, "png", out)) {
                throw new IOException("no PNG writer");
            }
        });
    }

    /** Writes an (N, C, H, W) uint8 array in NumPy's {@code .npy} format (version 1.0). */
    public static void writeNpy(Path file, byte[] pixels, int n, int c, int h, int w) throws IOException {
        AtomicFiles.write(file, out -> writeNpy(out, pixels, n, c, h, w));
    }

    /** The bytes of {@link #writeNpy(Path, byte[], int, int, int, int)}'s file, to a stream (not closed). */
    public static void writeNpy(OutputStream out, byte[] pixels, int n, int c, int h, int w) throws IOException {
        String dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (" + n + ", " + c + ", " + h + ", " + w + "), }";
        int preamble = 10;
        int total = preamble + dict.length() + 1;
        int pad = (64 - total % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        DataOutputStream d = new DataOutputStream(out);
        d.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        d.write(header.length() & 0xff);
        d.write(header.length() >> 8);
        d.write(header.getBytes(StandardCharsets.US_ASCII));
        d.write(pixels, 0, n * c * h * w);
        d.flush();
    }
}
