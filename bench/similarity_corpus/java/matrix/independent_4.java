import java.util.Scanner;

public class Matrices {
    public static void main(String[] args) {
        Scanner in = new Scanner(System.in);
        int rowsA = in.nextInt();
        int colsA = in.nextInt();
        int[][] left = new int[rowsA][colsA];
        for (int r = 0; r < rowsA; r++)
            for (int c = 0; c < colsA; c++)
                left[r][c] = in.nextInt();
        int rowsB = in.nextInt();
        int colsB = in.nextInt();
        int[][] right = new int[rowsB][colsB];
        for (int r = 0; r < rowsB; r++)
            for (int c = 0; c < colsB; c++)
                right[r][c] = in.nextInt();
        if (colsA == rowsB) {
            for (int r = 0; r < rowsA; r++) {
                StringBuilder line = new StringBuilder();
                for (int c = 0; c < colsB; c++) {
                    int value = 0;
                    for (int k = 0; k < colsA; k++) value += left[r][k] * right[k][c];
                    if (c > 0) line.append(' ');
                    line.append(value);
                }
                System.out.println(line);
            }
        } else {
            System.out.println("Cannot multiply");
        }
    }
}
