import java.util.Scanner;

public class MatrixMultiply {
    static int[][] read(Scanner sc, int rows, int cols) {
        int[][] m = new int[rows][cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                m[i][j] = sc.nextInt();
            }
        }
        return m;
    }

    static int[][] multiply(int[][] a, int[][] b) {
        int n = a.length, m = b[0].length, k = b.length;
        int[][] c = new int[n][m];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                int sum = 0;
                for (int t = 0; t < k; t++) {
                    sum += a[i][t] * b[t][j];
                }
                c[i][j] = sum;
            }
        }
        return c;
    }

    public static void main(String[] args) {
        Scanner sc = new Scanner(System.in);
        int r1 = sc.nextInt(), c1 = sc.nextInt();
        int[][] a = read(sc, r1, c1);
        int r2 = sc.nextInt(), c2 = sc.nextInt();
        int[][] b = read(sc, r2, c2);
        if (c1 != r2) {
            System.out.println("Cannot multiply");
            return;
        }
        int[][] c = multiply(a, b);
        for (int[] row : c) {
            for (int j = 0; j < row.length; j++) {
                System.out.print(row[j] + (j + 1 < row.length ? " " : "\n"));
            }
        }
    }
}
