import java.io.*;
import java.util.*;

public class Product {
    private final int rows, cols;
    private final double[] cells;

    Product(int rows, int cols) {
        this.rows = rows;
        this.cols = cols;
        this.cells = new double[rows * cols];
    }

    double get(int r, int c) { return cells[r * cols + c]; }
    void set(int r, int c, double v) { cells[r * cols + c] = v; }

    Product times(Product other) {
        Product result = new Product(rows, other.cols);
        for (int r = 0; r < rows; r++)
            for (int k = 0; k < cols; k++) {
                double left = get(r, k);
                for (int c = 0; c < other.cols; c++) result.set(r, c, result.get(r, c) + left * other.get(k, c));
            }
        return result;
    }

    public static void main(String[] args) throws IOException {
        StreamTokenizer tok = new StreamTokenizer(new BufferedReader(new InputStreamReader(System.in)));
        Product[] ms = new Product[2];
        for (int q = 0; q < 2; q++) {
            tok.nextToken(); int r = (int) tok.nval;
            tok.nextToken(); int c = (int) tok.nval;
            ms[q] = new Product(r, c);
            for (int i = 0; i < r * c; i++) { tok.nextToken(); ms[q].cells[i] = tok.nval; }
        }
        if (ms[0].cols != ms[1].rows) { System.out.println("Cannot multiply"); return; }
        Product p = ms[0].times(ms[1]);
        for (int r = 0; r < p.rows; r++) {
            String[] parts = new String[p.cols];
            for (int c = 0; c < p.cols; c++) parts[c] = String.valueOf((long) p.get(r, c));
            System.out.println(String.join(" ", parts));
        }
    }
}
